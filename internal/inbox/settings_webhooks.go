package inbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"openboards/internal/community"
	"openboards/internal/httpapi"
	"openboards/internal/openboards"
	"openboards/internal/webhook"
)

// Webhook settings: the community's endpoints, and for each its signing
// secret, a test, replays and the delivery log. Every change goes through
// the webhook service, like the JSON API's, so endpoints are verified with
// the same handshake before they are saved.

// whHandler is the shape of a signed-in page handler.
type whHandler = func(http.ResponseWriter, *http.Request, *community.SignedIn) error

func (h *Handler) webhookSettingsRoutes() {
	m := h.mux
	page := func(f whHandler) http.Handler { return h.auth(h.admin(h.needWebhooks(f))) }
	const base = "/{community}/settings/webhooks"
	m.Handle("GET "+base, page(h.handleWebhookList))
	m.Handle("POST "+base, page(h.handleWebhookCreate))
	m.Handle("GET "+base+"/{id}", page(h.handleWebhookPage))
	m.Handle("POST "+base+"/{id}", page(h.whAction(h.updateWebhook)))
	m.Handle("POST "+base+"/{id}/status", page(h.whAction(h.setWebhookStatus)))
	m.Handle("POST "+base+"/{id}/secret", page(h.whAction(h.rotateWebhookSecret)))
	m.Handle("POST "+base+"/{id}/test", page(h.handleWebhookTest))
	m.Handle("POST "+base+"/{id}/replay", page(h.handleWebhookReplay))
	m.Handle("POST "+base+"/{id}/delete", page(h.handleWebhookDelete))
	m.Handle("POST "+base+"/{id}/deliveries/{delivery}/redeliver", page(h.whAction(h.redeliverWebhookEvent)))
}

// needWebhooks answers 503 when the server runs without the webhook service.
func (h *Handler) needWebhooks(next whHandler) whHandler {
	return func(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
		if h.opt.Webhooks == nil {
			return openboards.Errorf(openboards.CodeUnavailable, "webhooks are not available on this server")
		}
		return next(w, r, in)
	}
}

// whErrorStatus gives the status (httpapi.Status) and the text to show for
// an error a service reports about the request; ok is false for internal
// and unauthorized errors, which go to h.fail.
func whErrorStatus(err error) (status int, msg string, ok bool) {
	status = httpapi.Status(openboards.ErrorCode(err))
	if status == http.StatusInternalServerError || status == http.StatusUnauthorized {
		return 0, "", false
	}
	return status, openboards.ErrorMessage(err), true
}

// whPathID reads a positive id from the path.
func whPathID(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, openboards.Errorf(openboards.CodeNotFound, "there is no %s %q", what, r.PathValue(name))
	}
	return id, nil
}

// Event types, grouped by the object they concern.

type whEventKind struct{ Object, Action, Type string }

var whEventKinds = []whEventKind{
	{"Ticket", "Created", openboards.EventTicketCreation},
	{"Ticket", "Status changed", openboards.EventTicketStatusChange},
	{"Ticket", "Tags changed", openboards.EventTicketTagsChange},
	{"Ticket", "Category changed", openboards.EventTicketCategoryChange},
	{"Reply", "Created", openboards.EventReplyCreation},
	{"Reply", "Updated", openboards.EventReplyUpdate},
	{"Reply", "Deleted", openboards.EventReplyDeletion},
	{"Note", "Created", openboards.EventNoteCreation},
	{"Note", "Updated", openboards.EventNoteUpdate},
	{"Note", "Deleted", openboards.EventNoteDeletion},
}

// whEventLabel names an event type in words, e.g. "Ticket status changed".
func whEventLabel(typ string) string {
	for _, k := range whEventKinds {
		if k.Type == typ {
			return k.Object + " " + strings.ToLower(k.Action)
		}
	}
	return typ
}

type whEventGroup struct {
	Legend  string
	Options []whEventOption
}

type whEventOption struct {
	ID, Value, Label, Full string
	Checked                bool
}

// whEventGroups lists the event types as checkboxes (or options) by
// object type; only limits them to some types when not nil, checked marks
// the chosen ones, and idPrefix keeps element ids unique on a page.
func whEventGroups(idPrefix string, only, checked []string) []whEventGroup {
	var out []whEventGroup
	for _, k := range whEventKinds {
		if only != nil && !slices.Contains(only, k.Type) {
			continue
		}
		if len(out) == 0 || out[len(out)-1].Legend != k.Object {
			out = append(out, whEventGroup{Legend: k.Object})
		}
		g := &out[len(out)-1]
		g.Options = append(g.Options, whEventOption{
			ID: idPrefix + k.Type, Value: k.Type, Label: k.Action, Full: whEventLabel(k.Type), Checked: slices.Contains(checked, k.Type),
		})
	}
	return out
}

func whStatusLabel(s openboards.WebhookStatus) string {
	switch s {
	case openboards.WebhookActive:
		return "Active"
	case openboards.WebhookPaused:
		return "Paused"
	case openboards.WebhookDisabled:
		return "Disabled"
	}
	return string(s)
}

func whTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func whOptionalTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return whTime(*t)
}

func whDuration(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

// whTruncate keeps the first n bytes of s, cut at a character boundary.
func whTruncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// whPretty indents a JSON body for reading; anything else is shown as it
// is.
func whPretty(body []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		return string(body)
	}
	return buf.String()
}

func (h *Handler) webhooksPath(in *community.SignedIn) string {
	return h.communityPath(in) + "/settings/webhooks"
}

func (h *Handler) webhookPath(in *community.SignedIn, id int64) string {
	return h.webhooksPath(in) + "/" + strconv.FormatInt(id, 10)
}

// whForm is the endpoint form: URL, verify token and events.
type whForm struct {
	URL, VerifyToken string
	Groups           []whEventGroup
}

// whFormInput reads the endpoint form of a request.
func whFormInput(r *http.Request, idPrefix string) (webhook.Input, whForm) {
	u, token := r.PostFormValue("url"), r.PostFormValue("verifyToken")
	events := r.PostForm["event"]
	if events == nil {
		events = []string{}
	}
	return webhook.Input{URL: &u, VerifyToken: &token, Events: &events},
		whForm{URL: u, VerifyToken: token, Groups: whEventGroups(idPrefix, nil, events)}
}

// The list of endpoints, with the form to add one.

type whListData struct {
	Hooks []whHookRow
	Form  whForm
	Max   int
}

type whHookRow struct {
	ID                                                              int64
	URL, Href, State, Status, DisabledReason, DisabledAt, FailingAt string
	Events                                                          []string
}

var whListFlashes = map[string]string{
	"deleted": "The webhook is deleted, with its queued deliveries and its delivery log.",
}

func (h *Handler) handleWebhookList(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	return h.renderWebhookList(w, r, in, whForm{Groups: whEventGroups("new-", nil, nil)}, nil)
}

func (h *Handler) renderWebhookList(w http.ResponseWriter, r *http.Request, in *community.SignedIn, form whForm, failure error) error {
	hooks, err := h.store.FindWebhooks(r.Context(), in.Community.ID)
	if err != nil {
		return err
	}
	d := &whListData{Form: form, Max: webhook.MaxWebhooks}
	for _, wh := range hooks {
		row := whHookRow{
			ID: wh.ID, URL: wh.URL, Href: h.webhookPath(in, wh.ID), State: string(wh.Status), Status: whStatusLabel(wh.Status),
			DisabledReason: wh.DisabledReason, DisabledAt: whOptionalTime(wh.DisabledAt), FailingAt: whOptionalTime(wh.FailingSince),
		}
		for _, e := range wh.Events {
			row.Events = append(row.Events, whEventLabel(e))
		}
		d.Hooks = append(d.Hooks, row)
	}
	p := h.newPage("Webhooks", in, d)
	p.Flash = whListFlashes[r.URL.Query().Get("done")]
	status := http.StatusOK
	if failure != nil {
		code, msg, ok := whErrorStatus(failure)
		if !ok {
			return failure
		}
		status, p.Error = code, msg
	}
	h.render(w, status, "settings_webhooks", p)
	return nil
}

func (h *Handler) handleWebhookCreate(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	input, form := whFormInput(r, "new-")
	wh, err := h.opt.Webhooks.Create(r.Context(), in.Community, input)
	if err != nil {
		return h.renderWebhookList(w, r, in, form, err)
	}
	http.Redirect(w, r, h.webhookPath(in, wh.ID)+"?done=created", http.StatusSeeOther)
	return nil
}

// One endpoint.

type whHookData struct {
	Hook                               *openboards.Webhook
	Path                               string
	Status                             string
	Events                             []string
	Created, Updated                   string
	DisabledAt, FailingAt, PreviousEnd string
	Form                               whForm
	TestGroups                         []whEventGroup
	Test                               *whTestView
	Replay                             whReplayForm
	Log                                *whLog
	Body                               *whBodyView
}

type whTestView struct {
	OK                                     bool
	EventType, EventLabel, MessageID       string
	StatusCode                             int
	Duration, Error, Response, RequestBody string
}

type whReplayForm struct {
	From, To string
	Groups   []whEventGroup
}

type whLog struct {
	Status, EventType string
	Statuses          []whOption
	Types             []whOption
	Rows              []whDeliveryRow
	Prev, Next        string
	Filtered          bool
}

type whOption struct {
	Value, Label string
	Selected     bool
}

type whDeliveryRow struct {
	ID, TicketID                                     int64
	State, Status, EventType, Created, Done, NextDue string
	TicketHref, BodyHref, RedeliverAction            string
	Attempts                                         []whAttemptRow
}

type whAttemptRow struct {
	When, Duration, StatusCode, Error, Response string
}

type whBodyView struct {
	DeliveryID          int64
	EventType, Message  string
	JSON, Missing, Back string
}

// whPageState is what an action adds to the endpoint's page when it shows
// the page itself rather than redirecting: an error with the form values
// kept, or a test's outcome.
type whPageState struct {
	failure error
	form    *whForm
	replay  *whReplayForm
	test    *whTestView
}

var whFlashes = map[string]string{
	"created":     "The endpoint answered the verification request and the webhook is saved. Give your endpoint the signing secret below so that it can check signatures.",
	"saved":       "The webhook is saved.",
	"paused":      "The webhook is paused. New events are queued and sent when it is resumed.",
	"resumed":     "The webhook is active; queued events are being sent.",
	"rotated":     "The signing secret is replaced. For 24 hours the previous secret also signs every notification, so your endpoint can switch without losing events.",
	"redelivered": "The event is queued again; it appears at the top of the delivery log.",
}

// whDeliveryPage is how many deliveries the log shows at a time.
const whDeliveryPage = 50

func (h *Handler) handleWebhookPage(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := whPathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	return h.renderWebhook(w, r, in, id, whPageState{})
}

func (h *Handler) renderWebhook(w http.ResponseWriter, r *http.Request, in *community.SignedIn, id int64, st whPageState) error {
	ctx, cid := r.Context(), in.Community.ID
	wh, err := h.store.FindWebhookByID(ctx, cid, id)
	if err != nil {
		return err
	}
	path := h.webhookPath(in, id)
	d := &whHookData{
		Hook: wh, Path: path, Status: whStatusLabel(wh.Status),
		Created: whTime(wh.CreatedAt), Updated: whTime(wh.UpdatedAt),
		DisabledAt: whOptionalTime(wh.DisabledAt), FailingAt: whOptionalTime(wh.FailingSince),
		TestGroups: whEventGroups("", nil, []string{openboards.EventTicketStatusChange}),
		Test:       st.test,
	}
	for _, e := range wh.Events {
		d.Events = append(d.Events, whEventLabel(e))
	}
	if wh.PreviousSecret != "" && wh.PreviousSecretUntil != nil && h.opt.Webhooks.Now().Before(*wh.PreviousSecretUntil) {
		d.PreviousEnd = whTime(*wh.PreviousSecretUntil)
	}
	if st.form != nil {
		d.Form = *st.form
	} else {
		d.Form = whForm{URL: wh.URL, VerifyToken: wh.VerifyToken, Groups: whEventGroups("edit-", nil, wh.Events)}
	}
	if st.test != nil {
		d.TestGroups = whEventGroups("", nil, []string{st.test.EventType})
	}
	if st.replay != nil {
		d.Replay = *st.replay
	} else {
		from := h.opt.Webhooks.Now().UTC().Add(-24 * time.Hour).Truncate(time.Minute)
		d.Replay = whReplayForm{From: from.Format(whLocalLayout), Groups: whEventGroups("replay-", wh.Events, nil)}
	}
	q := r.URL.Query()
	if r.Method != http.MethodGet {
		q = url.Values{} // an action's page shows the log unfiltered
	}
	if d.Log, err = h.whDeliveryLog(r, in, wh, q); err != nil {
		return err
	}
	if s := q.Get("delivery"); s != "" {
		if d.Body, err = h.whDeliveryBody(r, in, wh, s, q); err != nil {
			return err
		}
	}
	p := h.newPage("Webhook "+wh.URL, in, d)
	switch done := q.Get("done"); done {
	case "replayed":
		n, _ := strconv.Atoi(q.Get("n"))
		switch {
		case n <= 0:
			p.Flash = "No recorded events of those types fall in that range; nothing was queued."
		case n == 1:
			p.Flash = "1 event is queued for replay."
		default:
			p.Flash = strconv.Itoa(n) + " events are queued for replay."
		}
	default:
		p.Flash = whFlashes[done]
	}
	status := http.StatusOK
	if st.failure != nil {
		code, msg, ok := whErrorStatus(st.failure)
		if !ok {
			return st.failure
		}
		status, p.Error, p.Flash = code, msg, ""
	}
	h.render(w, status, "settings_webhook", p)
	return nil
}

// whHref joins a path and a query.
func whHref(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// whLogQuery is the log's filter and page as a query string.
func whLogQuery(status, eventType string, skip int) url.Values {
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	if eventType != "" {
		q.Set("eventType", eventType)
	}
	if skip > 0 {
		q.Set("skip", strconv.Itoa(skip))
	}
	return q
}

// whDeliveryLog reads a page of the webhook's deliveries, newest first, as
// the query filters them.
func (h *Handler) whDeliveryLog(r *http.Request, in *community.SignedIn, wh *openboards.Webhook, q url.Values) (*whLog, error) {
	l := &whLog{Status: q.Get("status"), EventType: q.Get("eventType")}
	f := openboards.DeliveryFilter{CommunityID: in.Community.ID, WebhookID: wh.ID, Take: whDeliveryPage + 1}
	if l.Status != "" {
		st, err := openboards.ParseDeliveryState("status", l.Status)
		if err != nil {
			return nil, err
		}
		f.State = &st
	}
	if l.EventType != "" {
		if !openboards.IsEventType(l.EventType) {
			return nil, openboards.Errorf(openboards.CodeInvalid, "eventType: unknown event %q", l.EventType)
		}
		f.EventType = l.EventType
	}
	skip := 0
	if n, err := strconv.Atoi(q.Get("skip")); err == nil && n > 0 {
		skip, f.Skip = n, n
	}
	l.Filtered = f.State != nil || f.EventType != ""
	for _, s := range []openboards.DeliveryState{openboards.DeliveryPending, openboards.DeliverySucceeded, openboards.DeliveryFailed} {
		l.Statuses = append(l.Statuses, whOption{Value: string(s), Label: whStateLabel(s), Selected: l.Status == string(s)})
	}
	for _, k := range whEventKinds {
		l.Types = append(l.Types, whOption{Value: k.Type, Label: whEventLabel(k.Type), Selected: l.EventType == k.Type})
	}
	ds, err := h.store.FindDeliveries(r.Context(), f)
	if err != nil {
		return nil, err
	}
	path := h.webhookPath(in, wh.ID)
	if len(ds) > whDeliveryPage {
		ds = ds[:whDeliveryPage]
		l.Next = whHref(path, whLogQuery(l.Status, l.EventType, skip+whDeliveryPage)) + "#deliveries"
	}
	if skip > 0 {
		l.Prev = whHref(path, whLogQuery(l.Status, l.EventType, max(0, skip-whDeliveryPage))) + "#deliveries"
	}
	self := whLogQuery(l.Status, l.EventType, skip)
	tickets := h.communityPath(in) + "/tickets?ticketId="
	for _, dl := range ds {
		row := whDeliveryRow{
			ID: dl.ID, TicketID: dl.TicketID, State: string(dl.State), Status: whStateLabel(dl.State),
			EventType: whEventLabel(dl.EventType), Created: whTime(dl.CreatedAt), Done: whOptionalTime(dl.DoneAt),
			TicketHref:      tickets + strconv.FormatInt(dl.TicketID, 10),
			RedeliverAction: path + "/deliveries/" + strconv.FormatInt(dl.ID, 10) + "/redeliver",
		}
		if dl.State == openboards.DeliveryPending {
			row.NextDue = whTime(dl.NextAttemptAt)
		}
		self.Set("delivery", strconv.FormatInt(dl.ID, 10))
		row.BodyHref = whHref(path, self) + "#request-body"
		for _, a := range dl.Attempts {
			ar := whAttemptRow{When: whTime(a.At), Duration: whDuration(a.Duration), Error: a.Error, Response: whTruncate(a.Response, 4096)}
			if a.StatusCode != 0 {
				ar.StatusCode = strconv.Itoa(a.StatusCode)
			}
			row.Attempts = append(row.Attempts, ar)
		}
		l.Rows = append(l.Rows, row)
	}
	return l, nil
}

func whStateLabel(s openboards.DeliveryState) string {
	switch s {
	case openboards.DeliveryPending:
		return "Pending"
	case openboards.DeliverySucceeded:
		return "Succeeded"
	case openboards.DeliveryFailed:
		return "Failed"
	}
	return string(s)
}

// whDeliveryBody reads the request body of one delivery (its event's
// payload).
func (h *Handler) whDeliveryBody(r *http.Request, in *community.SignedIn, wh *openboards.Webhook, s string, q url.Values) (*whBodyView, error) {
	did, err := strconv.ParseInt(s, 10, 64)
	if err != nil || did <= 0 {
		return nil, openboards.Errorf(openboards.CodeNotFound, "there is no delivery %q", s)
	}
	dl, err := h.store.FindDeliveryByID(r.Context(), in.Community.ID, wh.ID, did)
	if err != nil {
		return nil, err
	}
	skip, _ := strconv.Atoi(q.Get("skip"))
	v := &whBodyView{
		DeliveryID: dl.ID, EventType: whEventLabel(dl.EventType), Message: webhook.MessageID(dl.EventID),
		Back: whHref(h.webhookPath(in, wh.ID), whLogQuery(q.Get("status"), q.Get("eventType"), skip)) + "#deliveries",
	}
	e, err := h.store.FindEventByID(r.Context(), in.Community.ID, dl.EventID)
	switch {
	case err == nil:
		v.JSON = whPretty(e.Payload)
	case openboards.ErrorCode(err) == openboards.CodeNotFound:
		v.Missing = "The event of this delivery is past the retention period; its body is no longer stored."
	default:
		return nil, err
	}
	return v, nil
}

// Actions on one endpoint.

// whAction runs an action on the webhook of the path, then redirects to
// its page with a flash, or shows the page with the error.
func (h *Handler) whAction(act whActionFunc) whHandler {
	return func(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
		id, err := whPathID(r, "id", "webhook")
		if err != nil {
			return err
		}
		done, st, err := act(r, in, id)
		if err != nil {
			st.failure = err
			return h.renderWebhook(w, r, in, id, st)
		}
		http.Redirect(w, r, h.webhookPath(in, id)+"?done="+done, http.StatusSeeOther)
		return nil
	}
}

// whActionFunc does an action on webhook id, naming the flash to show
// after it; on failure, st keeps what the page should show with the error.
type whActionFunc = func(r *http.Request, in *community.SignedIn, id int64) (done string, st whPageState, err error)

func (h *Handler) updateWebhook(r *http.Request, in *community.SignedIn, id int64) (string, whPageState, error) {
	input, form := whFormInput(r, "edit-")
	_, err := h.opt.Webhooks.Update(r.Context(), in.Community, id, input)
	return "saved", whPageState{form: &form}, err
}

func (h *Handler) setWebhookStatus(r *http.Request, in *community.SignedIn, id int64) (string, whPageState, error) {
	status := r.PostFormValue("status")
	_, err := h.opt.Webhooks.Update(r.Context(), in.Community, id, webhook.Input{Status: &status})
	if status == string(openboards.WebhookPaused) {
		return "paused", whPageState{}, err
	}
	return "resumed", whPageState{}, err
}

func (h *Handler) rotateWebhookSecret(r *http.Request, in *community.SignedIn, id int64) (string, whPageState, error) {
	_, err := h.opt.Webhooks.RotateSecret(r.Context(), in.Community, id)
	return "rotated", whPageState{}, err
}

func (h *Handler) redeliverWebhookEvent(r *http.Request, in *community.SignedIn, id int64) (string, whPageState, error) {
	did, err := whPathID(r, "delivery", "delivery")
	if err != nil {
		return "", whPageState{}, err
	}
	_, err = h.opt.Webhooks.Redeliver(r.Context(), in.Community, id, did)
	return "redelivered", whPageState{}, err
}

// whLocalLayout is the value format of a datetime-local input.
const whLocalLayout = "2006-01-02T15:04"

// whParseLocal reads a datetime-local value as a UTC time (seconds and
// fractions optional).
func whParseLocal(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{whLocalLayout, "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, openboards.Errorf(openboards.CodeInvalid, "%s: %q is not a date and time like 2024-05-01T09:30 (UTC)", field, s)
}

func (h *Handler) handleWebhookReplay(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := whPathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	events := r.PostForm["event"]
	form := &whReplayForm{From: r.PostFormValue("from"), To: r.PostFormValue("to")}
	n, err := h.whReplay(r, in, id, form.From, form.To, events)
	if err != nil {
		wh, ferr := h.store.FindWebhookByID(r.Context(), in.Community.ID, id)
		if ferr != nil {
			return ferr
		}
		form.Groups = whEventGroups("replay-", wh.Events, events)
		return h.renderWebhook(w, r, in, id, whPageState{failure: err, replay: form})
	}
	http.Redirect(w, r, h.webhookPath(in, id)+"?done=replayed&n="+strconv.Itoa(n), http.StatusSeeOther)
	return nil
}

func (h *Handler) whReplay(r *http.Request, in *community.SignedIn, id int64, fromText, toText string, events []string) (int, error) {
	if strings.TrimSpace(fromText) == "" {
		return 0, openboards.Errorf(openboards.CodeInvalid, "from: required (the start of the range, in UTC)")
	}
	from, err := whParseLocal("from", fromText)
	if err != nil {
		return 0, err
	}
	to := h.opt.Webhooks.Now()
	if strings.TrimSpace(toText) != "" {
		if to, err = whParseLocal("to", toText); err != nil {
			return 0, err
		}
	}
	if len(events) == 0 {
		events = nil // the webhook's own events
	}
	return h.opt.Webhooks.Replay(r.Context(), in.Community, id, from, to, events)
}

func (h *Handler) handleWebhookTest(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := whPathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	res, err := h.opt.Webhooks.Test(r.Context(), in.Community, id, r.PostFormValue("eventType"))
	if err != nil {
		return h.renderWebhook(w, r, in, id, whPageState{failure: err})
	}
	v := &whTestView{
		OK: res.Error == "", EventType: res.EventType, EventLabel: whEventLabel(res.EventType), MessageID: res.MessageID, StatusCode: res.StatusCode,
		Duration: whDuration(res.Duration), Error: res.Error, Response: whTruncate(res.Response, 4096),
		RequestBody: whPretty(res.Payload),
	}
	return h.renderWebhook(w, r, in, id, whPageState{test: v})
}

func (h *Handler) handleWebhookDelete(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := whPathID(r, "id", "webhook")
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") == "" {
		return h.renderWebhook(w, r, in, id, whPageState{failure: openboards.Errorf(openboards.CodeInvalid,
			"confirm: check the box to confirm that the webhook and its delivery log are to be deleted")})
	}
	if err := h.opt.Webhooks.Delete(r.Context(), in.Community, id); err != nil {
		return h.renderWebhook(w, r, in, id, whPageState{failure: err})
	}
	http.Redirect(w, r, h.webhooksPath(in)+"?done=deleted", http.StatusSeeOther)
	return nil
}

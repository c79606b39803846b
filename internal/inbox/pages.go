package inbox

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"openboards/internal/clientip"
	"openboards/internal/community"
	"openboards/internal/httpapi"
	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

// Sign-in, sign-out and the account page.

type signinData struct {
	Community, Email, Next string
}

func (h *Handler) handleSignInForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, http.StatusOK, "signin", h.newPage("Sign in", nil, signinData{
		Community: r.URL.Query().Get("community"), Next: r.URL.Query().Get("next"),
	}))
}

func (h *Handler) handleSignIn(w http.ResponseWriter, r *http.Request) {
	d := signinData{Community: r.PostFormValue("community"), Email: r.PostFormValue("email"), Next: r.PostFormValue("next")}
	// Failures are limited before the password is hashed: per account
	// and client address, and per client address.
	account := "signin\x00" + strings.ToLower(strings.TrimSpace(d.Community)) + "\x00" + strings.ToLower(strings.TrimSpace(d.Email))
	done, err := h.opt.Failures.Begin(account, clientip.FromRequest(r))
	var in *community.SignedIn
	var secret string
	if err == nil {
		in, secret, err = h.communities.SignIn(r.Context(), d.Community, d.Email, r.PostFormValue("password"))
		done(openboards.ErrorCode(err) == openboards.CodeUnauthorized)
	}
	if err != nil {
		code := openboards.ErrorCode(err)
		switch code {
		case openboards.CodeUnauthorized, openboards.CodeInvalid, openboards.CodeRateLimited, openboards.CodeUnavailable:
		default:
			h.fail(w, r, nil, err)
			return
		}
		p := h.newPage("Sign in", nil, d)
		p.Error = openboards.ErrorMessage(err)
		httpapi.SetRetryAfter(w, err)
		h.render(w, httpapi.Status(code), "signin", p)
		return
	}
	h.setSessionCookie(w, secret)
	next := h.opt.BasePath + "/" + url.PathEscape(in.Community.Name) + "/tickets"
	// Only a local path may be the next page, so the form cannot send a
	// teammate elsewhere. Browsers drop tabs and line breaks from a
	// Location, so "/<tab>/evil.example" would lead off-site: control
	// characters are refused too.
	if strings.HasPrefix(d.Next, h.opt.BasePath+"/") && !strings.HasPrefix(d.Next, "//") &&
		!strings.ContainsFunc(d.Next, func(r rune) bool { return r == '\\' || r < ' ' || r == 0x7f }) {
		next = d.Next
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// setSessionCookie gives the browser the session's secret for as long as
// the session lasts unused.
func (h *Handler) setSessionCookie(w http.ResponseWriter, secret string) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: secret, Path: h.opt.BasePath + "/", HttpOnly: true, Secure: h.opt.SecureCookies,
		SameSite: http.SameSiteLaxMode, MaxAge: int(community.SessionTTL / time.Second),
	})
}

func (h *Handler) handleSignOut(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	if err := h.communities.SignOut(r.Context(), in.Session); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: h.opt.BasePath + "/", HttpOnly: true, Secure: h.opt.SecureCookies, MaxAge: -1})
	http.Redirect(w, r, h.opt.BasePath+"/signin?community="+url.QueryEscape(in.Community.Name), http.StatusSeeOther)
	return nil
}

func (h *Handler) handleAccount(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	p := h.newPage("Your account", in, nil)
	if r.URL.Query().Get("changed") != "" {
		p.Flash = "Your password is changed; your other sessions are signed out."
	}
	h.render(w, http.StatusOK, "account", p)
	return nil
}

func (h *Handler) handlePassword(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	// Wrong current passwords count like failed sign-ins, so that a
	// session left open is no way to guess the password behind it.
	account := "password\x00" + in.User.ID
	done, err := h.opt.Failures.Begin(account, clientip.FromRequest(r))
	if err == nil {
		err = h.communities.ChangePassword(r.Context(), in, r.PostFormValue("current"), r.PostFormValue("new"))
		done(errors.Is(err, community.ErrCurrentPassword))
	}
	switch code := openboards.ErrorCode(err); code {
	case openboards.CodeInvalid, openboards.CodeRateLimited, openboards.CodeUnavailable:
		p := h.newPage("Your account", in, nil)
		p.Error = openboards.ErrorMessage(err)
		httpapi.SetRetryAfter(w, err)
		h.render(w, httpapi.Status(code), "account", p)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, h.communityPath(in)+"/account?changed=1", http.StatusSeeOther)
	return nil
}

func (h *Handler) communityPath(in *community.SignedIn) string {
	return h.opt.BasePath + "/" + url.PathEscape(in.Community.Name)
}

// The ticket list, with the ticket opened by ?ticketId=N beside it.

// pageSize is how many tickets a list page shows.
const pageSize = 50

type listData struct {
	Filter     listFilter
	Statuses   []statusTab
	Categories []categoryOption
	Teammates  []*openboards.User
	Orders     []orderOption
	Tickets    []listItem
	Prev, Next string
	OpenID     int64
	Open       *ticketView
}

type listFilter struct {
	Status, Category, Source, Order string
	Assignee, Tag, Q                string
	Skip                            int
}

func (f listFilter) query(skip int) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "category": f.Category, "source": f.Source, "order": f.Order,
		"assignee": f.Assignee, "tag": f.Tag, "q": f.Q} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if skip > 0 {
		q.Set("skip", strconv.Itoa(skip))
	}
	return q
}

type statusTab struct {
	Label   string
	Count   int
	Href    string
	Current bool
}

type categoryOption struct {
	ID    int64
	Label string
}

type orderOption struct {
	Value, Label string
	Current      bool
}

type listItem struct {
	ID                              int64
	Title, Author, Status, Category string
	When, Href                      string
}

var orderLabels = []orderOption{
	{Value: openboards.OrderLastActivityDesc, Label: "Latest activity"},
	{Value: openboards.OrderLastActivityAsc, Label: "Oldest activity"},
	{Value: openboards.OrderCreationDesc, Label: "Newest"},
	{Value: openboards.OrderCreationAsc, Label: "Oldest"},
}

func (h *Handler) handleTickets(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	ctx, q := r.Context(), r.URL.Query()
	for k, vs := range q {
		for _, v := range vs {
			if err := openboards.CheckText(k, v); err != nil {
				return err
			}
		}
	}
	f := listFilter{Status: q.Get("status"), Category: q.Get("category"), Source: strings.TrimSpace(q.Get("source")), Order: q.Get("order"),
		Assignee: q.Get("assignee"), Tag: strings.TrimSpace(q.Get("tag")), Q: strings.TrimSpace(q.Get("q"))}
	// No tag is longer than a tag may be, so a longer filter is a mistake.
	if len(f.Q) > 200 || len(f.Tag) > openboards.MaxTagLen {
		return openboards.Errorf(openboards.CodeInvalid, "q: at most 200 characters, tag: at most %d", openboards.MaxTagLen)
	}
	if f.Status == "" {
		f.Status = string(openboards.TicketOpen)
	}
	tf := openboards.TicketFilter{CommunityID: in.Community.ID, OrderBy: openboards.OrderLastActivityDesc, Take: pageSize + 1}
	if f.Status != "all" {
		st, err := openboards.ParseTicketStatus("status", f.Status)
		if err != nil {
			return err
		}
		tf.Status = &st
	}
	switch f.Category {
	case "":
	case "none":
		tf.CategorySet = true
	default:
		id, err := strconv.ParseInt(f.Category, 10, 64)
		if err != nil {
			return openboards.Errorf(openboards.CodeInvalid, "category: %q is not a category id", f.Category)
		}
		tf.CategorySet, tf.CategoryID = true, &id
	}
	if f.Source != "" {
		tf.Source = &f.Source
	}
	switch f.Assignee {
	case "":
	case "none":
		tf.AssigneeSet = true
	case "me":
		tf.AssigneeSet, tf.AssigneeID = true, &in.User.ID
	default:
		a := f.Assignee
		tf.AssigneeSet, tf.AssigneeID = true, &a
	}
	tf.Tag, tf.Text = f.Tag, f.Q
	for _, o := range openboards.TicketOrders {
		if o == f.Order {
			tf.OrderBy = o
		}
	}
	if n, err := strconv.Atoi(q.Get("skip")); err == nil && n > 0 {
		f.Skip, tf.Skip = n, n
	}
	tickets, err := h.store.FindTickets(ctx, tf)
	if err != nil {
		return err
	}
	d := &listData{Filter: f}
	base := h.communityPath(in) + "/tickets"
	if len(tickets) > pageSize {
		tickets = tickets[:pageSize]
		d.Next = base + "?" + f.query(f.Skip+pageSize).Encode()
	}
	if f.Skip > 0 {
		d.Prev = base + "?" + f.query(max(0, f.Skip-pageSize)).Encode()
	}
	counts, err := h.counts.get(ctx, h.store, in.Community.ID)
	if err != nil {
		return err
	}
	total := 0
	for _, st := range openboards.TicketStatuses {
		g := f
		g.Status, total = string(st), total+counts[st]
		d.Statuses = append(d.Statuses, statusTab{Label: st.Label(), Count: counts[st], Href: base + "?" + g.query(0).Encode(), Current: f.Status == string(st)})
	}
	all := f
	all.Status = "all"
	d.Statuses = append(d.Statuses, statusTab{Label: "All", Count: total, Href: base + "?" + all.query(0).Encode(), Current: f.Status == "all"})
	cats, err := h.categoryOptions(r, in)
	if err != nil {
		return err
	}
	d.Categories = cats
	if d.Teammates, err = h.store.FindTeammates(ctx, in.Community.ID, nil); err != nil {
		return err
	}
	for _, o := range orderLabels {
		o.Current = o.Value == tf.OrderBy
		d.Orders = append(d.Orders, o)
	}
	names := map[int64]string{}
	for _, c := range cats {
		names[c.ID] = c.Label
	}
	self := f.query(f.Skip)
	for _, t := range tickets {
		item := listItem{ID: t.ID, Title: t.Title, Author: t.Author.Name, Status: t.Status.Label(), When: shortTime(t.LastActivityAt)}
		if t.CategoryID != nil {
			item.Category = names[*t.CategoryID]
		}
		self.Set("ticketId", strconv.FormatInt(t.ID, 10))
		item.Href = base + "?" + self.Encode()
		d.Tickets = append(d.Tickets, item)
	}
	title := "Tickets"
	if s := q.Get("ticketId"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return openboards.Errorf(openboards.CodeInvalid, "ticketId: %q is not a ticket id", s)
		}
		v, err := h.ticketView(r, in, id, cats, d.Teammates)
		if err != nil {
			return err
		}
		d.OpenID, d.Open = id, v
		title = v.T.Title
	}
	p := h.newPage(title, in, d)
	if r.URL.Query().Get("done") != "" {
		p.Flash = "Saved."
	}
	h.render(w, http.StatusOK, "tickets", p)
	return nil
}

// categoryOptions lists the community's categories as indented labels, in
// tree order.
func (h *Handler) categoryOptions(r *http.Request, in *community.SignedIn) ([]categoryOption, error) {
	all, err := h.store.FindCategories(r.Context(), in.Community.ID)
	if err != nil {
		return nil, err
	}
	var out []categoryOption
	var walk func(cs []*openboards.Category, depth int)
	walk = func(cs []*openboards.Category, depth int) {
		for _, c := range cs {
			out = append(out, categoryOption{ID: c.ID, Label: strings.Repeat("— ", depth) + c.Name})
			walk(c.Children, depth+1)
		}
	}
	walk(openboards.BuildCategoryTree(all), 0)
	return out, nil
}

// The open ticket.

type ticketView struct {
	T          *openboards.Ticket
	Message    template.HTML
	Created    string
	Items      []threadItem
	Log        []logItem
	Teammates  []*openboards.User
	Assignable []*openboards.User
	Categories []categoryOption
	Statuses   []openboards.TicketStatus
	Fields     []fieldItem
	AssigneeID string
	CategoryID int64
	Tags       string
	CanEdit    bool
	Action     string
	CSRF       string
	// Chat is set for a conversation.
	Chat         *conversationView
	AssigneeName string
}

// fieldItem is one custom field of the open ticket, as its form shows it.
type fieldItem struct {
	ID          int64
	Name, Value string
	Placeholder string
	Required    bool
	Choices     []string // nil: free text
}

type threadItem struct {
	Kind        string // "customer", "team" or "note"
	Who, When   string
	Body        template.HTML
	Attachments []openboards.Attachment
	Delete      string // the action that deletes it
	at          time.Time
}

type logItem struct {
	When, Who, Text string
}

func (h *Handler) ticketView(r *http.Request, in *community.SignedIn, id int64, cats []categoryOption, team []*openboards.User) (*ticketView, error) {
	ctx, cid := r.Context(), in.Community.ID
	t, err := h.store.FindTicketByID(ctx, cid, id)
	if err != nil {
		return nil, err
	}
	replies, err := h.store.FindReplies(ctx, cid, id, 0, 1000)
	if err != nil {
		return nil, err
	}
	notes, err := h.store.FindNotes(ctx, cid, id, 0, 1000)
	if err != nil {
		return nil, err
	}
	entries, err := h.store.FindLogEntries(ctx, cid, id, nil, 0, 200)
	if err != nil {
		return nil, err
	}
	v := &ticketView{
		T: t, Message: template.HTML(t.HTMLMessage), Created: shortTime(t.CreatedAt), Teammates: team, Categories: cats,
		Statuses: openboards.TicketStatuses, Tags: strings.Join(t.Tags, ", "), CanEdit: canEdit(in.User),
		Action: h.communityPath(in) + "/tickets/" + strconv.FormatInt(id, 10), CSRF: in.Session.CSRF,
	}
	for _, u := range team {
		if u.Role.CanBeAssigned() {
			v.Assignable = append(v.Assignable, u)
		}
	}
	if t.AssigneeID != nil {
		v.AssigneeID = *t.AssigneeID
		for _, u := range team {
			if u.ID == v.AssigneeID {
				v.AssigneeName = u.Name
			}
		}
	}
	fields, err := h.store.FindCustomFields(ctx, cid)
	if err != nil {
		return nil, err
	}
	values := map[int64]string{}
	for _, fv := range t.CustomFields {
		values[fv.FieldID] = fv.Value
	}
	for _, f := range fields {
		item := fieldItem{ID: f.ID, Name: f.Name, Value: values[f.ID], Required: f.IsRequired}
		if f.Placeholder != nil {
			item.Placeholder = *f.Placeholder
		}
		if f.HasChoices() {
			item.Choices = []string{}
			for _, pv := range f.PossibleValues {
				item.Choices = append(item.Choices, pv.Value)
			}
		}
		v.Fields = append(v.Fields, item)
	}
	if t.CategoryID != nil {
		v.CategoryID = *t.CategoryID
	}
	// Replies and notes are sanitised HTML, stored that way by the ticket
	// service, so they are shown as HTML.
	for _, rp := range replies {
		if rp.IsDraft {
			continue
		}
		kind := "customer"
		if rp.IsByTeam {
			kind = "team"
		}
		who := rp.Author.Name
		if rp.Author.IsBot {
			who += " (bot)"
		}
		v.Items = append(v.Items, threadItem{Kind: kind, Who: who, When: shortTime(rp.CreatedAt), Body: template.HTML(rp.HTMLMessage), Attachments: rp.Attachments, at: rp.CreatedAt,
			Delete: v.Action + "/replies/" + strconv.FormatInt(rp.ID, 10) + "/delete"})
	}
	for _, n := range notes {
		body := template.HTML(template.HTMLEscapeString(n.Message))
		if n.HTMLMessage != nil {
			body = template.HTML(*n.HTMLMessage)
		}
		v.Items = append(v.Items, threadItem{Kind: "note", Who: n.Author.Name, When: shortTime(n.CreatedAt), Body: body, Attachments: n.Attachments, at: n.CreatedAt,
			Delete: v.Action + "/notes/" + strconv.FormatInt(n.ID, 10) + "/delete"})
	}
	sortThread(v.Items)
	if t.IsConversation() {
		if v.Chat, err = h.conversationView(r, in, t, replies); err != nil {
			return nil, err
		}
	}
	for _, e := range entries {
		who := ""
		if e.User != nil {
			who = e.User.Name
		}
		v.Log = append(v.Log, logItem{When: shortTime(e.CreatedAt), Who: who, Text: logText(e)})
	}
	return v, nil
}

// sortThread orders replies and notes by time (a stable insertion sort:
// threads are short and mostly in order already).
func sortThread(items []threadItem) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].at.Before(items[j-1].at); j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

// logText replaces a log entry's {User:…}, {Category:…} and {Tag:…}
// placeholders with names.
func logText(e *openboards.LogEntry) string {
	s := e.ActionString
	for _, u := range e.Included.Users {
		s = strings.ReplaceAll(s, "{User:"+u.ID+"}", u.Name)
	}
	for _, c := range e.Included.Categories {
		s = strings.ReplaceAll(s, fmt.Sprintf("{Category:%d}", c.ID), c.Name)
	}
	for _, t := range e.Included.Tags {
		s = strings.ReplaceAll(s, fmt.Sprintf("{Tag:%d}", t.ID), t.Name)
	}
	return s
}

func shortTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// Ticket actions. Each acts as the signed-in teammate: the service logs
// the change under their name.

func (h *Handler) ticketAction(action string) func(http.ResponseWriter, *http.Request, *community.SignedIn) error {
	return func(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			return openboards.Errorf(openboards.CodeNotFound, "no ticket %q", r.PathValue("id"))
		}
		ctx := r.Context()
		actor := *in.Community
		actor.APIUserID = in.User.ID
		cm, me := &actor, openboards.UserRef{ID: in.User.ID}
		switch action {
		case "reply":
			_, err = h.tickets.CreateReply(ctx, cm, id, ticket.CreateReplyInput{
				Author: me, Message: r.PostFormValue("message"), IsTicketNeededToBeCompleted: r.PostFormValue("complete") != "",
			})
		case "note":
			var mentions []openboards.UserRef
			for _, m := range r.PostForm["mention"] {
				mentions = append(mentions, openboards.UserRef{ID: m})
			}
			_, err = h.tickets.CreateNote(ctx, cm, id, ticket.NoteInput{Author: me, Message: r.PostFormValue("message"), MentionedUsers: mentions})
		case "status":
			err = h.tickets.UpdateTicketStatus(ctx, cm, id, r.PostFormValue("status"))
		case "assignee":
			next, prev := optional(r.PostFormValue("assignee")), optional(r.PostFormValue("previous"))
			err = h.tickets.UpdateTicketAssignee(ctx, cm, id, next, prev)
		case "category":
			var cat *int64
			if s := r.PostFormValue("category"); s != "" {
				n, perr := strconv.ParseInt(s, 10, 64)
				if perr != nil {
					return openboards.Errorf(openboards.CodeInvalid, "category: %q is not a category id", s)
				}
				cat = &n
			}
			err = h.tickets.UpdateTicketCategory(ctx, cm, id, cat)
		case "fields":
			var in []ticket.FieldValueInput
			for key, vals := range r.PostForm {
				sid, ok := strings.CutPrefix(key, "field_")
				if !ok || len(vals) == 0 {
					continue
				}
				fid, perr := strconv.ParseInt(sid, 10, 64)
				if perr != nil {
					return openboards.Errorf(openboards.CodeInvalid, "%s: not a custom field", key)
				}
				value := strings.TrimSpace(vals[0])
				in = append(in, ticket.FieldValueInput{ID: fid, Value: &value})
			}
			err = h.tickets.SetTicketFieldValues(ctx, cm, id, in)
		case "tags":
			var tags []string
			for _, t := range strings.Split(r.PostFormValue("tags"), ",") {
				if t = strings.TrimSpace(t); t != "" {
					tags = append(tags, t)
				}
			}
			err = h.tickets.SetTicketTags(ctx, cm, id, tags)
		}
		if err != nil {
			return err
		}
		http.Redirect(w, r, h.communityPath(in)+"/tickets?ticketId="+strconv.FormatInt(id, 10)+"&status=all&done=1", http.StatusSeeOther)
		return nil
	}
}

// deleteItem deletes a reply or a note of a ticket, as the signed-in
// teammate; the service logs it and raises the deletion event.
func (h *Handler) deleteItem(kind string) func(http.ResponseWriter, *http.Request, *community.SignedIn) error {
	return func(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
		id, err1 := strconv.ParseInt(r.PathValue("id"), 10, 64)
		item, err2 := strconv.ParseInt(r.PathValue("item"), 10, 64)
		if err1 != nil || err2 != nil || id <= 0 || item <= 0 {
			return openboards.Errorf(openboards.CodeNotFound, "no such %s", kind)
		}
		if r.PostFormValue("confirm") == "" {
			return openboards.Errorf(openboards.CodeInvalid, "confirm: tick the box to delete the %s", kind)
		}
		actor := *in.Community
		actor.APIUserID = in.User.ID
		var err error
		if kind == "reply" {
			err = h.tickets.DeleteReply(r.Context(), &actor, id, item)
		} else {
			err = h.tickets.DeleteNote(r.Context(), &actor, id, item)
		}
		if err != nil {
			return err
		}
		http.Redirect(w, r, h.communityPath(in)+"/tickets?ticketId="+strconv.FormatInt(id, 10)+"&status=all&done=1", http.StatusSeeOther)
		return nil
	}
}

func optional(s string) *string {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return &s
}

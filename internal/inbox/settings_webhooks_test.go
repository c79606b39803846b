package inbox_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"openboards/internal/community"
	"openboards/internal/inbox"
	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/sqlite"
	"openboards/internal/ticket"
	"openboards/internal/webhook"
	"openboards/internal/webhook/egress"
)

const (
	whVerifyToken = "the-verify-token"
	whPassword    = "correct horse battery"
	whAdminEmail  = "ada@example.com"
	whMemberEmail = "max@example.com"
)

// whWorld is one test's server: a SQLite store, the services, a running
// dispatcher, the inbox on a test server, a TLS receiver and a community
// with an admin and a team member who both have passwords.
type whWorld struct {
	t           *testing.T
	ctx         context.Context
	store       openboards.Store
	tickets     *ticket.Service
	communities *community.Service
	webhooks    *webhook.Service
	cm          *openboards.Community
	inbox       *httptest.Server
	rc          *whReceiver
}

// whReceiver is a TLS endpoint that answers the verification handshake
// for whVerifyToken and records the notifications it is sent.
type whReceiver struct {
	*httptest.Server
	mu         sync.Mutex
	handshakes int
	posts      []whPost
	arrived    chan struct{}
}

type whPost struct {
	Header http.Header
	Body   []byte
}

func (rc *whReceiver) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		rc.mu.Lock()
		rc.handshakes++
		rc.mu.Unlock()
		if r.URL.Query().Get("verifyToken") != whVerifyToken {
			http.Error(w, "wrong token", http.StatusForbidden)
			return
		}
		io.WriteString(w, r.URL.Query().Get("challenge"))
		return
	}
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.posts = append(rc.posts, whPost{Header: r.Header.Clone(), Body: body})
	rc.mu.Unlock()
	io.WriteString(w, "thanks <b>received</b>")
	rc.arrived <- struct{}{}
}

func (rc *whReceiver) handshakeCount() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.handshakes
}

func (rc *whReceiver) all() []whPost {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]whPost(nil), rc.posts...)
}

// waitFor waits until the receiver has n notifications.
func (rc *whReceiver) waitFor(t *testing.T, n int) []whPost {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if got := rc.all(); len(got) >= n {
			return got
		}
		select {
		case <-rc.arrived:
		case <-deadline:
			t.Fatalf("receiver got %d notifications, want %d", len(rc.all()), n)
		}
	}
}

func whSetup(t *testing.T) *whWorld {
	t.Helper()
	ctx := context.Background()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ob.db"), sqlite.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	rc := &whReceiver{arrived: make(chan struct{}, 1024)}
	rc.Server = httptest.NewTLSServer(http.HandlerFunc(rc.serve))
	client := egress.NewClient(egress.Options{
		Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		RootCAs: rc.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
	})
	d := webhook.NewDispatcher(raw, client, webhook.Options{
		ExclusiveStore: true, Poll: 50 * time.Millisecond, Jitter: func() float64 { return 1 },
	})
	store := webhook.WakingStore(raw, d.Wake)
	tickets := ticket.NewService(store, &webhook.Outbox{InboxBase: "https://inbox.example.com"}, live.Discard, time.Now)
	communities, err := community.NewService(ctx, store, time.Now, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	webhooks := webhook.NewService(store, client, "https://inbox.example.com", time.Now)
	h, err := inbox.NewHandler(store, tickets, communities, inbox.Options{Webhooks: webhooks})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.Run(runCtx); err != nil {
			t.Errorf("dispatcher: %v", err)
		}
	}()
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		rc.Close()
		client.Close()
		raw.Close()
	})
	created, err := communities.Create(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	w := &whWorld{t: t, ctx: ctx, store: store, tickets: tickets, communities: communities, webhooks: webhooks,
		cm: created.Community, inbox: srv, rc: rc}
	for email, role := range map[string]string{whAdminEmail: "admin", whMemberEmail: "team_member"} {
		if _, err := communities.AddTeammate(ctx, w.cm, community.TeammateInput{Email: email, Name: role, Role: role}); err != nil {
			t.Fatal(err)
		}
		if _, err := communities.SetPassword(ctx, w.cm, email, whPassword); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// whBrowser is a signed-in teammate's browser that does not follow
// redirects, so tests see them.
type whBrowser struct {
	w    *whWorld
	c    *http.Client
	csrf string
}

type whResp struct {
	Status   int
	Location string
	Body     string
}

func (w *whWorld) signIn(email string) *whBrowser {
	w.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &whBrowser{w: w, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	res := b.post("/signin", url.Values{"community": {"acme"}, "email": {email}, "password": {whPassword}})
	if res.Status != http.StatusSeeOther {
		w.t.Fatalf("sign in: %d %s", res.Status, res.Body)
	}
	page := b.get("/acme/account")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page.Body)
	if m == nil {
		w.t.Fatalf("no CSRF token on the account page: %s", page.Body)
	}
	b.csrf = html.UnescapeString(m[1])
	return b
}

func (b *whBrowser) do(req *http.Request) whResp {
	b.w.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.w.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return whResp{Status: res.StatusCode, Location: res.Header.Get("Location"), Body: string(body)}
}

func (b *whBrowser) get(path string) whResp {
	b.w.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.w.inbox.URL+path, nil)
	if err != nil {
		b.w.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form as is (add the CSRF token with submit).
func (b *whBrowser) post(path string, form url.Values) whResp {
	b.w.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.w.inbox.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// submit posts a form with the session's CSRF token.
func (b *whBrowser) submit(path string, form url.Values) whResp {
	b.w.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf)
	return b.post(path, form)
}

// follow gets the page a redirect points to.
func (b *whBrowser) follow(res whResp) whResp {
	b.w.t.Helper()
	if res.Status != http.StatusSeeOther {
		b.w.t.Fatalf("got %d, want a redirect (303): %s", res.Status, whErrorText(res.Body))
	}
	return b.get(res.Location)
}

// whErrorText is the error box of a page, for failure messages.
func whErrorText(body string) string {
	if m := regexp.MustCompile(`(?s)<p class="error" role="alert">(.*?)</p>`).FindStringSubmatch(body); m != nil {
		return html.UnescapeString(m[1])
	}
	if len(body) > 2000 {
		return body[:2000]
	}
	return body
}

func whWant(t *testing.T, res whResp, status int, texts ...string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d; error: %s", res.Status, status, whErrorText(res.Body))
	}
	page := html.UnescapeString(res.Body)
	for _, s := range texts {
		if !strings.Contains(page, s) {
			t.Errorf("the page does not show %q", s)
		}
	}
}

// add registers the receiver through the service, for all events.
func (w *whWorld) add() *openboards.Webhook {
	w.t.Helper()
	u, token, events := w.rc.URL+"/hook", whVerifyToken, openboards.EventTypes
	hook, err := w.webhooks.Create(w.ctx, w.cm, webhook.Input{URL: &u, VerifyToken: &token, Events: &events})
	if err != nil {
		w.t.Fatal(err)
	}
	return hook
}

func (w *whWorld) hook(id int64) *openboards.Webhook {
	w.t.Helper()
	hook, err := w.store.FindWebhookByID(w.ctx, w.cm.ID, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return hook
}

func whHookPath(id int64) string { return "/acme/settings/webhooks/" + strconv.FormatInt(id, 10) }

func TestWebhookSettingsAdd(t *testing.T) {
	w := whSetup(t)
	b := w.signIn(whAdminEmail)
	whWant(t, b.get("/acme/settings/webhooks"), http.StatusOK, "No webhooks yet.", "Ticket events", "Status changed", "Note events")
	res := b.submit("/acme/settings/webhooks", url.Values{
		"url": {w.rc.URL + "/hook"}, "verifyToken": {whVerifyToken},
		"event": {openboards.EventTicketCreation, openboards.EventNoteCreation},
	})
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "/acme/settings/webhooks/") {
		t.Fatalf("create: %d %q: %s", res.Status, res.Location, whErrorText(res.Body))
	}
	if n := w.rc.handshakeCount(); n != 1 {
		t.Errorf("the receiver got %d handshakes, want 1", n)
	}
	hooks, err := w.store.FindWebhooks(w.ctx, w.cm.ID)
	if err != nil || len(hooks) != 1 {
		t.Fatalf("webhooks: %v %v", hooks, err)
	}
	hook := hooks[0]
	if got := strings.Join(hook.Events, ","); got != "ticket_creation,note_creation" {
		t.Errorf("events %s", got)
	}
	whWant(t, b.follow(res), http.StatusOK, hook.Secret, "is saved", "Ticket created, Note created", "Active")
	whWant(t, b.get("/acme/settings/webhooks"), http.StatusOK, hook.URL, "Active", "Ticket created, Note created")
}

func TestWebhookSettingsHandshakeFailure(t *testing.T) {
	w := whSetup(t)
	b := w.signIn(whAdminEmail)
	u := w.rc.URL + "/kept-url"
	res := b.submit("/acme/settings/webhooks", url.Values{
		"url": {u}, "verifyToken": {"not-the-token"}, "event": {openboards.EventReplyCreation},
	})
	whWant(t, res, http.StatusBadRequest, "url: the verification request failed", "answered 403", `value="`+u+`"`, `value="not-the-token"`)
	if !regexp.MustCompile(`value="reply_creation" checked`).MatchString(res.Body) {
		t.Error("the checked event is not kept")
	}
	if w.rc.handshakeCount() != 1 {
		t.Errorf("handshakes: %d", w.rc.handshakeCount())
	}
	if hooks, _ := w.store.FindWebhooks(w.ctx, w.cm.ID); len(hooks) != 0 {
		t.Errorf("saved %d webhooks", len(hooks))
	}
	// No events at all is refused before any request.
	res = b.submit("/acme/settings/webhooks", url.Values{"url": {u}, "verifyToken": {whVerifyToken}})
	whWant(t, res, http.StatusBadRequest, "events: choose at least one event")
	if w.rc.handshakeCount() != 1 {
		t.Errorf("handshakes: %d", w.rc.handshakeCount())
	}
}

func TestWebhookSettingsEditPauseRotate(t *testing.T) {
	w := whSetup(t)
	hook := w.add()
	b := w.signIn(whAdminEmail)
	path := whHookPath(hook.ID)
	whWant(t, b.get(path), http.StatusOK, hook.URL, hook.Secret, "Pause deliveries")

	// Edit events; the URL and token are unchanged, so no new handshake.
	res := b.submit(path, url.Values{"url": {hook.URL}, "verifyToken": {whVerifyToken},
		"event": {openboards.EventReplyCreation, openboards.EventTicketStatusChange}})
	whWant(t, b.follow(res), http.StatusOK, "The webhook is saved.", "Ticket status changed, Reply created")
	if got := strings.Join(w.hook(hook.ID).Events, ","); got != "ticket_status_change,reply_creation" {
		t.Errorf("events %s", got)
	}
	if w.rc.handshakeCount() != 1 {
		t.Errorf("handshakes: %d", w.rc.handshakeCount())
	}
	// A new verify token the endpoint refuses keeps the old settings.
	res = b.submit(path, url.Values{"url": {hook.URL}, "verifyToken": {"wrong"}, "event": {openboards.EventNoteUpdate}})
	whWant(t, res, http.StatusBadRequest, "the verification request failed", `value="wrong"`)
	if got := w.hook(hook.ID); got.VerifyToken != whVerifyToken || len(got.Events) != 2 {
		t.Errorf("a failed edit changed the webhook: %+v", got)
	}

	// Pause and resume.
	whWant(t, b.follow(b.submit(path+"/status", url.Values{"status": {"paused"}})), http.StatusOK, "is paused", "Resume deliveries")
	if st := w.hook(hook.ID).Status; st != openboards.WebhookPaused {
		t.Errorf("status %s", st)
	}
	whWant(t, b.follow(b.submit(path+"/status", url.Values{"status": {"active"}})), http.StatusOK, "Pause deliveries")
	if st := w.hook(hook.ID).Status; st != openboards.WebhookActive {
		t.Errorf("status %s", st)
	}
	whWant(t, b.submit(path+"/status", url.Values{"status": {"disabled"}}), http.StatusBadRequest, `status: "disabled" cannot be set`)

	// Rotate.
	old := w.hook(hook.ID).Secret
	page := b.follow(b.submit(path+"/secret", nil))
	rotated := w.hook(hook.ID)
	if rotated.Secret == old || rotated.PreviousSecret != old {
		t.Fatalf("not rotated: %+v", rotated)
	}
	whWant(t, page, http.StatusOK, rotated.Secret, "previous secret also signs notifications until", rotated.PreviousSecretUntil.UTC().Format("2006-01-02 15:04:05 UTC"))
	if strings.Contains(page.Body, old) {
		t.Error("the page shows the previous secret")
	}
}

func TestWebhookSettingsSendTest(t *testing.T) {
	w := whSetup(t)
	hook := w.add()
	b := w.signIn(whAdminEmail)
	res := b.submit(whHookPath(hook.ID)+"/test", url.Values{"eventType": {openboards.EventNoteCreation}})
	whWant(t, res, http.StatusOK, "Test succeeded", "Status code</dt><dd>200", "thanks <b>received</b>", "Request body sent", `"EventType": "note_creation"`)
	if strings.Contains(res.Body, "<b>received</b>") {
		t.Error("the response body is not escaped")
	}
	posts := w.rc.waitFor(t, 1)
	if !strings.HasPrefix(posts[0].Header.Get("webhook-id"), "msg_test_") {
		t.Errorf("webhook-id %q", posts[0].Header.Get("webhook-id"))
	}
	verifier, err := standardwebhooks.NewWebhook(hook.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifier.Verify(posts[0].Body, posts[0].Header); err != nil {
		t.Errorf("the test is not signed with the webhook's secret: %v", err)
	}
	whWant(t, b.submit(whHookPath(hook.ID)+"/test", url.Values{"eventType": {"nope"}}), http.StatusBadRequest, `eventType: unknown event "nope"`)
}

func TestWebhookSettingsDeliveryLog(t *testing.T) {
	w := whSetup(t)
	hook := w.add()
	b := w.signIn(whAdminEmail)
	path := whHookPath(hook.ID)
	start := time.Now().UTC()
	email := "customer@example.com"
	tid, err := w.tickets.CreateTicket(w.ctx, w.cm, ticket.CreateTicketInput{
		Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI,
		Title: "Printer <b>on fire</b>", Message: "Help", Creator: &ticket.CreatorInput{Email: &email},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.rc.waitFor(t, 1)
	var ds []*openboards.Delivery
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds, err = w.store.FindDeliveries(w.ctx, openboards.DeliveryFilter{CommunityID: w.cm.ID, WebhookID: hook.ID, Take: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 1 && ds[0].State == openboards.DeliverySucceeded {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries: %+v", ds)
		}
		time.Sleep(20 * time.Millisecond)
	}
	did := strconv.FormatInt(ds[0].ID, 10)
	ticketLink := "/acme/tickets?ticketId=" + strconv.FormatInt(tid, 10)
	whWant(t, b.get(path), http.StatusOK, "#"+did, "Succeeded", "Ticket created", `href="`+ticketLink+`"`,
		"1 attempt", "status 200", "thanks <b>received</b>", "Request body")
	whWant(t, b.get(path+"?status=succeeded&eventType=ticket_creation"), http.StatusOK, "#"+did)
	whWant(t, b.get(path+"?status=failed"), http.StatusOK, "No deliveries match.")
	whWant(t, b.get(path+"?eventType=note_deletion"), http.StatusOK, "No deliveries match.")
	whWant(t, b.get(path+"?status=bogus"), http.StatusBadRequest, `status: unknown delivery status "bogus"`)

	// The request body, pretty-printed and escaped.
	body := b.get(path + "?delivery=" + did)
	whWant(t, body, http.StatusOK, "Request body of delivery #"+did, `"EventType": "ticket_creation"`, "msg_")
	if strings.Contains(body.Body, "<b>on fire</b>") {
		t.Error("the payload is not escaped")
	}
	whWant(t, b.get(path+"?delivery=999999"), http.StatusNotFound)

	// Redeliver sends the same message again.
	page := b.follow(b.submit(path+"/deliveries/"+did+"/redeliver", nil))
	whWant(t, page, http.StatusOK, "The event is queued again")
	posts := w.rc.waitFor(t, 2)
	if posts[1].Header.Get("webhook-id") != posts[0].Header.Get("webhook-id") {
		t.Errorf("redelivery ids %q, %q", posts[0].Header.Get("webhook-id"), posts[1].Header.Get("webhook-id"))
	}
	whWant(t, b.submit(path+"/deliveries/999999/redeliver", nil), http.StatusNotFound)

	// Replay the range: the one event of the ticket is queued again.
	from := start.Add(-time.Minute).Format("2006-01-02T15:04")
	res := b.submit(path+"/replay", url.Values{"from": {from}})
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "n=1") {
		t.Fatalf("replay: %d %q %s", res.Status, res.Location, whErrorText(res.Body))
	}
	whWant(t, b.get(res.Location), http.StatusOK, "1 event is queued for replay.")
	w.rc.waitFor(t, 3)
	// Types other than created find nothing; a range ending before it starts
	// is refused.
	res = b.submit(path+"/replay", url.Values{"from": {from}, "event": {openboards.EventNoteCreation}})
	whWant(t, b.follow(res), http.StatusOK, "nothing was queued")
	res = b.submit(path+"/replay", url.Values{"from": {from}, "to": {start.Add(-time.Hour).Format("2006-01-02T15:04")}})
	whWant(t, res, http.StatusBadRequest, "to: must be after from", `value="`+from+`"`)
	whWant(t, b.submit(path+"/replay", url.Values{"from": {"yesterday"}}), http.StatusBadRequest, `from: "yesterday" is not a date`)

	// The log shows 50 deliveries a page: with 51, the first one is on the
	// second page.
	for range 48 {
		if _, err := w.webhooks.Replay(w.ctx, w.cm, hook.ID, start.Add(-time.Minute), time.Now(), nil); err != nil {
			t.Fatal(err)
		}
	}
	redeliver := `action="` + path + "/deliveries/" + did + `/redeliver"`
	first := b.get(path)
	whWant(t, first, http.StatusOK, "Older deliveries")
	if strings.Contains(first.Body, redeliver) {
		t.Error("the first page shows the oldest delivery")
	}
	m := regexp.MustCompile(`href="([^"#]*)#deliveries" rel="next"`).FindStringSubmatch(first.Body)
	if m == nil {
		t.Fatal("no link to the next page")
	}
	second := b.get(html.UnescapeString(m[1]))
	whWant(t, second, http.StatusOK, "Newer deliveries", redeliver)
}

func TestWebhookSettingsDelete(t *testing.T) {
	w := whSetup(t)
	hook := w.add()
	b := w.signIn(whAdminEmail)
	path := whHookPath(hook.ID)
	whWant(t, b.submit(path+"/delete", nil), http.StatusBadRequest, "check the box to confirm")
	w.hook(hook.ID)
	page := b.follow(b.submit(path+"/delete", url.Values{"confirm": {"1"}}))
	whWant(t, page, http.StatusOK, "The webhook is deleted", "No webhooks yet.")
	if _, err := w.store.FindWebhookByID(w.ctx, w.cm.ID, hook.ID); openboards.ErrorCode(err) != openboards.CodeNotFound {
		t.Errorf("after delete: %v", err)
	}
	whWant(t, b.get(path), http.StatusNotFound)
}

func TestAPISettingsTokens(t *testing.T) {
	w := whSetup(t)
	b := w.signIn(whAdminEmail)
	whWant(t, b.get("/acme/settings/api"), http.StatusOK, w.cm.ClientID, "default")
	whWant(t, b.submit("/acme/settings/api/tokens", url.Values{"name": {"  "}}), http.StatusBadRequest, "name: required")

	res := b.submit("/acme/settings/api/tokens", url.Values{"name": {"Zapier"}})
	whWant(t, res, http.StatusOK, "cannot be shown again", "Zapier")
	m := regexp.MustCompile(`id="new-token-secret" value="([^"]+)"`).FindStringSubmatch(res.Body)
	if m == nil {
		t.Fatalf("no secret on the page: %s", res.Body)
	}
	secret := html.UnescapeString(m[1])
	if _, err := w.communities.Exchange(w.ctx, w.cm.ClientID, secret); err != nil {
		t.Fatalf("the shown token does not work: %v", err)
	}
	again := b.get("/acme/settings/api")
	whWant(t, again, http.StatusOK, "Zapier")
	if strings.Contains(again.Body, secret) || strings.Contains(again.Body, "cannot be shown again") {
		t.Error("the secret is shown a second time")
	}

	tokens, err := w.store.FindRefreshTokens(w.ctx, w.cm.ID)
	if err != nil || len(tokens) != 2 {
		t.Fatalf("tokens %v %v", tokens, err)
	}
	revoke := "/acme/settings/api/tokens/" + strconv.FormatInt(tokens[1].ID, 10) + "/revoke"
	whWant(t, b.follow(b.submit(revoke, nil)), http.StatusOK, "The token is revoked")
	if _, err := w.communities.Exchange(w.ctx, w.cm.ClientID, secret); err == nil {
		t.Error("a revoked token still works")
	}
	if strings.Contains(b.get("/acme/settings/api").Body, `action="`+revoke+`"`) {
		t.Error("a revoked token still has a revoke button")
	}
	whWant(t, b.submit("/acme/settings/api/tokens/999999/revoke", nil), http.StatusNotFound)
}

func TestSettingsWebhooksAndAPIForbiddenToTeamMembers(t *testing.T) {
	w := whSetup(t)
	hook := w.add()
	b := w.signIn(whMemberEmail)
	path := whHookPath(hook.ID)
	for _, p := range []string{"/acme/settings/webhooks", path, path + "?delivery=1", "/acme/settings/api"} {
		if res := b.get(p); res.Status != http.StatusForbidden {
			t.Errorf("GET %s: %d, want 403", p, res.Status)
		}
	}
	for _, p := range []string{
		"/acme/settings/webhooks", path, path + "/status", path + "/secret", path + "/test", path + "/replay",
		path + "/delete", path + "/deliveries/1/redeliver", "/acme/settings/api/tokens", "/acme/settings/api/tokens/1/revoke",
	} {
		form := url.Values{"url": {w.rc.URL + "/x"}, "verifyToken": {whVerifyToken}, "event": {openboards.EventTicketCreation},
			"status": {"paused"}, "confirm": {"1"}, "name": {"x"}, "from": {"2020-01-01T00:00"}}
		if res := b.submit(p, form); res.Status != http.StatusForbidden {
			t.Errorf("POST %s: %d, want 403", p, res.Status)
		}
	}
	if got := w.hook(hook.ID); got.Status != openboards.WebhookActive || got.Secret != hook.Secret {
		t.Errorf("a team member changed the webhook: %+v", got)
	}
	if n := w.rc.handshakeCount(); n != 1 {
		t.Errorf("handshakes: %d", n)
	}
	if tokens, _ := w.store.FindRefreshTokens(w.ctx, w.cm.ID); len(tokens) != 1 || tokens[0].RevokedAt != nil {
		t.Errorf("a team member changed the tokens: %+v", tokens)
	}
}

func TestSettingsWebhooksAndAPIMissingCSRF(t *testing.T) {
	w := whSetup(t)
	hook := w.add()
	b := w.signIn(whAdminEmail)
	path := whHookPath(hook.ID)
	cases := map[string]url.Values{
		"/acme/settings/webhooks":   {"url": {w.rc.URL + "/x"}, "verifyToken": {whVerifyToken}, "event": {openboards.EventTicketCreation}},
		path + "/secret":            nil,
		path + "/status":            {"status": {"paused"}},
		path + "/delete":            {"confirm": {"1"}},
		"/acme/settings/api/tokens": {"name": {"x"}},
	}
	for p, form := range cases {
		res := b.post(p, form)
		whWant(t, res, http.StatusForbidden, "the form is out of date")
		form2 := url.Values{"csrf": {"wrong"}}
		for k, v := range form {
			form2[k] = v
		}
		if res := b.post(p, form2); res.Status != http.StatusForbidden {
			t.Errorf("POST %s with a wrong token: %d", p, res.Status)
		}
	}
	if got := w.hook(hook.ID); got.Status != openboards.WebhookActive || got.Secret != hook.Secret {
		t.Errorf("a request without CSRF token changed the webhook: %+v", got)
	}
	if n := w.rc.handshakeCount(); n != 1 {
		t.Errorf("handshakes: %d", n)
	}
	if tokens, _ := w.store.FindRefreshTokens(w.ctx, w.cm.ID); len(tokens) != 1 {
		t.Errorf("tokens: %d", len(tokens))
	}
}

package inbox_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"openboards/internal/chat"
	"openboards/internal/community"
	"openboards/internal/inbox"
	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/sqlite"
	"openboards/internal/ticket"
)

// liveWorld is an inbox with live updates on: its ticket service publishes
// the changes it commits into hub, as the server wires it.
type liveWorld struct {
	t   *testing.T
	hub *live.Hub
	srv *httptest.Server
	// signin serves the same inbox without the timeouts, for signing in:
	// hashing a password may outlast srv's short timeouts on a loaded
	// machine, and the session cookie (host-wide) then works on srv.
	signin      *httptest.Server
	store       openboards.Store
	tickets     *ticket.Service
	communities *community.Service
	acme, other *openboards.Community
	agents      map[int64]*openboards.User // the teammate of each community
}

const livePassword = "live updates password"

// newLiveWorld starts the inbox with server read and write timeouts of
// timeout (the stream must outlive them), with communities Acme and Other,
// each with a teammate who has a password.
func newLiveWorld(t *testing.T, timeout time.Duration) *liveWorld {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "live.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	w := &liveWorld{t: t, hub: live.NewHub(), store: store, agents: map[int64]*openboards.User{}}
	w.communities, err = community.NewService(ctx, store, time.Now, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	w.tickets = ticket.NewService(store, ticket.NoEvents, w.hub, time.Now)
	h, err := inbox.NewHandler(store, w.tickets, w.communities, inbox.Options{Live: w.hub})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewUnstartedServer(h)
	w.srv.Config.ReadTimeout, w.srv.Config.WriteTimeout = timeout, timeout
	w.srv.Start()
	t.Cleanup(w.srv.Close)
	w.signin = httptest.NewServer(h)
	t.Cleanup(w.signin.Close)
	for _, c := range []struct {
		dst  **openboards.Community
		name string
	}{{&w.acme, "Acme"}, {&w.other, "Other"}} {
		cr, err := w.communities.Create(ctx, c.name)
		if err != nil {
			t.Fatal(err)
		}
		*c.dst = cr.Community
		email := "agent@" + strings.ToLower(c.name) + ".example"
		u, err := w.communities.AddTeammate(ctx, cr.Community, community.TeammateInput{Email: email, Name: c.name + " Agent", Role: "team_member"})
		if err != nil {
			t.Fatal(err)
		}
		w.agents[cr.Community.ID] = u
		if _, err := w.communities.SetPassword(ctx, cr.Community, email, livePassword); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// client returns an HTTP client that keeps cookies and does not follow
// redirects.
func (w *liveWorld) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signIn signs the teammate of community name in through the form.
func (w *liveWorld) signIn(name string) *http.Client {
	w.t.Helper()
	c := w.client()
	resp, err := c.PostForm(w.signin.URL+"/signin", url.Values{
		"community": {name}, "email": {"agent@" + strings.ToLower(name) + ".example"}, "password": {livePassword},
	})
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		w.t.Fatalf("sign in to %s: status %d", name, resp.StatusCode)
	}
	return c
}

func (w *liveWorld) newTicket(cm *openboards.Community, title string) int64 {
	w.t.Helper()
	email := "customer@example.com"
	id, err := w.tickets.CreateTicket(context.Background(), cm, ticket.CreateTicketInput{
		Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI,
		Title: title, Message: "Hello", Creator: &ticket.CreatorInput{Email: &email},
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// sseEvent is one event of a stream: its fields, or a comment.
type sseEvent struct {
	event, data, id, retry, comment string
}

// liveStream reads a text/event-stream response event by event.
type liveStream struct {
	t      *testing.T
	resp   *http.Response
	events chan sseEvent
}

// openLive opens the live stream of community name with c; the caller
// checks the status.
func (w *liveWorld) openLive(c *http.Client, name string) *liveStream {
	w.t.Helper()
	return w.openLiveFrom(c, name, "")
}

// openLiveFrom is openLive resuming from lastID, as a browser does when it
// reconnects.
func (w *liveWorld) openLiveFrom(c *http.Client, name, lastID string) *liveStream {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.srv.URL+"/"+name+"/live", nil)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := c.Do(req)
	if err != nil {
		cancel()
		w.t.Fatal(err)
	}
	s := &liveStream{t: w.t, resp: resp, events: make(chan sseEvent, 64)}
	w.t.Cleanup(func() {
		cancel()
		resp.Body.Close()
	})
	go s.read()
	return s
}

func (s *liveStream) read() {
	defer close(s.events)
	r := bufio.NewReader(s.resp.Body)
	var e sseEvent
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(line, "\n")
		switch k, v, _ := strings.Cut(line, ":"); {
		case line == "":
			if e != (sseEvent{}) {
				s.events <- e
			}
			e = sseEvent{}
		case k == "":
			e.comment = strings.TrimSpace(v)
		case k == "event":
			e.event = strings.TrimPrefix(v, " ")
		case k == "data":
			e.data = strings.TrimPrefix(v, " ")
		case k == "id":
			e.id = strings.TrimPrefix(v, " ")
		case k == "retry":
			e.retry = strings.TrimPrefix(v, " ")
		}
	}
}

// next returns the next event, failing when none comes within d.
func (s *liveStream) next(d time.Duration) sseEvent {
	s.t.Helper()
	select {
	case e, ok := <-s.events:
		if !ok {
			s.t.Fatal("the stream ended")
		}
		return e
	case <-time.After(d):
		s.t.Fatalf("no event within %v", d)
	}
	return sseEvent{}
}

// ticket returns the id of the next ticket event, skipping comments.
func (s *liveStream) ticket(d time.Duration) int64 {
	s.t.Helper()
	id, _ := s.ticketEvent(d)
	return id
}

// ticketEvent returns the ticket id and the event id of the next ticket
// event, skipping comments.
func (s *liveStream) ticketEvent(d time.Duration) (int64, string) {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for {
		e := s.next(time.Until(deadline))
		if e.comment != "" {
			continue
		}
		if e.event != "ticket" {
			s.t.Fatalf("event %+v, want a ticket event", e)
		}
		id, err := strconv.ParseInt(e.data, 10, 64)
		if err != nil {
			s.t.Fatalf("ticket event with data %q", e.data)
		}
		return id, e.id
	}
}

// started checks the response and reads the opening retry field, after
// which the stream is subscribed, and returns the id it starts from.
func (s *liveStream) started() string {
	s.t.Helper()
	if s.resp.StatusCode != http.StatusOK {
		s.t.Fatalf("status %d, want 200", s.resp.StatusCode)
	}
	if ct := s.resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		s.t.Fatalf("Content-Type %q", ct)
	}
	if cc := s.resp.Header.Get("Cache-Control"); cc != "no-store" {
		s.t.Errorf("Cache-Control %q", cc)
	}
	e := s.next(2 * time.Second)
	if e.retry != "3000" || e.id == "" {
		s.t.Fatalf("first event %+v, want retry: 3000 and an id", e)
	}
	return e.id
}

// TestLiveStream opens the stream and expects an event for each change of
// one of the community's tickets made through the ticket service, and none
// for another community's.
func TestLiveStream(t *testing.T) {
	t.Parallel()
	// Timeouts shorter than the test: the stream must not be cut by them.
	w := newLiveWorld(t, 500*time.Millisecond)
	s := w.openLive(w.signIn("Acme"), "Acme")
	s.started()

	time.Sleep(700 * time.Millisecond)
	w.newTicket(w.other, "Not yours")
	id := w.newTicket(w.acme, "Printer on fire")
	if got := s.ticket(2 * time.Second); got != id {
		t.Fatalf("event for ticket %d, want %d", got, id)
	}

	time.Sleep(700 * time.Millisecond)
	ctx := context.Background()
	if _, err := w.tickets.CreateReply(ctx, w.acme, id, ticket.CreateReplyInput{
		Author: openboards.UserRef{ID: w.acme.APIUserID}, Message: "Have you tried water?",
	}); err != nil {
		t.Fatal(err)
	}
	if got := s.ticket(2 * time.Second); got != id {
		t.Fatalf("event for ticket %d after a reply, want %d", got, id)
	}
	if _, err := w.tickets.CreateNote(ctx, w.acme, id, ticket.NoteInput{
		Author: openboards.UserRef{ID: w.agents[w.acme.ID].ID}, Message: "Escalate",
	}); err != nil {
		t.Fatal(err)
	}
	if got := s.ticket(2 * time.Second); got != id {
		t.Fatalf("event for ticket %d after a note, want %d", got, id)
	}

	// A burst of changes of two tickets sends each ticket once.
	for _, tid := range []int64{id, id + 1, id, id} {
		w.hub.Publish(live.Event{Type: live.TicketChanged, CommunityID: w.acme.ID, TicketID: tid})
	}
	a, aID := s.ticketEvent(2 * time.Second)
	b, bID := s.ticketEvent(2 * time.Second)
	if a != id || b != id+1 {
		t.Fatalf("a burst sent %d, %d, want %d, %d", a, b, id, id+1)
	}
	// Only the burst's last event carries an id, that of the last change.
	if aID != "" || bID == "" {
		t.Fatalf("a burst's events have ids %q, %q; want only the last", aID, bID)
	}
	// The next event is for the next change: the burst sent no more.
	w.hub.Publish(live.Event{Type: live.TicketChanged, CommunityID: w.acme.ID, TicketID: id + 2})
	if got := s.ticket(2 * time.Second); got != id+2 {
		t.Fatalf("after a burst: ticket %d, want %d", got, id+2)
	}

	// Another community's stream hears nothing of Acme's.
	o := w.openLive(w.signIn("Other"), "Other")
	o.started()
	w.newTicket(w.acme, "Third")
	theirs := w.newTicket(w.other, "Theirs")
	if got := o.ticket(2 * time.Second); got != theirs {
		t.Fatalf("Other's stream got ticket %d, want %d", got, theirs)
	}
}

// TestLiveResume checks that a stream reopened with the id of the last
// event it received (as a browser sends it in Last-Event-ID) gets the
// changes made while it was closed, and with an id the server does not
// know, a 0 (anything may have changed).
func TestLiveResume(t *testing.T) {
	t.Parallel()
	w := newLiveWorld(t, 10*time.Second)
	c := w.signIn("Acme")
	s := w.openLive(c, "Acme")
	from := s.started()
	first := w.newTicket(w.acme, "First")
	got, last := s.ticketEvent(2 * time.Second)
	if got != first || last == "" || last == from {
		t.Fatalf("ticket %d with id %q (the stream started from %q), want ticket %d with a new id", got, last, from, first)
	}
	s.resp.Body.Close()
	waitSubscribers(t, w.hub, 0)

	// Missed while closed.
	second := w.newTicket(w.acme, "Second")
	w.newTicket(w.other, "Not yours")
	third := w.newTicket(w.acme, "Third")

	r := w.openLiveFrom(c, "Acme", last)
	if from := r.started(); from != last {
		t.Fatalf("the resumed stream starts from %q, want %q", from, last)
	}
	a, _ := r.ticketEvent(2 * time.Second)
	b, bID := r.ticketEvent(2 * time.Second)
	if a != second || b != third || bID == "" {
		t.Fatalf("resumed with tickets %d, %d (id %q), want %d, %d", a, b, bID, second, third)
	}
	fourth := w.newTicket(w.acme, "Fourth")
	if got := r.ticket(2 * time.Second); got != fourth {
		t.Fatalf("after resuming: ticket %d, want %d", got, fourth)
	}

	// A stream opened before anything happened resumes from where it
	// started.
	r2 := w.openLiveFrom(c, "Acme", from)
	r2.started()
	if got := r2.ticket(2 * time.Second); got != first {
		t.Fatalf("resuming from the start: ticket %d, want %d", got, first)
	}

	// An id from another server, or a restarted one: refresh everything.
	u := w.openLiveFrom(c, "Acme", "0123456789abcdef-3")
	u.started()
	if got, id := u.ticketEvent(2 * time.Second); got != 0 || id == "" {
		t.Fatalf("resuming from an unknown id: ticket %d (id %q), want 0", got, id)
	}
}

// TestLiveRequiresSignIn checks that the stream is for signed-in teammates
// of its own community.
func TestLiveRequiresSignIn(t *testing.T) {
	t.Parallel()
	w := newLiveWorld(t, 10*time.Second)

	resp, err := w.client().Get(w.srv.URL + "/Acme/live")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin?") {
		t.Fatalf("without a session: status %d to %q, want a redirect to sign in", resp.StatusCode, resp.Header.Get("Location"))
	}

	// A teammate of Other cannot listen to Acme.
	s := w.openLive(w.signIn("Other"), "Acme")
	if s.resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another community's stream: status %d, want 404", s.resp.StatusCode)
	}
	if ct := s.resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/event-stream") {
		t.Fatal("another community's stream was opened")
	}
	if n := w.hub.Subscribers(); n != 0 {
		t.Fatalf("%d subscriptions after refused streams", n)
	}
}

// TestLiveStreamEnds checks that a stream ends, and its subscription with
// it, when the client goes away and when the hub closes (as the server
// shuts down).
func TestLiveStreamEnds(t *testing.T) {
	t.Parallel()
	w := newLiveWorld(t, 10*time.Second)
	c := w.signIn("Acme")

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.srv.URL+"/Acme/live", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	bufio.NewReader(resp.Body).ReadString('\n')
	if n := w.hub.Subscribers(); n != 1 {
		t.Fatalf("%d subscriptions, want 1", n)
	}
	cancel()
	resp.Body.Close()
	waitSubscribers(t, w.hub, 0)

	s := w.openLive(c, "Acme")
	s.started()
	w.hub.Close()
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return
			}
		case <-time.After(2 * time.Second):
			t.Fatal("the stream stayed open after the hub closed")
		}
	}
}

func waitSubscribers(t *testing.T, h *live.Hub, want int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for h.Subscribers() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscriptions, want %d", h.Subscribers(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLiveHeartbeat checks that an idle stream sends comments. It changes
// the heartbeat interval, so it does not run in parallel.
func TestLiveHeartbeat(t *testing.T) {
	defer inbox.SetLiveHeartbeat(50 * time.Millisecond)()
	w := newLiveWorld(t, 10*time.Second)
	s := w.openLive(w.signIn("Acme"), "Acme")
	s.started()
	for range 2 {
		if e := s.next(2 * time.Second); e.comment == "" || e.event != "" {
			t.Fatalf("idle stream sent %+v, want a comment", e)
		}
	}
	// Close the stream before the interval is restored.
	w.srv.CloseClientConnections()
	w.srv.Close()
}

// TestLivePage checks that signed-in pages load live.js and name the
// stream, and the open ticket carries its id.
func TestLivePage(t *testing.T) {
	t.Parallel()
	w := newLiveWorld(t, 10*time.Second)
	id := w.newTicket(w.acme, "Visible")
	c := w.signIn("Acme")
	resp, err := c.Get(w.srv.URL + "/Acme/tickets?ticketId=" + strconv.FormatInt(id, 10))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	for _, want := range []string{`<body data-live="/Acme/live" data-seen="/Acme/chat/seen"`, `<section class="list" data-live-part="list"`, `data-ticket-id="` + strconv.FormatInt(id, 10) + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	i := strings.Index(page, `<script src="/static/`)
	if i < 0 || !strings.Contains(page[i:], `/live.js" defer></script>`) {
		t.Fatal("the page does not load live.js")
	}
	src := page[i+len(`<script src="`):]
	src = src[:strings.Index(src, `"`)]
	js, err := http.Get(w.srv.URL + src)
	if err != nil {
		t.Fatal(err)
	}
	js.Body.Close()
	if js.StatusCode != http.StatusOK || js.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("GET %s: %d %s", src, js.StatusCode, js.Header.Get("Content-Type"))
	}

	// The sign-in page has neither.
	resp, err = http.Get(w.srv.URL + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), "live.js") || strings.Contains(string(body), "data-live") {
		t.Fatal("the sign-in page loads live updates")
	}
}

// TestLiveOff checks that without a hub the stream answers 204, which
// tells browsers not to reconnect.
func TestLiveOff(t *testing.T) {
	t.Parallel()
	w := newLiveWorld(t, 10*time.Second)
	h, err := inbox.NewHandler(nil, w.tickets, w.communities, inbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := w.signIn("Acme")
	u, _ := url.Parse(w.srv.URL)
	srvURL, _ := url.Parse(srv.URL)
	c.Jar.SetCookies(srvURL, c.Jar.Cookies(u))
	resp, err := c.Get(srv.URL + "/Acme/live")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d, want 204", resp.StatusCode)
	}
}

// TestLiveTyping: a teammate's or a client's typing in a conversation
// reaches the community's stream at once, as a "typing" event without an
// id; a plain ticket takes none.
func TestLiveTyping(t *testing.T) {
	t.Parallel()
	w := newLiveWorld(t, 10*time.Second)
	ctx := context.Background()
	chats := chat.NewService(w.store, w.tickets, time.Now)
	v, err := chats.Create(ctx, w.acme, chat.CreateInput{Author: &chat.UserValue{Name: "Kim", Email: "kim@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	id := v.Ticket.ID
	c := w.signIn("Acme")
	s := w.openLive(c, "Acme")
	s.started()

	resp, err := c.Get(w.srv.URL + "/Acme/chat")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no csrf token on the desk")
	}
	csrf := html.UnescapeString(string(m[1]))
	post := func(path string) int {
		t.Helper()
		resp, err := c.PostForm(w.srv.URL+path, url.Values{"csrf": {csrf}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(fmt.Sprintf("/Acme/tickets/%d/typing", id)); code != http.StatusNoContent {
		t.Fatalf("typing: %d", code)
	}
	agent := w.agents[w.acme.ID]
	want := func(userID, name string) {
		t.Helper()
		for {
			e := s.next(5 * time.Second)
			if e.comment != "" {
				continue
			}
			var d struct {
				TicketID int64
				UserID   string
				Name     string
			}
			if e.event != "typing" || e.id != "" || json.Unmarshal([]byte(e.data), &d) != nil || d.TicketID != id || d.UserID != userID || d.Name != name {
				t.Fatalf("event %+v, want typing of %s in %d", e, name, id)
			}
			return
		}
	}
	want(agent.ID, agent.Name)
	if err := chats.Typing(ctx, w.acme, id, ""); err != nil {
		t.Fatal(err)
	}
	want(v.Ticket.AuthorID, "Kim")

	// A ticket is no conversation; another community's conversation is
	// not found.
	tk := w.newTicket(w.acme, "Printer")
	if code := post(fmt.Sprintf("/Acme/tickets/%d/typing", tk)); code != http.StatusNotFound {
		t.Fatalf("typing in a ticket: %d", code)
	}
	ov, err := chats.Create(ctx, w.other, chat.CreateInput{Author: &chat.UserValue{Email: "x@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if code := post(fmt.Sprintf("/Acme/tickets/%d/typing", ov.Ticket.ID)); code != http.StatusNotFound {
		t.Fatalf("typing in another community's conversation: %d", code)
	}
	// The next event is a real change, not a typing event of the refused
	// requests.
	w.newTicket(w.acme, "After")
	if got, _ := s.ticketEvent(5 * time.Second); got == 0 {
		t.Fatal("no ticket event after the refusals")
	}
}

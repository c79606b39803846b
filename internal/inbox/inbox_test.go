package inbox_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"openboards/internal/chat"
	"openboards/internal/community"
	"openboards/internal/inbox"
	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/sqlite"
	"openboards/internal/ticket"
	"openboards/internal/token"
)

const password = "correct horse battery staple"

// The one answer to a failed sign-in.
const signInError = "the community, e-mail or password is not right"

// stepClock returns a later time on every call, so tickets created one
// after another have distinct, ordered times.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// harness is one test's server: a real SQLite store, the services, the
// inbox on an httptest server, community acme with an admin, a team
// member and a read-only teammate (all with password), and a second
// community, other.
type harness struct {
	t           *testing.T
	ctx         context.Context
	store       *sqlite.Store
	tickets     *ticket.Service
	chat        *chat.Service
	communities *community.Service
	handler     http.Handler
	srv         *httptest.Server

	acme, other             *openboards.Community
	admin, member, readOnly *openboards.User
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, inbox.Options{})
}

func newHarnessWith(t *testing.T, opt inbox.Options) *harness {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "openboards.db"), sqlite.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	communities, err := community.NewService(ctx, store, time.Now, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := &stepClock{t: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)}
	h := &harness{t: t, ctx: ctx, store: store, tickets: ticket.NewService(store, ticket.NoEvents, live.Discard, clock.now), communities: communities}
	h.chat = chat.NewService(store, h.tickets, clock.now)
	if opt.Chat == nil {
		opt.Chat = h.chat
	}
	handler, err := inbox.NewHandler(store, h.tickets, communities, opt)
	if err != nil {
		t.Fatal(err)
	}
	h.handler = handler
	h.srv = httptest.NewServer(handler)
	t.Cleanup(h.srv.Close)

	for _, name := range []string{"acme", "other"} {
		c, err := communities.Create(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if name == "acme" {
			h.acme = c.Community
		} else {
			h.other = c.Community
		}
	}
	h.admin = h.teammate(h.acme, "ada@acme.test", "Ada Admin", "admin")
	h.member = h.teammate(h.acme, "max@acme.test", "Max Member", "team_member")
	h.readOnly = h.teammate(h.acme, "rita@acme.test", "Rita Reader", "read_only_user")
	return h
}

func (h *harness) teammate(cm *openboards.Community, email, name, role string) *openboards.User {
	h.t.Helper()
	u, err := h.communities.AddTeammate(h.ctx, cm, community.TeammateInput{Email: email, Name: name, Role: role})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.communities.SetPassword(h.ctx, cm, email, password); err != nil {
		h.t.Fatal(err)
	}
	return u
}

func ptr[T any](v T) *T { return &v }

// newTicket opens a ticket in cm from customer Bill and returns its id.
func (h *harness) newTicket(cm *openboards.Community, title, message string) int64 {
	h.t.Helper()
	id, err := h.tickets.CreateTicket(h.ctx, cm, ticket.CreateTicketInput{
		Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI,
		Title: title, Message: message, Creator: &ticket.CreatorInput{Name: ptr("Bill Smith"), Email: ptr("bill@example.com")},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *harness) setStatus(id int64, status string) {
	h.t.Helper()
	if err := h.tickets.UpdateTicketStatus(h.ctx, h.acme, id, status); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) category(name string, parent *int64) *openboards.Category {
	h.t.Helper()
	c, err := h.tickets.CreateCategory(h.ctx, h.acme, ticket.CategoryInput{Name: &name, ParentID: &parent})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *harness) ticket(id int64) *openboards.Ticket {
	h.t.Helper()
	t, err := h.store.FindTicketByID(h.ctx, h.acme.ID, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

func (h *harness) replies(id int64) []*openboards.Reply {
	h.t.Helper()
	rs, err := h.store.FindReplies(h.ctx, h.acme.ID, id, 0, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	return rs
}

func (h *harness) notes(id int64) []*openboards.Note {
	h.t.Helper()
	ns, err := h.store.FindNotes(h.ctx, h.acme.ID, id, 0, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	return ns
}

func (h *harness) log(id int64) []*openboards.LogEntry {
	h.t.Helper()
	es, err := h.store.FindLogEntries(h.ctx, h.acme.ID, id, nil, 0, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	return es
}

// lastLog returns the newest log entry of a ticket of the given type.
func (h *harness) lastLog(id int64, typ string) *openboards.LogEntry {
	h.t.Helper()
	var last *openboards.LogEntry
	for _, e := range h.log(id) {
		if e.ActionType == typ && (last == nil || e.ID > last.ID) {
			last = e
		}
	}
	if last == nil {
		h.t.Fatalf("ticket %d has no %s log entry", id, typ)
	}
	return last
}

// snapshot is what the ticket actions can change, to show that a refused
// action changed nothing.
func (h *harness) snapshot(id int64) string {
	h.t.Helper()
	t := h.ticket(id)
	return fmt.Sprintf("status=%s assignee=%v category=%v tags=%q replies=%d notes=%d log=%d",
		t.Status, deref(t.AssigneeID), deref(t.CategoryID), t.Tags, len(h.replies(id)), len(h.notes(id)), len(h.log(id)))
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// browser is one teammate's browser: it keeps cookies and does not
// follow redirects, so tests see them.
type browser struct {
	t *testing.T
	h *harness
	c *http.Client
}

func (h *harness) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return &browser{t: h.t, h: h, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is a read response.
type response struct {
	*http.Response
	body string
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return response{resp, string(body)}
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.h.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post submits a form; header holds extra request headers as name, value
// pairs.
func (b *browser) post(path string, form url.Values, header ...string) response {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.h.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// ok fails unless a page answered 200.
func (b *browser) ok(path string) string {
	b.t.Helper()
	r := b.get(path)
	if r.StatusCode != http.StatusOK {
		b.t.Fatalf("GET %s: %d, want 200\n%s", path, r.StatusCode, r.body)
	}
	return r.body
}

func (h *harness) signedIn(email string) *browser {
	h.t.Helper()
	b := h.browser()
	r := b.post("/signin", url.Values{"community": {"acme"}, "email": {email}, "password": {password}})
	if r.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("sign in as %s: %d\n%s", email, r.StatusCode, r.body)
	}
	return b
}

var csrfInput = regexp.MustCompile(`<input type="hidden" name="csrf" value="([^"]+)">`)

// csrf reads the CSRF token from a page's forms.
func (b *browser) csrf(page string) string {
	b.t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no csrf input in the page:\n%s", page)
	}
	return html.UnescapeString(m[1])
}

// sessionCookie returns the session cookie the browser holds.
func (b *browser) sessionCookie() *http.Cookie {
	b.t.Helper()
	u, _ := url.Parse(b.h.srv.URL + "/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "openboards_session" {
			return c
		}
	}
	b.t.Fatal("no session cookie")
	return nil
}

func wantStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, want, r.body)
	}
}

func wantRedirect(t *testing.T, r response, want string) {
	t.Helper()
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != want {
		t.Fatalf("%s %s: %d to %q, want 303 to %q\n%s", r.Request.Method, r.Request.URL, r.StatusCode, r.Header.Get("Location"), want, r.body)
	}
}

var titles = regexp.MustCompile(`<span class="title">([^<]*)</span>`)

// listed returns the titles of a list page's tickets, in order.
func listed(page string) []string {
	var out []string
	for _, m := range titles.FindAllStringSubmatch(page, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

var tab = regexp.MustCompile(`<a href="([^"]*)"( aria-current="page")?>(\w+) <span class="count">(\d+)</span></a>`)

// tabs returns a list page's status tabs as "Label=count", the current one
// marked with a star.
func tabs(page string) []string {
	var out []string
	for _, m := range tab.FindAllStringSubmatch(page, -1) {
		s := m[3] + "=" + m[4]
		if m[2] != "" {
			s += "*"
		}
		out = append(out, s)
	}
	return out
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := h.browser()

	// A page needs a session; without one it sends to the sign-in form,
	// remembering where it was going.
	r := b.get("/acme/tickets?status=pending")
	wantRedirect(t, r, "/signin?next="+url.QueryEscape("/acme/tickets?status=pending"))
	for _, path := range []string{"/acme/account", "/acme/settings", "/Acme/tickets"} {
		if r := b.get(path); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin?next=") {
			t.Errorf("GET %s without a session: %d to %q", path, r.StatusCode, r.Header.Get("Location"))
		}
	}
	wantRedirect(t, b.get("/"), "/signin")

	form := b.ok(r.Header.Get("Location"))
	for _, id := range []string{"community", "email", "password"} {
		if !strings.Contains(form, `<label for="`+id+`">`) || !regexp.MustCompile(`<input id="`+id+`" name="`+id+`"[^>]* required`).MatchString(form) {
			t.Errorf("the sign-in form has no labelled, required %s input:\n%s", id, form)
		}
	}
	if !strings.Contains(form, `<input id="password" name="password" type="password"`) {
		t.Error("the password input does not hide what is typed")
	}
	if !strings.Contains(form, `<form method="post" action="/signin">`) {
		t.Error("the form does not post to /signin")
	}
	if !strings.Contains(form, `<input type="hidden" name="next" value="/acme/tickets?status=pending">`) {
		t.Errorf("the form does not carry next:\n%s", form)
	}
	if r := b.get("/signin"); r.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
		r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("sign-in page headers %v", r.Header)
	}

	// Every failure gets the same 401 page, and no cookie.
	for _, f := range []url.Values{
		{"community": {"acme"}, "email": {"max@acme.test"}, "password": {"not the password"}},
		{"community": {"acme"}, "email": {"nobody@acme.test"}, "password": {password}},
		{"community": {"nowhere"}, "email": {"max@acme.test"}, "password": {password}},
		{"community": {"other"}, "email": {"max@acme.test"}, "password": {password}},
	} {
		r := b.post("/signin", f)
		wantStatus(t, r, http.StatusUnauthorized)
		if !strings.Contains(r.body, signInError) || !strings.Contains(r.body, `role="alert"`) {
			t.Errorf("failed sign-in page has no error:\n%s", r.body)
		}
		if len(r.Cookies()) != 0 {
			t.Errorf("failed sign-in set cookies %v", r.Cookies())
		}
		// The form keeps what was typed, except the password.
		if !strings.Contains(r.body, `value="`+f.Get("email")+`"`) || strings.Contains(r.body, f.Get("password")) {
			t.Errorf("failed sign-in form:\n%s", r.body)
		}
	}
	wantRedirect(t, b.get("/acme/tickets"), "/signin?next=%2Facme%2Ftickets")

	r = b.post("/signin", url.Values{"community": {"ACME"}, "email": {"max@acme.test"}, "password": {password}})
	wantRedirect(t, r, "/acme/tickets")
	var cookie *http.Cookie
	for _, c := range r.Cookies() {
		if c.Name == "openboards_session" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatalf("no session cookie in %v", r.Header["Set-Cookie"])
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.Secure ||
		cookie.MaxAge != int(community.SessionTTL/time.Second) || cookie.Value == "" {
		t.Errorf("session cookie %+v (%q)", cookie, r.Header["Set-Cookie"])
	}
	if _, err := h.store.FindSessionByHash(h.ctx, token.Hash(cookie.Value)); err != nil {
		t.Errorf("the cookie names no stored session: %v", err)
	}
	if page := b.ok("/acme/tickets"); !strings.Contains(page, "Max Member") {
		t.Error("the ticket list does not show who is signed in")
	}

	// A safe next page is followed; anything leading elsewhere is not.
	for next, want := range map[string]string{
		"/acme/tickets?status=pending": "/acme/tickets?status=pending",
		"/acme/account":                "/acme/account",
		"":                             "/acme/tickets",
		"//evil.example/x":             "/acme/tickets",
		"https://evil.example":         "/acme/tickets",
		"http://evil.example/acme":     "/acme/tickets",
		`/\evil.example`:               "/acme/tickets",
		"/\t/evil.example":             "/acme/tickets",
		"/\n/evil.example":             "/acme/tickets",
		"/\r\n/evil.example":           "/acme/tickets",
		"javascript:alert(1)":          "/acme/tickets",
		"evil.example":                 "/acme/tickets",
	} {
		r := h.browser().post("/signin", url.Values{"community": {"acme"}, "email": {"max@acme.test"}, "password": {password}, "next": {next}})
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != want {
			t.Errorf("sign in with next %q: %d to %q, want %q", next, r.StatusCode, r.Header.Get("Location"), want)
		}
	}
}

func TestSignOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := h.signedIn("max@acme.test")
	other := h.signedIn("max@acme.test")
	old := b.sessionCookie().Value
	page := b.ok("/acme/tickets")

	// Signing out is a form with the CSRF token.
	wantStatus(t, b.post("/signout", nil), http.StatusForbidden)
	b.ok("/acme/tickets")

	r := b.post("/signout", url.Values{"csrf": {b.csrf(page)}})
	wantRedirect(t, r, "/signin?community=acme")
	if cs := r.Cookies(); len(cs) != 1 || cs[0].Name != "openboards_session" || cs[0].MaxAge >= 0 || cs[0].Value != "" {
		t.Errorf("sign-out cookies %+v, want the session cookie removed", cs)
	}
	wantRedirect(t, b.get("/acme/tickets"), "/signin?next=%2Facme%2Ftickets")
	if _, err := h.store.FindSessionByHash(h.ctx, token.Hash(old)); openboards.ErrorCode(err) != openboards.CodeNotFound {
		t.Errorf("the session is still stored: %v", err)
	}

	// The old cookie, sent again by hand, no longer works.
	replay := h.browser()
	req, _ := http.NewRequest("GET", h.srv.URL+"/acme/tickets", nil)
	req.AddCookie(&http.Cookie{Name: "openboards_session", Value: old})
	if r := replay.do(req); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin") {
		t.Errorf("the old cookie after sign-out: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	req, _ = http.NewRequest("POST", h.srv.URL+"/signout", strings.NewReader(url.Values{"csrf": {b.csrf(page)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "openboards_session", Value: old})
	wantStatus(t, replay.do(req), http.StatusUnauthorized)

	// The teammate's other session lives on.
	other.ok("/acme/tickets")
}

func TestTicketList(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	billing := h.category("Billing", nil)
	refunds := h.category("Refunds", &billing.ID)
	fire := h.newTicket(h.acme, "Printer on fire", "It burns")
	lost := h.newTicket(h.acme, "Lost password", "Help")
	refund := h.newTicket(h.acme, "Refund please", "Money back")
	old := h.newTicket(h.acme, "Old thing", "Ancient")
	h.newTicket(h.acme, "Another open one", "Hi")
	h.newTicket(h.other, "Not acme's", "Elsewhere")
	h.setStatus(lost, "pending")
	h.setStatus(refund, "completed")
	h.setStatus(old, "archived")
	for id, cat := range map[int64]int64{fire: billing.ID, refund: refunds.ID} {
		if err := h.tickets.UpdateTicketCategory(h.ctx, h.acme, id, &cat); err != nil {
			t.Fatal(err)
		}
	}
	// A ticket from another source, stored as another channel would.
	mail := &openboards.Ticket{CommunityID: h.acme.ID, Title: "Sent by mail", Message: "Dear support", HTMLMessage: "<p>Dear support</p>",
		AuthorID: h.ticket(fire).AuthorID, Status: openboards.TicketOpen, Source: "email", DetailedSource: "email",
		CreatedAt: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), LastActivityAt: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}
	if err := h.store.InTx(h.ctx, func(tx openboards.Tx) error { return tx.CreateTicket(h.ctx, mail) }); err != nil {
		t.Fatal(err)
	}
	b := h.signedIn("max@acme.test")

	page := b.ok("/acme/tickets")
	if got, want := tabs(page), []string{"Open=3*", "Pending=1", "Completed=1", "Archived=1", "All=6"}; !slices.Equal(got, want) {
		t.Errorf("tabs %v, want %v", got, want)
	}
	if got, want := listed(page), []string{"Sent by mail", "Another open one", "Printer on fire"}; !slices.Equal(got, want) {
		t.Errorf("open tickets %q, want %q", got, want)
	}
	if !strings.Contains(page, "Billing") || !strings.Contains(page, ">— Refunds</option>") {
		t.Errorf("the category filter does not list the category tree:\n%s", page)
	}

	for query, want := range map[string][]string{
		"status=pending":   {"Lost password"},
		"status=completed": {"Refund please"},
		"status=archived":  {"Old thing"},
		"status=all":       {"Sent by mail", "Another open one", "Old thing", "Refund please", "Lost password", "Printer on fire"},
		"status=all&category=" + strconv.FormatInt(billing.ID, 10): {"Printer on fire"},
		"status=all&category=" + strconv.FormatInt(refunds.ID, 10): {"Refund please"},
		"status=all&category=none":                                 {"Sent by mail", "Another open one", "Old thing", "Lost password"},
		"category=none":                                            {"Sent by mail", "Another open one"},
		"status=all&source=email":                                  {"Sent by mail"},
		"status=all&source=api&category=none":                      {"Another open one", "Old thing", "Lost password"},
		"source=chat":                                              nil,
		"status=all&order=creation_time_asc":                       {"Printer on fire", "Lost password", "Refund please", "Old thing", "Another open one", "Sent by mail"},
		"status=all&order=creation_time_desc&source=api":           {"Another open one", "Old thing", "Refund please", "Lost password", "Printer on fire"},
		"status=open&order=last_thread_activity_asc":               {"Printer on fire", "Another open one", "Sent by mail"},
		"status=open&order=bogus":                                  {"Sent by mail", "Another open one", "Printer on fire"},
	} {
		page := b.ok("/acme/tickets?" + query)
		if got := listed(page); !slices.Equal(got, want) {
			t.Errorf("?%s lists %q, want %q", query, got, want)
		}
		if len(want) == 0 && !strings.Contains(page, "No tickets match.") {
			t.Errorf("?%s: an empty list does not say so", query)
		}
	}

	// The current filter shows in the tabs and the form.
	page = b.ok("/acme/tickets?status=pending&category=none&order=creation_time_asc&source=api")
	if got, want := tabs(page), []string{"Open=3", "Pending=1*", "Completed=1", "Archived=1", "All=6"}; !slices.Equal(got, want) {
		t.Errorf("tabs %v, want %v", got, want)
	}
	if !strings.Contains(page, `<option value="none" selected>`) || !strings.Contains(page, `<option value="creation_time_asc" selected>`) ||
		!strings.Contains(page, `<input id="source" name="source" value="api"`) {
		t.Errorf("the filter form does not show the filter:\n%s", page)
	}
	// Tabs keep the other filters.
	for _, m := range tab.FindAllStringSubmatch(page, -1) {
		q, err := url.ParseQuery(strings.TrimPrefix(html.UnescapeString(m[1]), "/acme/tickets?"))
		if err != nil || q.Get("category") != "none" || q.Get("order") != "creation_time_asc" || q.Get("source") != "api" {
			t.Errorf("tab %s links to %q", m[3], html.UnescapeString(m[1]))
		}
	}

	for _, query := range []string{"status=bogus", "category=abc", "ticketId=abc", "ticketId=-1"} {
		if r := b.get("/acme/tickets?" + query); r.StatusCode != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400", query, r.StatusCode)
		}
	}
}

var pagerLink = regexp.MustCompile(`<a href="([^"]*)" rel="(prev|next)">(Newer|Older)</a>`)

// pager returns a list page's Newer and Older links ("" when missing).
func pager(page string) (newer, older string) {
	for _, m := range pagerLink.FindAllStringSubmatch(page, -1) {
		if m[2] == "prev" {
			newer = html.UnescapeString(m[1])
		} else {
			older = html.UnescapeString(m[1])
		}
	}
	return newer, older
}

func TestPaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for i := 1; i <= 60; i++ {
		h.newTicket(h.acme, fmt.Sprintf("Ticket %02d", i), "Hello")
	}
	b := h.signedIn("max@acme.test")
	names := func(from, to int) []string {
		var out []string
		for i := from; i >= to; i-- {
			out = append(out, fmt.Sprintf("Ticket %02d", i))
		}
		return out
	}

	page := b.ok("/acme/tickets")
	if got := listed(page); !slices.Equal(got, names(60, 11)) {
		t.Fatalf("page 1 lists %d tickets %q, want Ticket 60 to 11", len(got), got)
	}
	newer, older := pager(page)
	if newer != "" || older != "/acme/tickets?skip=50&status=open" {
		t.Fatalf("page 1 links: newer %q, older %q", newer, older)
	}
	page = b.ok(older)
	if got := listed(page); !slices.Equal(got, names(10, 1)) {
		t.Fatalf("page 2 lists %q, want Ticket 10 to 01", got)
	}
	newer, older = pager(page)
	if newer != "/acme/tickets?status=open" || older != "" {
		t.Fatalf("page 2 links: newer %q, older %q", newer, older)
	}
	if got := tabs(page); got[0] != "Open=60*" || got[4] != "All=60" {
		t.Errorf("tabs %v", got)
	}

	// Paging keeps the filter and order.
	page = b.ok("/acme/tickets?status=all&order=creation_time_asc")
	if got := listed(page); len(got) != 50 || got[0] != "Ticket 01" || got[49] != "Ticket 50" {
		t.Fatalf("ascending page 1 lists %q", got)
	}
	_, older = pager(page)
	if older != "/acme/tickets?order=creation_time_asc&skip=50&status=all" {
		t.Fatalf("ascending older link %q", older)
	}
	if got := listed(b.ok(older)); !slices.Equal(got, []string{"Ticket 51", "Ticket 52", "Ticket 53", "Ticket 54", "Ticket 55", "Ticket 56", "Ticket 57", "Ticket 58", "Ticket 59", "Ticket 60"}) {
		t.Fatalf("ascending page 2 lists %q", got)
	}
	// A middle page links both ways.
	newer, older = pager(b.ok("/acme/tickets?skip=5"))
	if newer != "/acme/tickets?status=open" || older != "/acme/tickets?skip=55&status=open" {
		t.Errorf("middle page links: newer %q, older %q", newer, older)
	}
	// Exactly a page has no Older link.
	if _, older := pager(b.ok("/acme/tickets?skip=10")); older != "" {
		t.Errorf("the last full page links to an empty one: %q", older)
	}
}

func TestTicketView(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.newTicket(h.acme, `<script>alert("title")</script> Printer`, `My <b>printer</b> is on fire<script>alert("message")</script>`)
	if _, err := h.tickets.CreateReply(h.ctx, h.acme, id, ticket.CreateReplyInput{Author: openboards.UserRef{ID: h.admin.ID}, Message: "Have you tried water?"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.tickets.CreateReply(h.ctx, h.acme, id, ticket.CreateReplyInput{Author: openboards.UserRef{Email: "bill@example.com"}, Message: "It is <worse> now"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.tickets.CreateNote(h.ctx, h.acme, id, ticket.NoteInput{Author: openboards.UserRef{ID: h.member.ID}, Message: "Call the fire brigade",
		MentionedUsers: []openboards.UserRef{{ID: h.admin.ID}}}); err != nil {
		t.Fatal(err)
	}
	otherID := h.newTicket(h.other, "Other community's secret", "Do not show")
	b := h.signedIn("max@acme.test")

	page := b.ok(fmt.Sprintf("/acme/tickets?ticketId=%d&status=all", id))
	for _, want := range []string{
		`&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; Printer <span class="id">#` + strconv.FormatInt(id, 10) + `</span>`,
		`<title>&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; Printer · Openboards</title>`,
		"<b>printer</b> is on fire",
		"Bill Smith &lt;bill@example.com&gt;",
		"Have you tried water?",
		"It is &lt;worse&gt; now",
		"Call the fire brigade",
		"internal note",
		"Bill Smith created the ticket",
		"Ada Admin sent a reply",
		"Bill Smith sent a reply",
		"Max Member added a note mentioning Ada Admin",
		`<li class="open">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the ticket page does not contain %q", want)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "alert(\"") {
		t.Errorf("the page holds a script from the ticket:\n%s", page)
	}
	// The thread is in order: the team reply, the customer's answer, the note.
	water, worse, note := strings.Index(page, "Have you tried water?"), strings.Index(page, "It is &lt;worse&gt; now"), strings.Index(page, "Call the fire brigade")
	if !(water < worse && worse < note) {
		t.Errorf("thread out of order: %d, %d, %d", water, worse, note)
	}
	// A team member gets the forms.
	for _, action := range []string{"reply", "note", "status", "assignee", "category", "tags"} {
		if !strings.Contains(page, fmt.Sprintf(`action="/acme/tickets/%d/%s"`, id, action)) {
			t.Errorf("no %s form", action)
		}
	}

	// A ticket of another community, or none at all, is not found.
	for _, tid := range []int64{otherID, 999999} {
		r := b.get(fmt.Sprintf("/acme/tickets?ticketId=%d", tid))
		wantStatus(t, r, http.StatusNotFound)
		if strings.Contains(r.body, "Other community") || strings.Contains(r.body, "Do not show") {
			t.Errorf("the 404 page shows the other community's ticket")
		}
	}
}

// action posts a ticket action as b, with the CSRF token of the ticket's
// page.
func (b *browser) action(id int64, action string, form url.Values) response {
	b.t.Helper()
	page := b.ok(fmt.Sprintf("/acme/tickets?ticketId=%d&status=all", id))
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf(page))
	return b.post(fmt.Sprintf("/acme/tickets/%d/%s", id, action), form)
}

func TestActions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.newTicket(h.acme, "Printer on fire", "It burns")
	cat := h.category("Hardware", nil)
	b := h.signedIn("max@acme.test")
	done := fmt.Sprintf("/acme/tickets?ticketId=%d&status=all&done=1", id)

	// Reply: by the signed-in teammate, and a teammate's reply moves an
	// open ticket to pending.
	wantRedirect(t, b.action(id, "reply", url.Values{"message": {"Have you tried <water>?"}}), done)
	rs := h.replies(id)
	if len(rs) != 1 || rs[0].AuthorID != h.member.ID || !rs[0].IsByTeam || rs[0].Message != "Have you tried <water>?" || rs[0].IsDraft {
		t.Fatalf("replies %+v", rs)
	}
	if e := h.lastLog(id, openboards.ActionReplyCreated); e.UserID != h.member.ID {
		t.Errorf("reply logged by %s, want %s", e.UserID, h.member.ID)
	}
	if st := h.ticket(id).Status; st != openboards.TicketPending {
		t.Errorf("status after a team reply %s", st)
	}
	page := b.ok(done)
	if !strings.Contains(page, "Saved.") || !strings.Contains(page, "Max Member sent a reply") || !strings.Contains(page, "Have you tried &lt;water&gt;?") {
		t.Errorf("the page after replying:\n%s", page)
	}
	wantRedirect(t, b.action(id, "reply", url.Values{"message": {"Fixed."}, "complete": {"1"}}), done)
	if st := h.ticket(id).Status; st != openboards.TicketCompleted {
		t.Errorf("status after a completing reply %s", st)
	}
	if e := h.lastLog(id, openboards.ActionTicketStatusChanged); e.UserID != h.member.ID {
		t.Errorf("status change logged by %s", e.UserID)
	}
	wantStatus(t, b.action(id, "reply", url.Values{"message": {"  "}}), http.StatusBadRequest)
	if n := len(h.replies(id)); n != 2 {
		t.Errorf("%d replies after an empty one was refused", n)
	}

	// Note, with mentions.
	wantRedirect(t, b.action(id, "note", url.Values{"message": {"Ask Ada"}, "mention": {h.admin.ID, h.readOnly.ID}}), done)
	ns := h.notes(id)
	if len(ns) != 1 || ns[0].AuthorID != h.member.ID || ns[0].Message != "Ask Ada" || !slices.Equal(ns[0].MentionedUserIDs, []string{h.admin.ID, h.readOnly.ID}) {
		t.Fatalf("notes %+v", ns)
	}
	if e := h.lastLog(id, openboards.ActionNoteCreated); e.UserID != h.member.ID {
		t.Errorf("note logged by %s", e.UserID)
	}
	if page := b.ok(done); !strings.Contains(page, "Max Member added a note mentioning Ada Admin, Rita Reader") {
		t.Errorf("the log does not show the note's mentions:\n%s", page)
	}
	wantStatus(t, b.action(id, "note", url.Values{"message": {"Ask the customer"}, "mention": {h.ticket(id).AuthorID}}), http.StatusBadRequest)

	// Status.
	wantRedirect(t, b.action(id, "status", url.Values{"status": {"archived"}}), done)
	if st := h.ticket(id).Status; st != openboards.TicketArchived {
		t.Errorf("status %s, want archived", st)
	}
	e := h.lastLog(id, openboards.ActionTicketStatusChanged)
	if e.UserID != h.member.ID || !strings.Contains(e.ActionString, `"Archived"`) {
		t.Errorf("status log entry %+v", e)
	}
	if page := b.ok(done); !strings.Contains(page, `Max Member changed the status from &#34;Completed&#34; to &#34;Archived&#34;`) {
		t.Errorf("the history does not name the teammate:\n%s", page)
	}
	wantStatus(t, b.action(id, "status", url.Values{"status": {"bogus"}}), http.StatusBadRequest)

	// Assignee, guarded by the previous assignee.
	wantRedirect(t, b.action(id, "assignee", url.Values{"assignee": {h.admin.ID}, "previous": {""}}), done)
	if a := h.ticket(id).AssigneeID; a == nil || *a != h.admin.ID {
		t.Fatalf("assignee %v, want %s", deref(a), h.admin.ID)
	}
	if e := h.lastLog(id, openboards.ActionTicketAssignedToUser); e.UserID != h.member.ID {
		t.Errorf("assignment logged by %s", e.UserID)
	}
	if page := b.ok(done); !strings.Contains(page, `<input type="hidden" name="previous" value="`+h.admin.ID+`">`) ||
		!strings.Contains(page, "Max Member changed ticket assignee to Ada Admin") {
		t.Errorf("the page after assigning:\n%s", page)
	}
	before := h.snapshot(id)
	r := b.action(id, "assignee", url.Values{"assignee": {h.member.ID}, "previous": {""}})
	wantStatus(t, r, http.StatusConflict)
	if !strings.Contains(r.body, `role="alert"`) {
		t.Errorf("the conflict page does not say what went wrong:\n%s", r.body)
	}
	if after := h.snapshot(id); after != before {
		t.Errorf("a stale assignment changed the ticket: %s, was %s", after, before)
	}
	wantRedirect(t, b.action(id, "assignee", url.Values{"assignee": {h.member.ID}, "previous": {h.admin.ID}}), done)
	if a := h.ticket(id).AssigneeID; a == nil || *a != h.member.ID {
		t.Fatalf("assignee %v, want %s", deref(a), h.member.ID)
	}
	wantStatus(t, b.action(id, "assignee", url.Values{"assignee": {h.readOnly.ID}, "previous": {h.member.ID}}), http.StatusBadRequest)
	wantRedirect(t, b.action(id, "assignee", url.Values{"assignee": {""}, "previous": {h.member.ID}}), done)
	if a := h.ticket(id).AssigneeID; a != nil {
		t.Fatalf("assignee %s after unassigning", *a)
	}
	if e := h.lastLog(id, openboards.ActionTicketUnassigned); e.UserID != h.member.ID {
		t.Errorf("unassignment logged by %s", e.UserID)
	}

	// Category, and clearing it.
	wantRedirect(t, b.action(id, "category", url.Values{"category": {strconv.FormatInt(cat.ID, 10)}}), done)
	if c := h.ticket(id).CategoryID; c == nil || *c != cat.ID {
		t.Fatalf("category %v, want %d", deref(c), cat.ID)
	}
	if page := b.ok(done); !strings.Contains(page, "Max Member set the category to Hardware") {
		t.Errorf("the history does not show the category:\n%s", page)
	}
	wantRedirect(t, b.action(id, "category", url.Values{"category": {""}}), done)
	if c := h.ticket(id).CategoryID; c != nil {
		t.Fatalf("category %d after clearing", *c)
	}
	if e := h.lastLog(id, openboards.ActionTicketCategoryChanged); e.UserID != h.member.ID || !strings.HasPrefix(e.ActionString, "removed the category") {
		t.Errorf("category log entry %+v", e)
	}
	for _, bad := range []string{"abc", "999999"} {
		wantStatus(t, b.action(id, "category", url.Values{"category": {bad}}), http.StatusBadRequest)
	}

	// Tags, comma-separated.
	wantRedirect(t, b.action(id, "tags", url.Values{"tags": {" vip, billing ,, Urgent ,VIP"}}), done)
	if tags := h.ticket(id).Tags; !sameSet(tags, []string{"vip", "billing", "Urgent"}) {
		t.Fatalf("tags %q", tags)
	}
	if e := h.lastLog(id, openboards.ActionTicketTagsChanged); e.UserID != h.member.ID {
		t.Errorf("tags logged by %s", e.UserID)
	}
	if page := b.ok(done); !regexp.MustCompile(`<input id="tags" name="tags" value="[^"]*vip`).MatchString(page) {
		t.Errorf("the tags input does not show the tags:\n%s", page)
	}
	wantRedirect(t, b.action(id, "tags", url.Values{"tags": {""}}), done)
	if tags := h.ticket(id).Tags; len(tags) != 0 {
		t.Fatalf("tags %q after clearing", tags)
	}

	// An action on a ticket that is not the community's is not found.
	otherID := h.newTicket(h.other, "Elsewhere", "Hi")
	page = b.ok("/acme/tickets")
	for _, tid := range []string{strconv.FormatInt(otherID, 10), "999999", "abc"} {
		r := b.post("/acme/tickets/"+tid+"/status", url.Values{"csrf": {b.csrf(page)}, "status": {"archived"}})
		wantStatus(t, r, http.StatusNotFound)
	}
	if st, err := h.store.FindTicketByID(h.ctx, h.other.ID, otherID); err != nil || st.Status != openboards.TicketOpen {
		t.Errorf("the other community's ticket: %+v, %v", st, err)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.newTicket(h.acme, "Printer on fire", "It burns")
	b := h.signedIn("max@acme.test")
	tok := b.csrf(b.ok(fmt.Sprintf("/acme/tickets?ticketId=%d", id)))
	path := fmt.Sprintf("/acme/tickets/%d/reply", id)
	before := h.snapshot(id)

	for _, c := range []struct {
		name   string
		form   url.Values
		header []string
	}{
		{"NoToken", url.Values{"message": {"hi"}}, nil},
		{"EmptyToken", url.Values{"message": {"hi"}, "csrf": {""}}, nil},
		{"WrongToken", url.Values{"message": {"hi"}, "csrf": {tok[:len(tok)-2] + "xx"}}, nil},
		{"TokenInQuery", url.Values{"message": {"hi"}}, nil},
		{"CrossOrigin", url.Values{"message": {"hi"}, "csrf": {tok}}, []string{"Origin", "https://evil.example"}},
		{"CrossSite", url.Values{"message": {"hi"}, "csrf": {tok}}, []string{"Sec-Fetch-Site", "cross-site"}},
		{"SameSiteOtherOrigin", url.Values{"message": {"hi"}, "csrf": {tok}}, []string{"Sec-Fetch-Site", "same-site"}},
	} {
		p := path
		if c.name == "TokenInQuery" {
			p += "?csrf=" + url.QueryEscape(tok)
		}
		r := b.post(p, c.form, c.header...)
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", c.name, r.StatusCode)
		}
		if after := h.snapshot(id); after != before {
			t.Fatalf("%s changed the ticket: %s, was %s", c.name, after, before)
		}
	}
	// Another session's token is no good either.
	other := h.signedIn("ada@acme.test")
	otherTok := other.csrf(other.ok("/acme/tickets"))
	if otherTok == tok {
		t.Fatal("two sessions share a CSRF tok")
	}
	wantStatus(t, b.post(path, url.Values{"message": {"hi"}, "csrf": {otherTok}}), http.StatusForbidden)
	if after := h.snapshot(id); after != before {
		t.Fatalf("another session's tok changed the ticket: %s", after)
	}

	// The same request from the inbox's own origin goes through.
	wantRedirect(t, b.post(path, url.Values{"message": {"hi"}, "csrf": {tok}}, "Origin", h.srv.URL, "Sec-Fetch-Site", "same-origin"),
		fmt.Sprintf("/acme/tickets?ticketId=%d&status=all&done=1", id))
	if n := len(h.replies(id)); n != 1 {
		t.Fatalf("%d replies", n)
	}

	// Sign-in and password forms are protected the same way.
	r := h.browser().post("/signin", url.Values{"community": {"acme"}, "email": {"max@acme.test"}, "password": {password}}, "Origin", "https://evil.example")
	wantStatus(t, r, http.StatusForbidden)
	if len(r.Cookies()) != 0 {
		t.Errorf("a cross-origin sign-in set cookies %v", r.Cookies())
	}
	wantStatus(t, b.post("/acme/account/password", url.Values{"current": {password}, "new": {"a brand new password"}}), http.StatusForbidden)
	wantStatus(t, b.post("/acme/account/password", url.Values{"current": {password}, "new": {"a brand new password"}, "csrf": {tok}},
		"Sec-Fetch-Site", "cross-site"), http.StatusForbidden)
	if _, _, err := h.communities.SignIn(h.ctx, "acme", "max@acme.test", password); err != nil {
		t.Fatalf("the password changed: %v", err)
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.newTicket(h.acme, "Printer on fire", "It burns")
	cat := h.category("Hardware", nil)
	otherID := h.newTicket(h.other, "Elsewhere", "Hi")

	t.Run("ReadOnly", func(t *testing.T) {
		b := h.signedIn("rita@acme.test")
		if got := listed(b.ok("/acme/tickets")); !slices.Equal(got, []string{"Printer on fire"}) {
			t.Errorf("a read-only teammate sees %q", got)
		}
		page := b.ok(fmt.Sprintf("/acme/tickets?ticketId=%d", id))
		if !strings.Contains(page, "It burns") {
			t.Error("a read-only teammate cannot read the ticket")
		}
		for _, form := range []string{"/reply", "/note"} {
			if strings.Contains(page, fmt.Sprintf(`action="/acme/tickets/%d%s"`, id, form)) {
				t.Errorf("a read-only teammate gets the %s form", form)
			}
		}
		if strings.Contains(page, "Send reply") || !strings.Contains(page, `<select id="status" name="status" disabled>`) ||
			!strings.Contains(page, `<input id="tags" name="tags" value="" readonly>`) {
			t.Errorf("a read-only teammate's page offers changes:\n%s", page)
		}
		tok := b.csrf(page)
		before := h.snapshot(id)
		for action, form := range map[string]url.Values{
			"reply":    {"message": {"hi"}},
			"note":     {"message": {"hi"}},
			"status":   {"status": {"archived"}},
			"assignee": {"assignee": {h.admin.ID}, "previous": {""}},
			"category": {"category": {strconv.FormatInt(cat.ID, 10)}},
			"tags":     {"tags": {"vip"}},
		} {
			form.Set("csrf", tok)
			r := b.post(fmt.Sprintf("/acme/tickets/%d/%s", id, action), form)
			if r.StatusCode != http.StatusForbidden {
				t.Errorf("a read-only teammate's %s: %d, want 403", action, r.StatusCode)
			}
		}
		if after := h.snapshot(id); after != before {
			t.Errorf("a read-only teammate changed the ticket: %s, was %s", after, before)
		}
		wantStatus(t, b.get("/acme/settings"), http.StatusForbidden)
		// They may still change their own password.
		b.ok("/acme/account")
	})
	t.Run("Settings", func(t *testing.T) {
		member := h.signedIn("max@acme.test")
		r := member.get("/acme/settings")
		wantStatus(t, r, http.StatusForbidden)
		if !strings.Contains(r.body, "admins") {
			t.Errorf("the 403 page does not say why:\n%s", r.body)
		}
		if strings.Contains(member.ok("/acme/tickets"), `href="/acme/settings"`) {
			t.Error("a team member is offered the settings link")
		}
		admin := h.signedIn("ada@acme.test")
		if page := admin.ok("/acme/settings"); !strings.Contains(page, "<h1>Settings</h1>") {
			t.Errorf("the admin's settings page:\n%s", page)
		}
		if !strings.Contains(admin.ok("/acme/tickets"), `href="/acme/settings"`) {
			t.Error("an admin is not offered the settings link")
		}
	})
	t.Run("OtherCommunity", func(t *testing.T) {
		b := h.signedIn("ada@acme.test")
		tok := b.csrf(b.ok("/acme/tickets"))
		for _, path := range []string{"/other/tickets", fmt.Sprintf("/other/tickets?ticketId=%d", otherID), "/other/settings", "/other/account", "/nowhere/tickets"} {
			r := b.get(path)
			wantStatus(t, r, http.StatusNotFound)
			if strings.Contains(r.body, "Elsewhere") {
				t.Errorf("GET %s shows the other community's ticket", path)
			}
		}
		before, err := h.store.FindTicketByID(h.ctx, h.other.ID, otherID)
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, b.post(fmt.Sprintf("/other/tickets/%d/status", otherID), url.Values{"csrf": {tok}, "status": {"archived"}}), http.StatusNotFound)
		after, err := h.store.FindTicketByID(h.ctx, h.other.ID, otherID)
		if err != nil || after.Status != before.Status {
			t.Errorf("the other community's ticket changed: %+v, %v", after, err)
		}
		// The community's own name in another letter case is the same
		// community.
		b.ok("/ACME/tickets")
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := h.signedIn("max@acme.test")
	other := h.signedIn("max@acme.test")
	ada := h.signedIn("ada@acme.test")

	page := b.ok("/acme/account")
	for _, id := range []string{"current", "new"} {
		if !strings.Contains(page, `<label for="`+id+`">`) || !strings.Contains(page, `<input id="`+id+`" name="`+id+`" type="password"`) {
			t.Errorf("the account page has no labelled %s password input", id)
		}
	}
	if !strings.Contains(page, "max@acme.test") || !strings.Contains(page, "team_member") {
		t.Errorf("the account page does not show the account:\n%s", page)
	}
	tok := b.csrf(page)

	for _, c := range []struct{ current, new, want string }{
		{"not the password", "a brand new password", "current password is not right"},
		{password, "short", "at least 10 characters"},
	} {
		r := b.post("/acme/account/password", url.Values{"csrf": {tok}, "current": {c.current}, "new": {c.new}})
		wantStatus(t, r, http.StatusBadRequest)
		if !strings.Contains(r.body, c.want) || !strings.Contains(r.body, `role="alert"`) {
			t.Errorf("refused change does not say %q:\n%s", c.want, r.body)
		}
	}
	other.ok("/acme/tickets")

	r := b.post("/acme/account/password", url.Values{"csrf": {tok}, "current": {password}, "new": {"a brand new password"}})
	wantRedirect(t, r, "/acme/account?changed=1")
	page = b.ok("/acme/account?changed=1")
	if !strings.Contains(page, `<p class="flash" role="status">Your password is changed; your other sessions are signed out.</p>`) {
		t.Errorf("no flash after the change:\n%s", page)
	}
	if strings.Contains(b.ok("/acme/account"), `class="flash"`) {
		t.Error("the flash shows without a change")
	}
	// This session lives on, the teammate's others end, other teammates'
	// stay.
	b.ok("/acme/tickets")
	wantRedirect(t, other.get("/acme/tickets"), "/signin?next=%2Facme%2Ftickets")
	ada.ok("/acme/tickets")

	fresh := h.browser()
	wantStatus(t, fresh.post("/signin", url.Values{"community": {"acme"}, "email": {"max@acme.test"}, "password": {password}}), http.StatusUnauthorized)
	wantRedirect(t, fresh.post("/signin", url.Values{"community": {"acme"}, "email": {"max@acme.test"}, "password": {"a brand new password"}}), "/acme/tickets")
}

func TestStatic(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := h.browser()
	m := regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)">`).FindStringSubmatch(b.ok("/signin"))
	if m == nil {
		t.Fatal("the page links no style sheet")
	}
	href := m[1]
	want, err := os.ReadFile("static/inbox.css")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(want)
	if hash := hex.EncodeToString(sum[:])[:12]; href != "/static/"+hash+"/inbox.css" {
		t.Fatalf("style sheet at %q, want /static/%s/inbox.css", href, hash)
	}
	r := b.get(href)
	wantStatus(t, r, http.StatusOK)
	if r.body != string(want) {
		t.Error("the served style sheet is not static/inbox.css")
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/css; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control %q", cc)
	}
	for _, path := range []string{"/static/000000000000/inbox.css", strings.Replace(href, "inbox.css", "other.css", 1), "/static/inbox.css"} {
		if r := b.get(path); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, r.StatusCode)
		}
	}
}

func TestBasePath(t *testing.T) {
	t.Parallel()
	h := newHarnessWith(t, inbox.Options{BasePath: "/v2/"})
	b := h.browser()
	wantRedirect(t, b.get("/v2/acme/tickets"), "/v2/signin?next=%2Fv2%2Facme%2Ftickets")
	wantStatus(t, b.get("/acme/tickets"), http.StatusNotFound)
	wantStatus(t, b.get("/v2x/acme/tickets"), http.StatusNotFound)
	page := b.ok("/v2/signin")
	if !strings.Contains(page, `<form method="post" action="/v2/signin">`) || !regexp.MustCompile(`href="/v2/static/[0-9a-f]{12}/inbox.css"`).MatchString(page) {
		t.Errorf("the sign-in page ignores the base path:\n%s", page)
	}
	signIn := url.Values{"community": {"acme"}, "email": {"max@acme.test"}, "password": {password}}
	r := b.post("/v2/signin", signIn)
	wantRedirect(t, r, "/v2/acme/tickets")
	if cs := r.Cookies(); len(cs) != 1 || cs[0].Path != "/v2/" {
		t.Errorf("cookies %+v, want one with path /v2/", cs)
	}
	for next, want := range map[string]string{
		"/v2/acme/account":    "/v2/acme/account",
		"/acme/account":       "/v2/acme/tickets",
		"/v2//evil.example":   "/v2/evil.example",
		"//evil.example/v2/x": "/v2/acme/tickets",
		"/v2\t/evil.example":  "/v2/acme/tickets",
	} {
		signIn.Set("next", next)
		r := h.browser().post("/v2/signin", signIn)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != want {
			t.Errorf("sign in with next %q: %d to %q, want %q", next, r.StatusCode, r.Header.Get("Location"), want)
		}
	}
	page = b.ok("/v2/acme/tickets")
	wantRedirect(t, b.post("/v2/signout", url.Values{"csrf": {b.csrf(page)}}), "/v2/signin?community=acme")
}

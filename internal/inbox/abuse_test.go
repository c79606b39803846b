package inbox_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"openboards/internal/limit"
)

// countingBody is a request body of n bytes that counts what is read.
type countingBody struct {
	left, read int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), b.left)
	for i := range p[:n] {
		p[i] = 'a'
	}
	b.left -= n
	b.read += n
	return int(n), nil
}

func (b *countingBody) Close() error { return nil }

// serve sends one request straight to the handler, from remote.
func (h *harness) serve(method, path, contentType string, body io.ReadCloser, length int64, remote string) *httptest.ResponseRecorder {
	h.t.Helper()
	r := httptest.NewRequest(method, path, nil)
	r.Body, r.ContentLength = body, length
	r.Header.Set("Content-Type", contentType)
	r.RemoteAddr = remote
	w := httptest.NewRecorder()
	h.handler.ServeHTTP(w, r)
	return w
}

// TestSignInBodyRefusedUnread pins that POST /signin with a 1 GB body is
// answered before the body is read: multipart with 415 (net/http would
// spool its parts to temporary files), a declared length over the cap
// with 413, and an undeclared one with 413 once the cap is passed.
func TestSignInBodyRefusedUnread(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const gigabyte = 1 << 30
	for _, c := range []struct {
		name, contentType string
		length            int64 // -1: chunked, no Content-Length
		status            int
		maxRead           int64
	}{
		{"Multipart", "multipart/form-data; boundary=x", gigabyte, http.StatusUnsupportedMediaType, 0},
		{"MultipartChunked", "multipart/form-data; boundary=x", -1, http.StatusUnsupportedMediaType, 0},
		{"DeclaredTooLarge", "application/x-www-form-urlencoded", gigabyte, http.StatusRequestEntityTooLarge, 0},
		{"ChunkedTooLarge", "application/x-www-form-urlencoded", -1, http.StatusRequestEntityTooLarge, 64<<10 + 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := &countingBody{left: gigabyte}
			w := h.serve(http.MethodPost, "/signin", c.contentType, body, c.length, "192.0.2.1:1234")
			if w.Code != c.status {
				t.Fatalf("status %d, want %d\n%s", w.Code, c.status, w.Body)
			}
			if body.read > c.maxRead {
				t.Fatalf("read %d bytes of the body, want at most %d", body.read, c.maxRead)
			}
		})
	}
}

// TestFormCaps pins the caps: 64 KiB for a form, 2 MiB for a reply
// (whose message may be 512 KiB).
func TestFormCaps(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := h.signedIn("max@acme.test")
	id := h.newTicket(h.acme, "Printer", "It is on fire")
	page := b.ok("/acme/tickets?ticketId=" + strconv.FormatInt(id, 10))
	csrf := b.csrf(page)

	r := b.post("/acme/settings/groups", url.Values{"csrf": {csrf}, "name": {strings.Repeat("g", 70<<10)}})
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
	r = b.post("/acme/account/password", url.Values{"csrf": {csrf}, "current": {strings.Repeat("p", 70<<10)}, "new": {"x"}})
	wantStatus(t, r, http.StatusRequestEntityTooLarge)

	long := strings.Repeat("word ", 100<<10) // 500 KiB, under MaxMessageLen
	r = b.post("/acme/tickets/"+strconv.FormatInt(id, 10)+"/reply", url.Values{"csrf": {csrf}, "message": {long}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("a 500 KiB reply: %d, want 303\n%s", r.StatusCode, r.body)
	}
	if got := h.replies(id); len(got) != 1 {
		t.Fatalf("%d replies, want the long one", len(got))
	}
	r = b.post("/acme/tickets/"+strconv.FormatInt(id, 10)+"/reply", url.Values{"csrf": {csrf}, "message": {strings.Repeat("w", 3<<20)}})
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
}

func signInForm(email, pw string) url.Values {
	return url.Values{"community": {"acme"}, "email": {email}, "password": {pw}}
}

func (h *harness) signIn(form url.Values, remote string) *httptest.ResponseRecorder {
	h.t.Helper()
	body := io.NopCloser(strings.NewReader(form.Encode()))
	return h.serve(http.MethodPost, "/signin", "application/x-www-form-urlencoded", body, int64(len(form.Encode())), remote)
}

// TestSignInFailuresLimited pins the failure limits: ten wrong passwords
// for an account from one address, then 429 with Retry-After before any
// hash, even with the right password; the right password from another
// address still signs in, so nobody can be locked out.
func TestSignInFailuresLimited(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const attacker, teammate = "203.0.113.66:5000", "198.51.100.7:6000"
	for i := range 10 {
		if w := h.signIn(signInForm("max@acme.test", "wrong password"), attacker); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, w.Code)
		}
	}
	// With every hash slot taken, a refusal by the limiter still answers
	// 429: it comes before the hash.
	pool := limit.NewPool(1, nil)
	h.communities.SetHashPool(pool)
	release, _ := pool.Acquire()
	w := h.signIn(signInForm("max@acme.test", password), attacker)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("11th attempt: %d, Retry-After %q; want 429 with Retry-After\n%s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if !strings.Contains(w.Body.String(), `name="password"`) {
		t.Fatal("the 429 is not the sign-in form")
	}
	// The pool is full: the teammate is asked to come back at once.
	w = h.signIn(signInForm("max@acme.test", password), teammate)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("with a full pool: %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	release()
	if w := h.signIn(signInForm("max@acme.test", password), teammate); w.Code != http.StatusSeeOther {
		t.Fatalf("the right password from a fresh address: %d, want 303\n%s", w.Code, w.Body)
	}
	// The 503 and the success were not counted as failures.
	for i := range 9 {
		if w := h.signIn(signInForm("max@acme.test", "wrong password"), teammate); w.Code != http.StatusUnauthorized {
			t.Fatalf("teammate's failure %d: %d, want 401", i+1, w.Code)
		}
	}
	if w := h.signIn(signInForm("max@acme.test", password), teammate); w.Code != http.StatusSeeOther {
		t.Fatalf("after nine failures: %d, want 303", w.Code)
	}
}

// TestSignInFailuresPerClient pins the per-address limit: 100 failures
// over any accounts, then 429 for every account from that address.
func TestSignInFailuresPerClient(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const attacker = "203.0.113.66:5000"
	for i := range 100 {
		if w := h.signIn(signInForm("nobody"+strconv.Itoa(i)+"@acme.test", "wrong password"), attacker); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, w.Code)
		}
	}
	if w := h.signIn(signInForm("max@acme.test", password), attacker); w.Code != http.StatusTooManyRequests {
		t.Fatalf("101st attempt: %d, want 429", w.Code)
	}
}

// TestChangePasswordFailuresLimited pins that wrong current passwords on
// the account page count like failed sign-ins: ten, then 429 with
// Retry-After even for the right one, and the password stays as it was.
// A refused new password checks no hash and counts nothing.
func TestChangePasswordFailuresLimited(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := h.signedIn("max@acme.test")
	tok := b.csrf(b.ok("/acme/account"))
	change := func(current, next string) response {
		t.Helper()
		return b.post("/acme/account/password", url.Values{"csrf": {tok}, "current": {current}, "new": {next}})
	}
	for i := range 12 {
		if r := change(password, "short"); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("short new password %d: %d, want 400", i+1, r.StatusCode)
		}
	}
	for i := range 10 {
		if r := change("not the password", "a brand new password"); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("wrong current password %d: %d, want 400", i+1, r.StatusCode)
		}
	}
	r := change(password, "a brand new password")
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("11th attempt: %d, Retry-After %q; want 429 with Retry-After\n%s", r.StatusCode, r.Header.Get("Retry-After"), r.body)
	}
	if !strings.Contains(r.body, `name="current"`) || !strings.Contains(r.body, "too many failed attempts") {
		t.Fatalf("the 429 is not the account page saying why:\n%s", r.body)
	}
	// The refused change changed nothing: the old password still signs in.
	if w := h.signIn(signInForm("max@acme.test", password), "198.51.100.7:6000"); w.Code != http.StatusSeeOther {
		t.Fatalf("sign-in with the unchanged password: %d, want 303", w.Code)
	}
}

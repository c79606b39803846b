package inbox_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"openboards/internal/community"
	"openboards/internal/inbox"
	"openboards/internal/live"
	"openboards/internal/store/sqlite"
	"openboards/internal/ticket"
)

// TestSessionCookieRenewed: a session in use is extended on the server,
// and the browser's cookie with it, so a teammate who works every day is
// not signed out after the first fortnight.
func TestSessionCookieRenewed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ob.db"), sqlite.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var mu sync.Mutex
	now := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	communities, err := community.NewService(ctx, store, clock, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := inbox.NewHandler(store, ticket.NewService(store, ticket.NoEvents, live.Discard, clock), communities, inbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, h)
	cr, err := communities.Create(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := communities.AddTeammate(ctx, cr.Community, community.TeammateInput{Email: "ann@acme.test", Name: "Ann", Role: "admin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := communities.SetPassword(ctx, cr.Community, "ann@acme.test", password); err != nil {
		t.Fatal(err)
	}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client := &http.Client{CheckRedirect: noRedirect}
	resp, err := client.PostForm(srv+"/signin", url.Values{"community": {"acme"}, "email": {"ann@acme.test"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookie := resp.Cookies()[0]
	get := func() *http.Response {
		req, _ := http.NewRequest("GET", srv+"/acme/tickets", nil)
		req.AddCookie(cookie)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := get(); r.StatusCode != http.StatusOK || r.Header.Get("Set-Cookie") != "" {
		t.Fatalf("right after sign-in: status %d, Set-Cookie %q (want 200 and no renewal)", r.StatusCode, r.Header.Get("Set-Cookie"))
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	r := get()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("two hours later: status %d", r.StatusCode)
	}
	set := r.Header.Get("Set-Cookie")
	if !strings.Contains(set, cookie.Name+"="+cookie.Value) || !strings.Contains(set, "Max-Age=1209600") || !strings.Contains(set, "HttpOnly") {
		t.Errorf("the extended session's cookie was not renewed: Set-Cookie %q", set)
	}
}

func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

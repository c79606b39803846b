package cli

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"openboards/internal/community"
	"openboards/internal/config"
	"openboards/internal/store/sqlite"
)

// newTestServer builds a server on a fresh SQLite file without running
// it; cleanup closes its listener and store.
func newTestServer(t *testing.T, db string) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.DB, cfg.Addr = db, "127.0.0.1:0"
	s, err := NewServer(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.ln.Close()
		s.Store.Close()
	})
	return s
}

// TestMountRoutes checks every route each surface registered, read from
// the surface's own mux, against the prefixes its row of the mount table
// owns, so that a route cannot be added that the router would send
// elsewhere.
func TestMountRoutes(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, filepath.Join(t.TempDir(), "openboards.db"))
	if len(s.mounts) != len(mountTable()) {
		t.Fatalf("the server mounts %d surfaces, the table lists %d", len(s.mounts), len(mountTable()))
	}
	communityRows := 0
	owner := map[string]string{} // lower-case prefix → surface
	for _, m := range s.mounts {
		if m.communities {
			communityRows++
		}
		for _, p := range m.prefixes {
			if p == "" || strings.ContainsAny(p, "/{}") {
				t.Errorf("%s: prefix %q is not one path segment", m.surface, p)
			}
			if other, ok := owner[strings.ToLower(p)]; ok {
				t.Errorf("prefix %q is owned by both %s and %s", p, other, m.surface)
			}
			owner[strings.ToLower(p)] = m.surface
		}
		routes := m.handler.Routes()
		if len(routes) == 0 {
			t.Errorf("%s: no routes registered", m.surface)
		}
		for _, pattern := range routes {
			path := pattern
			if _, rest, ok := strings.Cut(pattern, " "); ok {
				path = rest
			}
			if !strings.HasPrefix(path, "/") {
				t.Errorf("%s: pattern %q: want a path without host", m.surface, pattern)
				continue
			}
			first, _, _ := strings.Cut(path[1:], "/")
			switch {
			case path == "/":
				// The catch-all answers what no other route takes, within
				// the paths the router sends to the surface.
			case strings.HasPrefix(first, "{"):
				// "/{$}" (the root) and "/{community}/...".
				if !m.communities {
					t.Errorf("%s: pattern %q claims every first segment, but the surface does not own the community names", m.surface, pattern)
				}
			case !slices.ContainsFunc(m.prefixes, func(p string) bool { return strings.EqualFold(p, first) }):
				t.Errorf("%s: pattern %q starts with /%s, which is not among its prefixes %v", m.surface, pattern, first, m.prefixes)
			}
		}
	}
	if communityRows != 1 {
		t.Errorf("%d rows own the community names, want 1", communityRows)
	}
	// Every prefix is reserved, so no community can shadow a surface.
	reserved := reservedNames()
	for p, surface := range owner {
		if !slices.Contains(reserved, p) {
			t.Errorf("prefix %q of %s is not a reserved community name", p, surface)
		}
	}
}

func TestReservedNames(t *testing.T) {
	t.Parallel()
	got := reservedNames()
	for _, name := range []string{
		"chat", "faq", "help", "widget", "magic-widget.js", "reports", "warehouse", "metrics", "static",
		"signin", "signout", "setup", "invite", "api", "v1", "v2",
		// Those reserved before.
		"token", "healthz", "categories", "customfields", "teammates", "usergroups", "tickets", "tags", "widgets", "webhooks",
	} {
		if !slices.Contains(got, name) {
			t.Errorf("%q is not reserved", name)
		}
	}
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("reservedNames() = %v, want sorted without repeats", got)
	}
}

// TestRouter checks which surface answers which URL, with and without a
// base path.
func TestRouter(t *testing.T) {
	t.Parallel()
	named := func(name string) surface { return fakeSurface(name) }
	mounts := []mounted{
		{mount: mount{surface: "api", prefixes: []string{"token", "tickets", "healthz"}}, handler: named("api")},
		{mount: mount{surface: "inbox", prefixes: []string{"signin", "static"}, communities: true}, handler: named("inbox")},
	}
	for _, tc := range []struct {
		base, path, want string
	}{
		{"", "/", "inbox"},
		{"", "/tickets", "api"},
		{"", "/TICKETS/1/replies", "api"},
		{"", "/Tickets/", "api"},
		{"", "/token", "api"},
		{"", "/healthz", "api"},
		{"", "/ticketsx", "inbox"},
		{"", "/signin", "inbox"},
		{"", "/static/abc/style.css", "inbox"},
		{"", "/acme/tickets", "inbox"},
		{"", "/v2/tickets", "inbox"},
		{"/v2", "/v2/tickets", "api"},
		{"/v2", "/v2/Tickets/1", "api"},
		{"/v2", "/v2/signin", "inbox"},
		{"/v2", "/v2/acme/tickets", "inbox"},
		{"/v2", "/v2", "inbox"},
		{"/v2", "/tickets", "api"}, // outside the base path: the API's 404
		{"/v2", "/signin", "api"},
		{"/v2", "/V2/tickets", "api"},
	} {
		var got []string
		wrap := func(surface string, h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = append(got, "wrap:"+surface)
				h.ServeHTTP(w, r)
			})
		}
		rec := httptest.NewRecorder()
		newRouter(tc.base, mounts, wrap).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if answered := rec.Body.String(); answered != tc.want {
			t.Errorf("base %q, GET %s: answered by %q, want %q", tc.base, tc.path, answered, tc.want)
		}
		if want := []string{"wrap:" + tc.want}; !slices.Equal(got, want) {
			t.Errorf("base %q, GET %s: wrappers ran %v, want %v", tc.base, tc.path, got, want)
		}
	}
}

// fakeSurface answers every request with its name.
type fakeSurface string

func (f fakeSurface) ServeHTTP(w http.ResponseWriter, r *http.Request) { w.Write([]byte(f)) }
func (f fakeSurface) Routes() []string                                 { return []string{"/"} }

func TestCommunityCreateReserved(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "openboards.db")
	for _, name := range []string{"chat", "CHAT", "Magic-Widget.js", "tickets", "Help"} {
		var out, errOut bytes.Buffer
		env := Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
		err := Run(context.Background(), []string{"community", "create", name, "--db", db}, env)
		if err == nil {
			t.Errorf("community create %s: succeeded, want an error", name)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, `"`+name+`"`) || !strings.Contains(msg, "reserves /"+strings.ToLower(name)) {
			t.Errorf("community create %s: %q, want it to name the name and why", name, msg)
		}
	}
}

// TestServeRefusesReservedCommunity starts a server on a database made
// before a community's name was reserved: it must refuse, naming the
// community and the command that renames it, and start once it is renamed.
func TestServeRefusesReservedCommunity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "openboards.db")
	store, err := sqlite.Open(ctx, db, sqlite.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	old, err := community.NewService(ctx, store, time.Now, "openboards", nil) // reserves nothing, as an older server
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Create(ctx, "Chat"); err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	cfg := config.Default()
	cfg.DB, cfg.Addr = db, "127.0.0.1:0"
	_, err = NewServer(ctx, cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		t.Fatal("the server started")
	}
	if msg := err.Error(); !strings.Contains(msg, `community "Chat"`) || !strings.Contains(msg, "openboards community rename Chat NEW-NAME") {
		t.Fatalf("got %q, want it to name the community and the rename command", msg)
	}

	out := runCLI(t, "community", "rename", "chat", "Chat Team", "--db", db)
	if !strings.Contains(string(out), "Chat Team") {
		t.Fatalf("community rename printed %q", out)
	}
	s := newTestServer(t, db)
	if _, err := s.Store.FindCommunityByName(ctx, "chat team"); err != nil {
		t.Fatal(err)
	}
}

func TestCommunityRenameInvalid(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "openboards.db")
	runCLI(t, "community", "create", "Acme", "--db", db)
	for _, args := range [][]string{{"Acme", "v2"}, {"Acme", "a/b"}, {"Nobody", "Somebody"}, {"Acme"}} {
		var out, errOut bytes.Buffer
		env := Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
		if err := Run(context.Background(), append([]string{"community", "rename", "--db", db}, args...), env); err == nil {
			t.Errorf("community rename %v: succeeded, want an error", args)
		}
	}
}

package widget_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"openboards/internal/community"
	"openboards/internal/openboards"
	"openboards/internal/store/postgres"
	"openboards/internal/store/postgres/pgtest"
	"openboards/internal/store/sqlite"
	"openboards/internal/widget"
)

// TestOnPostgres runs this suite again on PostgreSQL, in a child process
// of the test binary, when a test server is configured.
func TestOnPostgres(t *testing.T) { pgtest.Rerun(t, "the widget suite") }

type world struct {
	ctx        context.Context
	store      openboards.Store
	svc        *widget.Service
	acme, beta *openboards.Community
	srv        *httptest.Server
}

func newWorld(t *testing.T, basePath string) *world {
	t.Helper()
	ctx := context.Background()
	var store openboards.Store
	var err error
	if pgtest.OnPostgres() {
		store, err = postgres.Open(ctx, pgtest.NewSchema(t), postgres.Options{MaxConns: 4})
	} else {
		store, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "openboards.db"), sqlite.Options{ReadConns: 2})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	communities, err := community.NewService(ctx, store, time.Now, "openboards.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{ctx: ctx, store: store, svc: widget.NewService(store, time.Now)}
	for _, c := range []struct {
		dst  **openboards.Community
		name string
	}{{&w.acme, "Acme"}, {&w.beta, "Beta"}} {
		cr, err := communities.Create(ctx, c.name)
		if err != nil {
			t.Fatal(err)
		}
		*c.dst = cr.Community
	}
	w.srv = httptest.NewServer(widget.NewHandler(store, w.svc, basePath, nil))
	t.Cleanup(w.srv.Close)
	return w
}

func wantCode(t *testing.T, err error, code openboards.Code, text string) {
	t.Helper()
	if openboards.ErrorCode(err) != code || !strings.Contains(openboards.ErrorMessage(err), text) {
		t.Fatalf("got %v, want %s containing %q", err, code, text)
	}
}

func TestSettings(t *testing.T) {
	w := newWorld(t, "")
	st, err := w.svc.Create(w.ctx, w.acme, "  Shop help ", nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.WidgetID == 0 || st.Name != "Shop help" || len(st.IdentitySecret) != 64 || !st.AskEmail || len(st.AllowedOrigins) != 0 {
		t.Fatalf("created %+v", st)
	}
	// It has a schedule (staffed all day) like every widget of the API.
	ss, err := w.store.FindWidgetSchedules(w.ctx, w.acme.ID, &st.WidgetID)
	if err != nil || len(ss) != 1 || ss[0].TimePeriod != openboards.PeriodEveryDay {
		t.Fatalf("schedule %+v, %v", ss, err)
	}

	// Bad settings name the field and change nothing.
	for _, bad := range []struct {
		change func(*openboards.WidgetSettings)
		field  string
	}{
		{func(s *openboards.WidgetSettings) { s.Name = " " }, "name: required"},
		{func(s *openboards.WidgetSettings) { s.Name = strings.Repeat("n", 101) }, "name: longer than 100"},
		{func(s *openboards.WidgetSettings) { s.Color = "blue" }, "color:"},
		{func(s *openboards.WidgetSettings) { s.Greeting = "hi\x00" }, "greeting"},
		{func(s *openboards.WidgetSettings) {
			s.AllowedOrigins = []string{"https://ok.example", "shop.example.com"}
		}, "allowedOrigins[1]"},
		{func(s *openboards.WidgetSettings) { s.AllowedOrigins = []string{"https://shop.example.com/path"} }, "allowedOrigins[0]"},
		{func(s *openboards.WidgetSettings) { s.AllowedOrigins = make([]string, 21) }, "allowedOrigins: at most 20"},
	} {
		_, err := w.svc.Update(w.ctx, w.acme, st.WidgetID, func(s *openboards.WidgetSettings) error { bad.change(s); return nil })
		wantCode(t, err, openboards.CodeInvalid, bad.field)
	}
	again, err := w.svc.Settings(w.ctx, w.acme, st.WidgetID)
	if err != nil || again.Name != "Shop help" || again.Color != st.Color {
		t.Fatalf("after refusals %+v, %v", again, err)
	}

	// Origins are normalised and deduplicated; the secret stays.
	got, err := w.svc.Update(w.ctx, w.acme, st.WidgetID, func(s *openboards.WidgetSettings) error {
		s.AllowedOrigins = []string{" HTTPS://Shop.Example.com/ ", "https://shop.example.com", "http://localhost:8080"}
		s.Color = "#AABBCC"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.AllowedOrigins, " ") != "https://shop.example.com http://localhost:8080" || got.Color != "#aabbcc" || got.IdentitySecret != st.IdentitySecret {
		t.Fatalf("updated %+v", got)
	}
	for origin, want := range map[string]bool{"https://shop.example.com": true, "https://SHOP.example.com": true, "http://shop.example.com": false,
		"https://evil.example": false, "null": false, "http://localhost:8080": true} {
		if got.AllowsOrigin(origin) != want {
			t.Errorf("AllowsOrigin(%q) = %v", origin, !want)
		}
	}
	rotated, err := w.svc.RotateSecret(w.ctx, w.acme, st.WidgetID)
	if err != nil || rotated.IdentitySecret == st.IdentitySecret || len(rotated.IdentitySecret) != 64 {
		t.Fatalf("rotated %+v, %v", rotated, err)
	}

	// Another community's widget is not found; a widget made through the
	// schedule API gets its secret when first read.
	_, err = w.svc.Settings(w.ctx, w.beta, st.WidgetID)
	wantCode(t, err, openboards.CodeNotFound, "not found")
	old := &openboards.WidgetSchedule{CommunityID: w.beta.ID, TimePeriod: openboards.PeriodWeekdays}
	if err := w.store.InTx(w.ctx, func(tx openboards.Tx) error { return tx.PutWidgetSchedule(w.ctx, old) }); err != nil {
		t.Fatal(err)
	}
	first, err := w.svc.Settings(w.ctx, w.beta, old.WidgetID)
	if err != nil || first.IdentitySecret == "" || first.Name != "Support" {
		t.Fatalf("first read of an old widget %+v, %v", first, err)
	}
	second, _ := w.svc.Settings(w.ctx, w.beta, old.WidgetID)
	if second.IdentitySecret != first.IdentitySecret {
		t.Fatal("the secret changed between reads")
	}
	list, err := w.svc.List(w.ctx, w.beta)
	if err != nil || len(list) != 1 || list[0].WidgetID != old.WidgetID {
		t.Fatalf("beta's widgets %+v, %v", list, err)
	}
}

// get sends a GET (or method) with origin (none when empty).
func get(t *testing.T, method, url, origin string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, body)
		}
	}
	return resp, env
}

func TestConfigEndpoint(t *testing.T) {
	w := newWorld(t, "/v2")
	st, err := w.svc.Create(w.ctx, w.acme, "Shop help", nil)
	if err != nil {
		t.Fatal(err)
	}
	base := w.srv.URL + "/v2/widget/acme/"
	cfgURL := base + itoa(st.WidgetID) + "/config"

	// Any origin while none is set; the secret never shows.
	resp, env := get(t, "GET", cfgURL, "https://anywhere.example")
	data, _ := env["data"].(map[string]any)
	if resp.StatusCode != 200 || data["name"] != "Shop help" || data["community"] != "Acme" || data["askEmail"] != true ||
		resp.Header.Get("Access-Control-Allow-Origin") != "https://anywhere.example" || !strings.Contains(resp.Header.Get("Vary"), "Origin") {
		t.Fatalf("config: %d %v %v", resp.StatusCode, resp.Header, env)
	}
	if _, ok := data["identitySecret"]; ok || strings.Contains(toJSON(env), st.IdentitySecret) {
		t.Fatal("the config shows the identity secret")
	}

	// Once origins are set, others are refused; a request without Origin
	// (not from a page) is answered without CORS.
	if _, err := w.svc.Update(w.ctx, w.acme, st.WidgetID, func(s *openboards.WidgetSettings) error {
		s.AllowedOrigins = []string{"https://shop.example.com"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	resp, env = get(t, "GET", cfgURL, "https://evil.example")
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(env["errorText"].(string), "origin") {
		t.Fatalf("another origin: %d %v", resp.StatusCode, env)
	}
	resp, _ = get(t, "GET", cfgURL, "https://shop.example.com")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" {
		t.Fatalf("the allowed origin: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = get(t, "GET", cfgURL, "")
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("no origin: %d %v", resp.StatusCode, resp.Header)
	}
	// The preflight of a later request.
	resp, _ = get(t, "OPTIONS", base+itoa(st.WidgetID)+"/conversations", "https://shop.example.com")
	if resp.StatusCode != 204 || !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Last-Event-ID") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = get(t, "OPTIONS", base+itoa(st.WidgetID)+"/conversations", "https://evil.example")
	if resp.StatusCode != 403 {
		t.Fatalf("preflight of another origin: %d", resp.StatusCode)
	}

	// Unknown widgets, other communities' widgets and odd paths are 404
	// in the envelope.
	for _, u := range []string{base + itoa(st.WidgetID+99) + "/config", w.srv.URL + "/v2/widget/beta/" + itoa(st.WidgetID) + "/config",
		base + "abc/config", w.srv.URL + "/v2/widget/" + strings.Repeat("x", 200) + "/1/config", base + itoa(st.WidgetID) + "/nothing",
		w.srv.URL + "/widget/acme/" + itoa(st.WidgetID) + "/config"} {
		resp, env := get(t, "GET", u, "")
		if resp.StatusCode != 404 || env["errorCode"] != float64(404) {
			t.Errorf("GET %s: %d %v", u, resp.StatusCode, env)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

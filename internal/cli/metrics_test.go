package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"openboards/internal/config"
	"openboards/internal/store/postgres/pgtest"
)

// TestMetricsAndRequestLog drives both surfaces, then reads the request
// series on the metrics listener and the request lines of the log.
func TestMetricsAndRequestLog(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := filepath.Join(t.TempDir(), "metrics.db")
			if backend == "postgres" {
				db = pgtest.NewSchema(t)
			}
			testMetricsAndRequestLog(t, db)
		})
	}
}

func testMetricsAndRequestLog(t *testing.T, db string) {
	logs := &syncBuffer{}
	cfg := config.Default()
	cfg.DB, cfg.Addr, cfg.MetricsAddr = db, "127.0.0.1:0", "127.0.0.1:0"
	s, err := NewServer(context.Background(), cfg, serveLogger(config.Config{LogFormat: "json", LogLevel: "info"}, logs))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	if s.MetricsURL == "" || strings.HasPrefix(s.MetricsURL, s.URL) {
		t.Fatalf("MetricsURL %q, want a listener apart from %s", s.MetricsURL, s.URL)
	}
	cr, _ := liveTeammate(t, s.Store, "Acme")
	c := &client{t: t, base: s.URL, token: accessToken(t, s.URL, credentials{ClientID: cr.Community.ClientID, RefreshToken: cr.RefreshToken})}

	get := func(u string, hdr http.Header) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", u, nil)
		for k, v := range hdr {
			req.Header[k] = v
		}
		cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	// The API, with an id of the caller's own.
	categories := get(s.URL+"/categories", http.Header{"Authorization": {"Bearer " + c.token}, "X-Request-Id": {"trace-42"}})
	if categories.StatusCode != http.StatusOK {
		t.Fatalf("GET /categories: status %d", categories.StatusCode)
	}
	if got := categories.Header.Get("X-Request-Id"); got != "trace-42" {
		t.Errorf("X-Request-Id: got %q, want trace-42", got)
	}
	get(s.URL+"/tickets/999", http.Header{"Authorization": {"Bearer " + c.token}})
	get(s.URL+"/TICKETS/998", http.Header{"Authorization": {"Bearer " + c.token}})
	// The inbox.
	get(s.URL+"/signin", nil)
	get(s.URL+"/Acme/tickets", nil) // not signed in: sent to sign in
	// The public address does not serve metrics.
	if resp := get(s.URL+"/metrics", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the public address: status %d, want 404", resp.StatusCode)
	}

	resp, err := http.Get(s.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", s.MetricsURL, resp.StatusCode)
	}
	text := string(body)
	for _, want := range []string{
		`openboards_http_requests_total{code="2xx",route="POST /token",surface="api"} 1`,
		`openboards_http_requests_total{code="2xx",route="GET /categories",surface="api"} 1`,
		`openboards_http_requests_total{code="4xx",route="GET /tickets/{id}",surface="api"} 2`,
		`openboards_http_requests_total{code="2xx",route="GET /signin",surface="inbox"} 1`,
		`openboards_http_requests_total{code="3xx",route="GET /{community}/tickets",surface="inbox"} 1`,
		`openboards_http_requests_total{code="4xx",route="unmatched",surface="inbox"} 1`,
		`openboards_http_request_duration_seconds_count{code="2xx",route="GET /categories",surface="api"} 1`,
		`openboards_http_request_duration_seconds_bucket{code="2xx",route="GET /categories",surface="api",le="+Inf"} 1`,
		"# TYPE go_goroutines gauge",
		"# TYPE openboards_webhook_requests_in_flight gauge",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, "/tickets/999") || strings.Contains(text, "Acme") {
		t.Errorf("metrics carry a raw path:\n%s", text)
	}

	// One line per request, with its fields.
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 7 {
		t.Errorf("got %d request lines, want 7 (token, 3 API, 3 inbox): %s", len(lines), logs.String())
	}
	find := func(route string) map[string]any {
		for _, l := range lines {
			if l["route"] == route {
				return l
			}
		}
		t.Fatalf("no request line for %s", route)
		return nil
	}
	l := find("GET /categories")
	for k, want := range map[string]any{
		"level": "INFO", "surface": "api", "method": "GET", "status": float64(200),
		"community": "Acme", "request_id": "trace-42",
	} {
		if l[k] != want {
			t.Errorf("GET /categories line %s: got %v, want %v", k, l[k], want)
		}
	}
	if d, ok := l["duration"].(float64); !ok || d <= 0 {
		t.Errorf("duration: got %v, want a positive number", l["duration"])
	}
	l = find("GET /{community}/tickets")
	if l["community"] != "Acme" || l["status"] != float64(303) || l["surface"] != "inbox" {
		t.Errorf("inbox line: got %v", l)
	}
	if id, _ := find("POST /token")["request_id"].(string); id == "" || id == "trace-42" {
		t.Errorf("POST /token: request_id %q, want a fresh one", id)
	}
}

// TestMetricsOff: without --metrics-addr no metrics are served anywhere.
func TestMetricsOff(t *testing.T) {
	t.Parallel()
	base := startServer(t, filepath.Join(t.TempDir(), "off.db"))
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics: status %d, want 404", resp.StatusCode)
	}
}

// TestServeLogFlags: --log-format and --log-level reach the logger, and a
// bad value is refused before anything is opened.
func TestServeLogFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--log-format", "xml"},
		{"--log-level", "loud"},
	} {
		var out, errOut syncBuffer
		err := Run(context.Background(), append([]string{"serve", "--db", filepath.Join(t.TempDir(), "x.db")}, args...),
			Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
		if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(args[0], "--")) {
			t.Errorf("serve %v: got %v, want an error naming %s", args, err, args[0])
		}
	}
	var buf syncBuffer
	log := serveLogger(config.Config{LogFormat: "json", LogLevel: "warn"}, &buf)
	log.Info("hidden")
	log.Warn("shown", "k", "v")
	var m map[string]any
	if err := json.Unmarshal([]byte(buf.String()), &m); err != nil || m["msg"] != "shown" || m["k"] != "v" {
		t.Errorf("json at warn: got %q (%v)", buf.String(), err)
	}
	env := map[string]string{"OPENBOARDS_LOG_FORMAT": "json", "OPENBOARDS_LOG_LEVEL": "debug", "OPENBOARDS_METRICS_ADDR": "127.0.0.1:9999"}
	cfg, err := config.Default().Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if lv, _ := cfg.Level(); cfg.LogFormat != "json" || lv != slog.LevelDebug || cfg.MetricsAddr != "127.0.0.1:9999" {
		t.Errorf("from the environment: got format %q, level %v, metrics %q", cfg.LogFormat, lv, cfg.MetricsAddr)
	}
}

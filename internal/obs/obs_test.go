package obs_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"openboards/internal/obs"
)

type bundle struct {
	reg   *prometheus.Registry
	logs  *bytes.Buffer
	layer *obs.Layer
}

func setup(t *testing.T) bundle {
	t.Helper()
	b := bundle{reg: prometheus.NewRegistry(), logs: &bytes.Buffer{}}
	b.layer = obs.New(b.reg, slog.New(slog.NewJSONHandler(b.logs, nil)))
	return b
}

// lines returns the JSON log lines written so far.
func (b bundle) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(b.logs.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// count returns the value of openboards_http_requests_total for labels,
// or -1 if there is no such series.
func (b bundle) count(t *testing.T, surface, route, code string) float64 {
	t.Helper()
	fams, err := b.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "openboards_http_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if l["surface"] == surface && l["route"] == route && l["code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

// histogramCount returns the observation count of
// openboards_http_request_duration_seconds for labels, or -1.
func (b bundle) histogramCount(t *testing.T, surface, route, code string) float64 {
	t.Helper()
	fams, err := b.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "openboards_http_request_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if l["surface"] == surface && l["route"] == route && l["code"] == code {
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return -1
}

// nested is a surface like the inbox under a base path: its mux sees a
// clone of the request, so the layer cannot read the pattern itself.
func nested() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tickets/{id}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ticket " + r.PathValue("id"))) })
	mux.HandleFunc("GET /c/{community}/inbox", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("POST /fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusInternalServerError) })
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).Flush(); err != nil {
			http.Error(w, err.Error(), http.StatusNotImplemented)
		}
	})
	return http.StripPrefix("/base", obs.Routed(mux))
}

func serve(h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestWrapLabelsByPattern(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := b.layer.Wrap("inbox", nested())
	serve(h, "GET", "/base/tickets/1", nil)
	serve(h, "GET", "/base/tickets/2", nil)
	serve(h, "GET", "/base/c/acme/inbox", nil)
	serve(h, "POST", "/base/fail", nil)
	serve(h, "GET", "/base/nowhere/at/all", nil)
	serve(h, "GET", "/elsewhere", nil) // StripPrefix answers 404 before any mux
	for _, c := range []struct {
		route, code string
		want        float64
	}{
		{"GET /tickets/{id}", "2xx", 2},
		{"GET /c/{community}/inbox", "2xx", 1},
		{"POST /fail", "5xx", 1},
		{obs.Unmatched, "4xx", 2},
	} {
		if got := b.count(t, "inbox", c.route, c.code); got != c.want {
			t.Errorf("requests_total{route=%q,code=%q}: got %v, want %v", c.route, c.code, got, c.want)
		}
		if got := b.histogramCount(t, "inbox", c.route, c.code); got != c.want {
			t.Errorf("request_duration_seconds_count{route=%q,code=%q}: got %v, want %v", c.route, c.code, got, c.want)
		}
	}
	// No series carries a raw path.
	fams, _ := b.reg.Gather()
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), "/tickets/1") || strings.Contains(l.GetValue(), "acme") {
					t.Errorf("%s has a raw path label %s=%q", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

func TestWrapLogsEachRequestOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := b.layer.Wrap("inbox", nested())
	rec := serve(h, "GET", "/base/c/acme/inbox", map[string]string{obs.RequestIDHeader: "abc-123"})
	if got := rec.Header().Get(obs.RequestIDHeader); got != "abc-123" {
		t.Errorf("response %s: got %q, want the incoming abc-123", obs.RequestIDHeader, got)
	}
	lines := b.lines(t)
	if len(lines) != 1 {
		t.Fatalf("got %d log lines, want 1: %s", len(lines), b.logs)
	}
	l := lines[0]
	for k, want := range map[string]any{
		"level": "INFO", "msg": "request", "surface": "inbox", "method": "GET",
		"route": "GET /c/{community}/inbox", "path": "/base/c/acme/inbox",
		"status": float64(204), "community": "acme", "request_id": "abc-123",
	} {
		if l[k] != want {
			t.Errorf("log %s: got %v, want %v", k, l[k], want)
		}
	}
	if _, ok := l["duration"].(float64); !ok {
		t.Errorf("log duration: got %v, want a number", l["duration"])
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var seen []string
	h := b.layer.Wrap("api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, obs.RequestID(r.Context()))
	}))
	for _, in := range []string{"", "has space", strings.Repeat("x", 65), "bad\nline"} {
		rec := serve(h, "GET", "/", map[string]string{obs.RequestIDHeader: in})
		got := rec.Header().Get(obs.RequestIDHeader)
		if got == "" || got == in {
			t.Errorf("incoming %q: response id %q, want a fresh one", in, got)
		}
		if seen[len(seen)-1] != got {
			t.Errorf("incoming %q: handler saw %q, response says %q", in, seen[len(seen)-1], got)
		}
	}
	a := serve(h, "GET", "/", nil).Header().Get(obs.RequestIDHeader)
	c := serve(h, "GET", "/", nil).Header().Get(obs.RequestIDHeader)
	if a == c {
		t.Errorf("two requests got the same id %q", a)
	}
}

func TestSetRouteAndCommunity(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := b.layer.Wrap("api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		obs.SetRoute(r.Context(), "GET /static/{hash}/{name}")
		obs.SetCommunity(r.Context(), "acme")
		w.WriteHeader(http.StatusNotModified)
	}))
	serve(h, "GET", "/static/x/y.css", nil)
	if got := b.count(t, "api", "GET /static/{hash}/{name}", "3xx"); got != 1 {
		t.Errorf("requests_total: got %v, want 1", got)
	}
	if l := b.lines(t)[0]; l["community"] != "acme" {
		t.Errorf("log community: got %v, want acme", l["community"])
	}
	// Outside Wrap the setters do nothing and there is no id.
	r := httptest.NewRequest("GET", "/", nil)
	obs.SetRoute(r.Context(), "x")
	obs.SetCommunity(r.Context(), "x")
	if id := obs.RequestID(r.Context()); id != "" {
		t.Errorf("RequestID outside Wrap: got %q", id)
	}
}

func TestWrapKeepsFlush(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rec := serve(b.layer.Wrap("inbox", nested()), "GET", "/base/stream", nil)
	if rec.Code != http.StatusOK || !rec.Flushed {
		t.Errorf("got status %d, flushed %v; want 200 and flushed", rec.Code, rec.Flushed)
	}
}

func TestWrapCountsPanics(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := b.layer.Wrap("api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") }))
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the handler's panic", p)
			}
		}()
		serve(h, "GET", "/", nil)
	}()
	if got := b.count(t, "api", obs.Unmatched, "5xx"); got != 1 {
		t.Errorf("requests_total after a panic: got %v, want 1", got)
	}
}

func TestLogHandlerAddsRequestID(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(obs.LogHandler(slog.NewJSONHandler(&logs, nil))).With("component", "test")
	layer := obs.New(nil, nil)
	var id string
	h := layer.Wrap("api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id = obs.RequestID(r.Context())
		log.ErrorContext(r.Context(), "api: internal error", "err", "disk full")
	}))
	serve(h, "GET", "/", nil)
	var m map[string]any
	if err := json.Unmarshal(logs.Bytes(), &m); err != nil {
		t.Fatalf("%q: %v", logs.String(), err)
	}
	if m["request_id"] != id || id == "" || m["err"] != "disk full" || m["component"] != "test" {
		t.Errorf("got %v, want request_id %q with err and component", m, id)
	}
}

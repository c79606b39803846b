package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"openboards/internal/config"
)

// startAbuseServer runs a server with cfg's limits on a fresh SQLite
// database and a metrics listener, until the test ends.
func startAbuseServer(t *testing.T, tune func(*config.Config)) *Server {
	t.Helper()
	cfg := config.Default()
	cfg.DB, cfg.Addr, cfg.MetricsAddr = filepath.Join(t.TempDir(), "abuse.db"), "127.0.0.1:0", "127.0.0.1:0"
	tune(&cfg)
	s, err := NewServer(context.Background(), cfg, serveLogger(config.Config{LogLevel: "error"}, io.Discard))
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
	return s
}

func metricsText(t *testing.T, s *Server) string {
	t.Helper()
	resp, err := http.Get(s.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestConnectionsCapped pins --max-conns-per-ip on the public listener:
// idle connections over the cap are closed at once and counted.
func TestConnectionsCapped(t *testing.T) {
	t.Parallel()
	s := startAbuseServer(t, func(c *config.Config) { c.MaxConnsPerIP = 2 })
	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	// A request on an idle connection proves the server took it.
	for _, c := range idle {
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		if n, err := c.Read(make([]byte, 12)); err != nil || n == 0 {
			t.Fatalf("a connection within the cap was not served: %v", err)
		}
	}
	over, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer over.Close()
	io.WriteString(over, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if n, _ := over.Read(make([]byte, 1)); n != 0 {
		t.Fatal("the connection over --max-conns-per-ip was served")
	}
	if m := metricsText(t, s); !strings.Contains(m, `openboards_refused_total{reason="conn_limit_per_ip"} 1`) {
		t.Fatalf("metrics lack the refused connection:\n%s", grepLines(m, "openboards_refused_total"))
	}
}

// TestFailureLimitsShared pins that the inbox and the API share one
// failure limiter, keyed by the client address X-Forwarded-For gives when
// the peer is a trusted proxy: 100 failed token requests from an address
// (over many client ids: past ten for one, they are refused, not counted)
// hold back its sign-ins too, and the refusals are counted.
func TestFailureLimitsShared(t *testing.T) {
	t.Parallel()
	s := startAbuseServer(t, func(c *config.Config) { c.TrustedProxies = "127.0.0.0/8" })
	cr, email := liveTeammate(t, s.Store, "Acme")
	post := func(path, xff string, form url.Values) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", xff)
		cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	const attacker, teammate = "203.0.113.66", "198.51.100.7"
	for i := range 100 {
		client := cr.Community.ClientID
		if i >= 10 {
			client = fmt.Sprint("no-such-client-", i)
		}
		if r := post("/token", attacker, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"guess"}, "client_id": {client}}); r.StatusCode == http.StatusOK {
			t.Fatal("a guessed refresh token worked")
		}
	}
	signin := url.Values{"community": {"Acme"}, "email": {email}, "password": {liveTestPassword}}
	if r := post("/signin", attacker, signin); r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("sign-in from the address after 100 token failures: %d, want 429 with Retry-After", r.StatusCode)
	}
	if r := post("/signin", teammate, signin); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in from another address: %d, want 303", r.StatusCode)
	}
	m := metricsText(t, s)
	for _, want := range []string{`openboards_refused_total{reason="rate_limited"} `, `openboards_refused_total{reason="hash_pool_full"} 0`} {
		if !strings.Contains(m, want) {
			t.Fatalf("metrics lack %s:\n%s", want, grepLines(m, "openboards_refused_total"))
		}
	}
	if strings.Contains(m, `openboards_refused_total{reason="rate_limited"} 0`) {
		t.Fatal("rate_limited refusals not counted")
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestLimitConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{"OPENBOARDS_TRUSTED_PROXIES": "10.0.0.0/8", "OPENBOARDS_MAX_CONNS": "100", "OPENBOARDS_MAX_CONNS_PER_IP": "7"}
	cfg, err := config.Default().Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TrustedProxies != "10.0.0.0/8" || cfg.MaxConns != 100 || cfg.MaxConnsPerIP != 7 {
		t.Fatalf("got %+v", cfg)
	}
	if d := config.Default(); d.MaxConns != 4096 || d.MaxConnsPerIP != 256 || d.TrustedProxies != "" {
		t.Fatalf("defaults %d, %d, %q; want 4096, 256 and no trusted proxy", d.MaxConns, d.MaxConnsPerIP, d.TrustedProxies)
	}
	cfg.TrustedProxies = "10.0.0.0/8,example.com"
	if err := cfg.Validate(); err == nil || !strings.HasPrefix(err.Error(), "trusted-proxies:") {
		t.Fatalf("Validate with a bad proxy: %v, want an error naming trusted-proxies", err)
	}
	if _, err := config.Default().Load(func(k string) string {
		if k == "OPENBOARDS_MAX_CONNS" {
			return "many"
		}
		return ""
	}); err == nil || !strings.HasPrefix(err.Error(), "OPENBOARDS_MAX_CONNS:") {
		t.Fatalf("Load with a bad OPENBOARDS_MAX_CONNS: %v", err)
	}
}

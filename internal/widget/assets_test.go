package widget_test

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The loader and the panel stay small, compressed as served.
const (
	maxLoaderGzip = 2 << 10
	maxPanelGzip  = 30 << 10
)

// fetch GETs url and returns the answer with its body as sent (compressed
// when gzip was asked for) and decoded.
func fetch(t *testing.T, url string, gz bool) (*http.Response, int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	// The transport would ask for gzip and decode it unseen otherwise.
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	body := raw
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return resp, len(raw), string(body)
}

func TestAssets(t *testing.T) {
	w := newWorld(t, "/v2")
	st, err := w.svc.Create(w.ctx, w.acme, "Shop help", []string{"https://shop.example.com", "http://localhost:8080"})
	if err != nil {
		t.Fatal(err)
	}

	resp, size, loader := fetch(t, w.srv.URL+"/v2/magic-widget.js", true)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("loader: %d %v", resp.StatusCode, resp.Header)
	}
	if size > maxLoaderGzip {
		t.Errorf("the loader is %d bytes gzipped, more than %d", size, maxLoaderGzip)
	}
	t.Logf("loader: %d bytes minified, %d gzipped", len(loader), size)
	if !strings.Contains(loader, "magicWidgetAsyncInit") || !strings.Contains(loader, "initializeAsync") {
		t.Fatal("the loader lacks its documented names")
	}
	// Unasked, it comes plain; a repeat with its ETag is not sent again.
	plain, plainSize, _ := fetch(t, w.srv.URL+"/v2/magic-widget.js", false)
	if plain.Header.Get("Content-Encoding") != "" || plainSize != len(loader) {
		t.Fatalf("plain loader: %v, %d bytes", plain.Header, plainSize)
	}
	req, _ := http.NewRequest("GET", w.srv.URL+"/v2/magic-widget.js", nil)
	req.Header.Set("If-None-Match", plain.Header.Get("ETag"))
	if again, err := http.DefaultClient.Do(req); err != nil || again.StatusCode != 304 {
		t.Fatalf("conditional GET: %v %v", again, err)
	}

	// The panel's document: framed only by the widget's sites, running
	// only its own script and styles, inlined and allowed by their hashes.
	resp, size, page := fetch(t, w.srv.URL+"/v2/widget/acme/"+itoa(st.WidgetID)+"/panel", true)
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || !strings.Contains(csp, "frame-ancestors https://shop.example.com http://localhost:8080") ||
		!strings.Contains(csp, "script-src 'sha256-") || strings.Contains(csp, "unsafe") || strings.Contains(csp, "'self'; style") {
		t.Fatalf("panel: %d, CSP %q", resp.StatusCode, csp)
	}
	if strings.Contains(page, st.IdentitySecret) {
		t.Fatal("the panel's page shows the identity secret")
	}
	inline := regexp.MustCompile(`(?s)<(script|style)>(.*?)</(?:script|style)>`).FindAllStringSubmatch(page, -1)
	if len(inline) != 2 {
		t.Fatalf("the panel's page has %d inline elements, want its script and its styles", len(inline))
	}
	for _, m := range inline {
		sum := sha256.Sum256([]byte(m[2]))
		if !strings.Contains(csp, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
			t.Errorf("the inline %s is not allowed by the CSP", m[1])
		}
		if strings.Contains(m[2], "eval(") || strings.Contains(m[2], "new Function") {
			t.Errorf("the panel's %s evaluates text", m[1])
		}
	}
	if size > maxPanelGzip {
		t.Errorf("the panel's page is %d bytes gzipped, more than %d", size, maxPanelGzip)
	}
	t.Logf("panel: %d bytes gzipped, script and styles included", size)
	// A widget without origins may be framed anywhere.
	open, _ := w.svc.Create(w.ctx, w.acme, "Open", nil)
	if resp, _, _ := fetch(t, w.srv.URL+"/v2/widget/acme/"+itoa(open.WidgetID)+"/panel", false); !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors *") {
		t.Errorf("open widget's CSP %q", resp.Header.Get("Content-Security-Policy"))
	}
}

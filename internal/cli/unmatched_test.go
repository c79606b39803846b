package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnmatchedRoutes checks the answers to requests no route takes: the
// JSON envelope for paths that are no inbox page (404) and for API paths
// with the wrong method (405); an HTML page for inbox pages asked with the
// wrong method.
func TestUnmatchedRoutes(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "openboards.db")
	runCLI(t, "community", "create", "acme", "--db", db)
	base := startServer(t, db)
	for _, tc := range []struct {
		method, path string
		status       int
		html         bool   // an inbox page, else the envelope
		allow        string // the Allow header of a 405
	}{
		{"GET", "/frobnicate", 404, false, ""},
		{"POST", "/frobnicate", 404, false, ""},
		{"GET", "/frob/nicate", 404, false, ""},
		{"GET", "/acme/frobnicate", 404, false, ""},
		{"GET", "/api/v2/tickets", 404, false, ""},
		{"GET", "/signin/extra", 404, false, ""},
		{"GET", "/tickets/1/frobnicate", 404, false, ""},
		{"DELETE", "/tickets", 405, false, "POST"},
		{"GET", "/token", 405, false, "POST"},
		{"DELETE", "/signin", 405, true, "GET, POST"},
		{"PUT", "/acme/tickets", 405, true, "GET"},
	} {
		req, err := http.NewRequest(tc.method, base+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		what := tc.method + " " + tc.path
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d: %s", what, resp.StatusCode, tc.status, body)
		}
		if got := resp.Header.Get("Allow"); got != tc.allow {
			t.Errorf("%s: Allow %q, want %q", what, got, tc.allow)
		}
		ct := resp.Header.Get("Content-Type")
		if tc.html {
			if !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(body), "<title>Method Not Allowed") {
				t.Errorf("%s: %s %q, want the inbox's page", what, ct, body)
			}
			continue
		}
		var env envelope
		if err := json.Unmarshal(body, &env); err != nil || !strings.HasPrefix(ct, "application/json") ||
			env.ErrorCode != tc.status || env.ErrorText == nil || string(env.Data) != "null" {
			t.Errorf("%s: %s %q, want the envelope with errorCode %d", what, ct, body, tc.status)
		}
	}
}

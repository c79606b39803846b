package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func tokenForm(clientID, refresh string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {clientID}}
}

// TestTokenFailuresLimited pins the limits of POST /token: ten failures
// for a client id from one address, then 429 slow_down with Retry-After,
// even with the right refresh token; the right one from another address
// still works.
func TestTokenFailuresLimited(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const attacker, integration = "203.0.113.66", "198.51.100.7"
	for i := range 10 {
		status, _, body := b.postTokenFrom(t, attacker, tokenForm(b.cm.ClientID, "guess"+fmt.Sprint(i)))
		if status != http.StatusBadRequest {
			t.Fatalf("failure %d: %d %s, want 400 invalid_grant", i+1, status, body)
		}
	}
	status, header, body := b.postTokenFrom(t, attacker, tokenForm(b.cm.ClientID, b.refresh))
	var oe struct{ Error, ErrorDescription string }
	json.Unmarshal(body, &oe)
	if status != http.StatusTooManyRequests || oe.Error != "slow_down" || header.Get("Retry-After") == "" {
		t.Fatalf("11th attempt: %d %s, Retry-After %q; want 429 slow_down with Retry-After", status, body, header.Get("Retry-After"))
	}
	if status, _, body := b.postTokenFrom(t, integration, tokenForm(b.cm.ClientID, b.refresh)); status != http.StatusOK {
		t.Fatalf("the right token from another address: %d %s, want 200", status, body)
	}
}

// TestTokenFailuresPerClient pins the per-address limit of POST /token:
// 100 failures over any client ids, then 429 for every one.
func TestTokenFailuresPerClient(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const attacker = "203.0.113.66"
	for i := range 100 {
		if status, _, body := b.postTokenFrom(t, attacker, tokenForm(fmt.Sprint("no-such-client-", i), "guess")); status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s, want 401 invalid_client", i+1, status, body)
		}
	}
	if status, _, _ := b.postTokenFrom(t, attacker, tokenForm(b.cm.ClientID, b.refresh)); status != http.StatusTooManyRequests {
		t.Fatalf("101st attempt: %d, want 429", status)
	}
	// Successes are not failures: many from one address are all answered.
	for range 20 {
		b.exchange(t, b.cm.ClientID, b.refresh)
	}
}

// TestLegacyFailuresLimited pins the limits of the Community and X-Token
// headers: ten wrong tokens for a community from one address, then 429 in
// the envelope with Retry-After; the right token from another address
// still works.
func TestLegacyFailuresLimited(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wrong := b.withHeaders("Community", b.cm.Name, "X-Token", "guess", "X-Forwarded-For", "203.0.113.66")
	for range 10 {
		wrong.fail(t, "GET", "/teammates", nil, http.StatusUnauthorized, "do not match")
	}
	right := b.withHeaders("Community", b.cm.Name, "X-Token", b.refresh, "X-Forwarded-For", "203.0.113.66")
	resp, env := right.call(t, "GET", "/teammates", nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(env.ErrorText, "too many failed attempts") {
		t.Fatalf("11th attempt: %d %q, Retry-After %q; want 429 with Retry-After", resp.StatusCode, env.ErrorText, resp.Header.Get("Retry-After"))
	}
	fresh := b.withHeaders("Community", b.cm.Name, "X-Token", b.refresh, "X-Forwarded-For", "198.51.100.7")
	fresh.ok(t, "GET", "/teammates", nil)
}

// countingBody is a request body of n bytes that counts what is read.
type countingBody struct{ left, read int64 }

func (c *countingBody) Read(p []byte) (int, error) {
	if c.left == 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), c.left)
	c.left -= n
	c.read += n
	return int(n), nil
}

func (c *countingBody) Close() error { return nil }

// TestBodyDeclaredTooLarge pins that a Content-Length over the limit is
// answered 413 before a byte of the body is read, in the envelope, and in
// the token endpoint's own format there.
func TestBodyDeclaredTooLarge(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, c := range []struct{ path, want string }{
		{"/tickets", `"errorCode":413`},
		{"/token", `"error":"invalid_request"`},
	} {
		body := &countingBody{left: 1 << 30}
		r := httptest.NewRequest(http.MethodPost, c.path, nil)
		r.Body, r.ContentLength = body, 1<<30
		r.Header.Set("Authorization", "Bearer "+b.token)
		w := httptest.NewRecorder()
		b.handler.ServeHTTP(w, r)
		if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), c.want) {
			t.Fatalf("POST %s of 1 GiB: %d %s, want 413 with %s", c.path, w.Code, w.Body, c.want)
		}
		if body.read != 0 {
			t.Fatalf("POST %s: read %d bytes of the body, want none", c.path, body.read)
		}
	}
}

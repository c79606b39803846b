package api_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"openboards/internal/openboards"
	"openboards/internal/webhook"
	"openboards/internal/webhook/egress"
)

// inboxBase is the public URL the webhook payloads link into.
const inboxBase = "https://inbox.openboards.test"

// loopback is the network the test receivers listen in, which the webhook
// client must be allowed to reach.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// receiver is the HTTPS server that plays every webhook endpoint of the
// test binary. It starts on first use; each test registers endpoints at
// paths of its own.
var receiver struct {
	once      sync.Once
	srv       *httptest.Server
	mu        sync.Mutex
	endpoints map[string]*endpoint // by path
}

func receiverServer() *httptest.Server {
	receiver.once.Do(func() {
		receiver.endpoints = map[string]*endpoint{}
		receiver.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			receiver.mu.Lock()
			e := receiver.endpoints[r.URL.Path]
			receiver.mu.Unlock()
			if e == nil {
				http.NotFound(w, r)
				return
			}
			e.serve(w, r)
		}))
	})
	return receiver.srv
}

// egressClient returns a webhook client that trusts the receiver's
// certificate and may connect to the allowed networks.
func egressClient(t testing.TB, allowed []netip.Prefix, timeout time.Duration) *egress.Client {
	t.Helper()
	roots := receiverServer().Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	c := egress.NewClient(egress.Options{Allowed: allowed, RootCAs: roots, Timeout: timeout})
	t.Cleanup(c.Close)
	return c
}

// startDispatcher runs a webhook dispatcher on the test's clock until the
// test ends, and returns store wrapped so that every transaction that
// queues deliveries wakes it. Deliveries are due at the time of their
// event, so on the shared clock they go out at once, and retries only once
// the test advances the clock past their backoff.
func startDispatcher(t testing.TB, store openboards.Store, client *egress.Client, clk *clock) openboards.Store {
	t.Helper()
	d := webhook.NewDispatcher(store, client, webhook.Options{
		Now: clk.Now, Poll: 50 * time.Millisecond, Jitter: func() float64 { return 1 }, Log: slog.New(slog.DiscardHandler),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dispatcher: %v", err)
		}
	})
	return webhook.WakingStore(store, d.Wake)
}

// endpoint is one webhook receiver. It answers the verification handshake
// with the challenge when the verify token is the one it expects (403
// otherwise), answers notifications with its status and a body naming the
// message, and records every request.
type endpoint struct {
	url string

	mu         sync.Mutex
	token      string
	verify     func(challenge string) (int, string) // replaces the handshake answer when set
	status     int                                  // of notification answers; 0 means 200
	hang       bool                                 // answer nothing until the test ends
	ended      chan struct{}                        // closed when the test ends
	handshakes []url.Values                         // queries of the GET requests
	received   []notification
}

// notification is a POST the endpoint received, with its answer.
type notification struct {
	Header http.Header
	Body   []byte
	Status int
	Answer string
}

var pathUnsafe = regexp.MustCompile(`[^A-Za-z0-9/_-]`)

// newEndpoint registers an endpoint at a path made of the test's name and
// name, expecting token in the handshake.
func newEndpoint(t *testing.T, name, token string) *endpoint {
	t.Helper()
	srv := receiverServer()
	path := "/" + pathUnsafe.ReplaceAllString(t.Name()+"/"+name, "_")
	e := &endpoint{url: srv.URL + path, token: token, ended: make(chan struct{})}
	receiver.mu.Lock()
	defer receiver.mu.Unlock()
	if receiver.endpoints[path] != nil {
		t.Fatalf("endpoint %s registered twice", path)
	}
	receiver.endpoints[path] = e
	t.Cleanup(func() {
		close(e.ended)
		receiver.mu.Lock()
		defer receiver.mu.Unlock()
		delete(receiver.endpoints, path)
	})
	return e
}

func (e *endpoint) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	if e.hang {
		// Hold the answer until the test ends, whatever becomes of the
		// request on this side: returning when its context ends would
		// send an empty 200 on a connection the client may still read.
		e.mu.Unlock()
		<-e.ended
		return
	}
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		e.handshakes = append(e.handshakes, q)
		status, answer := http.StatusOK, q.Get("challenge")
		switch {
		case e.verify != nil:
			status, answer = e.verify(q.Get("challenge"))
		case q.Get("verifyToken") != e.token:
			status, answer = http.StatusForbidden, "wrong verify token"
		}
		e.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, answer)
	case http.MethodPost:
		status := e.status
		if status == 0 {
			status = http.StatusOK
		}
		answer := fmt.Sprintf(`{"received":%q,"status":%d}`, r.Header.Get("webhook-id"), status)
		e.received = append(e.received, notification{Header: r.Header.Clone(), Body: body, Status: status, Answer: answer})
		e.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, answer)
	default:
		e.mu.Unlock()
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (e *endpoint) set(f func(e *endpoint)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f(e)
}

func (e *endpoint) checks() []url.Values {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.handshakes)
}

func (e *endpoint) notifications() []notification {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.received)
}

// waitNotifications waits until the endpoint has received n notifications
// and returns them all.
func (e *endpoint) waitNotifications(t *testing.T, n int) []notification {
	t.Helper()
	var got []notification
	eventually(t, fmt.Sprintf("%d notifications at %s", n, e.url), func() bool {
		got = e.notifications()
		return len(got) >= n
	})
	return got
}

// eventually polls cond until it holds, failing the test after 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// untrustedServer starts an HTTPS server for h whose self-signed
// certificate (valid for 127.0.0.1) nobody trusts.
func untrustedServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "untrusted receiver"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// Views of the webhook API's objects.

type webhookView struct {
	ID                           int64    `json:"id"`
	URL                          string   `json:"url"`
	VerifyToken                  string   `json:"verifyToken"`
	Events                       []string `json:"events"`
	Status                       string   `json:"status"`
	DisabledReason               *string  `json:"disabledReason"`
	DisabledTime                 *string  `json:"disabledTime"`
	FailingSince                 *string  `json:"failingSince"`
	Secret                       string   `json:"secret"`
	PreviousSecretExpirationTime *string  `json:"previousSecretExpirationTime"`
	CreationTime                 string   `json:"creationTime"`
	UpdateTime                   string   `json:"updateTime"`
}

type attemptView struct {
	Time         string  `json:"time"`
	DurationMs   float64 `json:"durationMs"`
	StatusCode   *int    `json:"statusCode"`
	Error        *string `json:"error"`
	ResponseBody string  `json:"responseBody"`
}

type deliveryView struct {
	ID              int64           `json:"id"`
	WebhookID       int64           `json:"webhookId"`
	EventID         int64           `json:"eventId"`
	MessageID       string          `json:"messageId"`
	EventType       string          `json:"eventType"`
	TicketID        int64           `json:"ticketId"`
	Status          string          `json:"status"`
	AttemptCount    int             `json:"attemptCount"`
	NextAttemptTime *string         `json:"nextAttemptTime"`
	CreationTime    string          `json:"creationTime"`
	CompletionTime  *string         `json:"completionTime"`
	Attempts        []attemptView   `json:"attempts"`
	Payload         json.RawMessage `json:"payload"`
}

type testResultView struct {
	Success   bool            `json:"success"`
	EventType string          `json:"eventType"`
	MessageID string          `json:"messageId"`
	Attempt   attemptView     `json:"attempt"`
	Payload   json.RawMessage `json:"payload"`
}

// The views print as JSON in failure messages.
func (v webhookView) String() string    { return asJSON(v) }
func (v attemptView) String() string    { return asJSON(v) }
func (v deliveryView) String() string   { return asJSON(v) }
func (v testResultView) String() string { return asJSON(v) }

func asJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// eventBody is the part of a notification body the tests look at.
type eventBody struct {
	CommunityName string
	EventType     string
	TicketId      int64
}

var (
	webhookKeys = []string{"id", "url", "verifyToken", "events", "status", "disabledReason", "disabledTime", "failingSince",
		"secret", "previousSecretExpirationTime", "creationTime", "updateTime"}
	deliveryKeys = []string{"id", "webhookId", "eventId", "messageId", "eventType", "ticketId", "status", "attemptCount",
		"nextAttemptTime", "creationTime", "completionTime", "attempts"}
	attemptKeys = []string{"time", "durationMs", "statusCode", "error", "responseBody"}
)

// secretPattern is a signing secret: "whsec_" and 32 bytes in base64.
var secretPattern = regexp.MustCompile(`^whsec_[A-Za-z0-9+/]{43}=$`)

// advance moves the test's clock on and signs in again, as access tokens
// last an hour on that clock.
func (b *bundle) advance(t *testing.T, d time.Duration) {
	t.Helper()
	b.clock.Advance(d)
	b.tenant.client = b.bearer(b.exchange(t, b.cm.ClientID, b.refresh).AccessToken)
}

// code is an attempt's status code, 0 when it got no answer.
func code(a attemptView) int {
	if a.StatusCode == nil {
		return 0
	}
	return *a.StatusCode
}

func hookPath(id int64, rest ...string) string {
	return fmt.Sprintf("/webhooks/%d", id) + strings.Join(rest, "")
}

// createWebhook registers e through the API for events.
func (c client) createWebhook(t *testing.T, e *endpoint, events ...string) webhookView {
	t.Helper()
	return decode[webhookView](t, c.ok(t, "POST", "/webhooks", map[string]any{"url": e.url, "verifyToken": e.token, "events": events}))
}

func (c client) webhook(t *testing.T, id int64) webhookView {
	t.Helper()
	return decode[webhookView](t, c.ok(t, "GET", hookPath(id), nil))
}

func (c client) deliveries(t *testing.T, id int64, query string) []deliveryView {
	t.Helper()
	return decode[[]deliveryView](t, c.ok(t, "GET", hookPath(id, "/deliveries", query), nil))
}

// waitDeliveries polls a webhook's deliveries (newest first) until cond
// holds for them.
func (c client) waitDeliveries(t *testing.T, id int64, what string, cond func([]deliveryView) bool) []deliveryView {
	t.Helper()
	var ds []deliveryView
	eventually(t, what, func() bool {
		ds = c.deliveries(t, id, "?take=50")
		return cond(ds)
	})
	return ds
}

func deliveryIDs(ds []deliveryView) []int64 {
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids
}

// succeeded reports whether there are n deliveries, all succeeded.
func succeeded(n int) func([]deliveryView) bool {
	return func(ds []deliveryView) bool {
		if len(ds) != n {
			return false
		}
		for _, d := range ds {
			if d.Status != "succeeded" {
				return false
			}
		}
		return true
	}
}

// checkSigned checks that a notification carries one Standard Webhooks
// signature per secret, and that each secret's verifies.
func checkSigned(t *testing.T, n notification, secrets ...string) {
	t.Helper()
	if got := strings.Fields(n.Header.Get("webhook-signature")); len(got) != len(secrets) {
		t.Errorf("webhook-signature %q: %d signatures, want %d", n.Header.Get("webhook-signature"), len(got), len(secrets))
	}
	for _, s := range secrets {
		if !signedBy(t, n, s) {
			t.Errorf("no signature of %s verifies with the secret %s…", n.Header.Get("webhook-id"), s[:12])
		}
	}
}

// signedBy reports whether some signature of n verifies with secret.
func signedBy(t *testing.T, n notification, secret string) bool {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return wh.VerifyIgnoringTimestamp(n.Body, n.Header) == nil
}

func decodeBody(t *testing.T, n notification) eventBody {
	t.Helper()
	return decode[eventBody](t, n.Body)
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	return cmp.Equal(parseJSON(t, a), parseJSON(t, b))
}

func TestWebhookCreate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := newEndpoint(t, "orders", "verify me & you")

	resp, env := b.call(t, "POST", "/webhooks", map[string]any{
		"url": e.url, "verifyToken": e.token,
		"events": []string{"note_creation", "ticket_creation", "note_creation", "reply_creation"},
	})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /webhooks: status %d: %s", resp.StatusCode, env.ErrorText)
	}
	w := decode[webhookView](t, env.Data)
	want := webhookView{
		ID: w.ID, URL: e.url, VerifyToken: "verify me & you",
		Events: []string{"ticket_creation", "reply_creation", "note_creation"}, Status: "active",
		Secret: w.Secret, CreationTime: apiTime(start), UpdateTime: apiTime(start),
	}
	if diff := cmp.Diff(want, w); diff != "" {
		t.Errorf("created webhook (-want +got):\n%s", diff)
	}
	if !secretPattern.MatchString(w.Secret) {
		t.Errorf("secret %q, want whsec_ and 32 bytes in base64", w.Secret)
	} else if key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(w.Secret, "whsec_")); err != nil || len(key) != 32 {
		t.Errorf("secret %q: key of %d bytes (%v), want 32", w.Secret, len(key), err)
	}
	if got := keys(t, env.Data); !slices.Equal(got, webhookKeys) {
		t.Errorf("keys %v, want %v", got, webhookKeys)
	}

	// The endpoint was verified once with the documented handshake, and
	// sent nothing else.
	checks := e.checks()
	if len(checks) != 1 {
		t.Fatalf("endpoint got %d verification requests, want 1", len(checks))
	}
	if got := checks[0].Get("verifyToken"); got != "verify me & you" {
		t.Errorf("handshake verifyToken %q, want %q", got, "verify me & you")
	}
	if c := checks[0].Get("challenge"); c == "" {
		t.Errorf("handshake without a challenge: %v", checks[0])
	} else if _, err := strconv.ParseUint(c, 10, 32); err != nil {
		t.Errorf("challenge %q is not an unsigned 32-bit number", c)
	}
	if n := len(e.notifications()); n != 0 {
		t.Errorf("endpoint got %d notifications on creation, want 0", n)
	}

	// The webhook reads back as created, alone in the list.
	if got := b.ok(t, "GET", hookPath(w.ID), nil); compact(t, got) != compact(t, env.Data) {
		t.Errorf("GET %s: %s, want the created %s", hookPath(w.ID), got, env.Data)
	}
	if got := b.ok(t, "GET", "/webhooks", nil); compact(t, got) != "["+compact(t, env.Data)+"]" {
		t.Errorf("GET /webhooks: %s, want [%s]", got, env.Data)
	}

	// Every webhook gets its own secret, and status may start paused.
	e2 := newEndpoint(t, "paused", "tok")
	w2 := decode[webhookView](t, b.ok(t, "POST", "/webhooks", map[string]any{
		"url": e2.url, "verifyToken": "tok", "events": []string{"ticket_creation"}, "status": "paused",
	}))
	if w2.ID == w.ID || w2.Secret == w.Secret || w2.Status != "paused" || len(e2.checks()) != 1 {
		t.Errorf("second webhook %+v (verified %d times), want a new id and secret, paused, verified once", w2, len(e2.checks()))
	}

	raw := regexp.MustCompile(`"whsec_[^"]*"`).ReplaceAll(env.Raw, []byte(`"whsec_<secret>"`))
	raw = bytes.ReplaceAll(raw, []byte(receiverServer().URL), []byte("https://receiver.test"))
	b.golden(t, "webhook_create", raw)
}

func TestWebhookCreateRejected(t *testing.T) {
	t.Parallel()
	b := setup(t)
	host := strings.TrimPrefix(receiverServer().URL, "https://")
	good := newEndpoint(t, "good", "tok")
	wrongBody := newEndpoint(t, "wrong-body", "tok")
	wrongBody.set(func(e *endpoint) { e.verify = func(string) (int, string) { return http.StatusOK, "nope" } })
	failing := newEndpoint(t, "failing", "tok")
	failing.set(func(e *endpoint) {
		e.verify = func(string) (int, string) { return http.StatusInternalServerError, "boom" }
	})
	picky := newEndpoint(t, "picky", "the right token")
	untrusted := &endpoint{token: "tok"}
	untrustedSrv := untrustedServer(t, http.HandlerFunc(untrusted.serve))
	untrusted.url = untrustedSrv.URL + "/hook"

	const absent = "<absent>"
	body := func(kv ...any) map[string]any {
		m := map[string]any{"url": good.url, "verifyToken": "tok", "events": []string{"ticket_creation"}}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == absent {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	for _, tc := range []struct {
		name string
		body any
		text string
	}{
		{"NoBody", nil, "body: a JSON body is required"},
		{"MissingURL", body("url", absent), "url: required"},
		{"EmptyURL", body("url", ""), "url: endpoint URL is empty"},
		{"HTTP", body("url", "http://example.com/hook"), `url: endpoint URL "http://example.com/hook" uses http; webhook endpoints must use https`},
		{"OtherScheme", body("url", "ftp://example.com/hook"), `url: endpoint URL "ftp://example.com/hook" uses the scheme "ftp"`},
		{"NotAURL", body("url", "not a url"), `url: endpoint URL "not a url" is not absolute; it must start with https://`},
		{"BadHost", body("url", "https://exa mple.com/"), `url: endpoint URL "https://exa mple.com/" is not a valid URL`},
		{"Credentials", body("url", "https://user:pw@example.com/"), "contains a user name or password"},
		{"URLNotString", body("url", 42), "url: must be a string"},
		{"MissingVerifyToken", body("verifyToken", absent), "verifyToken: required"},
		{"BlankVerifyToken", body("verifyToken", "   "), "verifyToken: required"},
		{"LongVerifyToken", body("verifyToken", strings.Repeat("x", 501)), "verifyToken: longer than 500 characters"},
		{"MissingEvents", body("events", absent), "events: required"},
		{"NoEvents", body("events", []string{}), "events: choose at least one event"},
		{"UnknownEvent", body("events", []string{"ticket_creation", "ticket_deleted"}), `events[1]: unknown event "ticket_deleted"`},
		{"EventCase", body("events", []string{"Ticket_Creation"}), `events[0]: unknown event "Ticket_Creation"`},
		{"EventsNotArray", body("events", "ticket_creation"), "events: must be an array"},
		{"StatusDisabled", body("status", "disabled"), `status: "disabled" cannot be set (want active or paused)`},
		{"StatusUnknown", body("status", "archived"), `status: "archived" cannot be set`},
		// The endpoint is tried and fails the handshake.
		{"WrongAnswer", body("url", wrongBody.url), fmt.Sprintf(`url: the verification request failed: webhook endpoint %s answered with a body that is not the challenge: got "nope"`, host)},
		{"ServerError", body("url", failing.url), fmt.Sprintf("url: the verification request failed: webhook endpoint %s answered 500 Internal Server Error", host)},
		{"WrongToken", body("url", picky.url, "verifyToken", "another token"), fmt.Sprintf("url: the verification request failed: webhook endpoint %s answered 403 Forbidden", host)},
		{"NoSuchPath", body("url", receiverServer().URL+"/nowhere"), "answered 404 Not Found"},
		{"Untrusted", body("url", untrusted.url), fmt.Sprintf("url: the verification request failed: webhook endpoint %s presented a TLS certificate that is not trusted",
			strings.TrimPrefix(untrustedSrv.URL, "https://"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.fail(t, "POST", "/webhooks", tc.body, http.StatusBadRequest, tc.text)
			if got := string(b.ok(t, "GET", "/webhooks", nil)); got != "[]" {
				t.Fatalf("GET /webhooks after a rejected creation: %s, want []", got)
			}
		})
	}

	// Invalid settings are refused before the endpoint is contacted; each
	// failed handshake was tried once.
	if n := len(good.checks()); n != 0 {
		t.Errorf("the endpoint of invalid settings got %d verification requests, want 0", n)
	}
	for name, e := range map[string]*endpoint{"wrong-body": wrongBody, "failing": failing, "picky": picky} {
		if n := len(e.checks()); n != 1 {
			t.Errorf("%s: %d verification requests, want 1", name, n)
		}
	}
	if n := len(untrusted.checks()); n != 0 {
		t.Errorf("the untrusted server got %d requests past TLS, want 0", n)
	}
}

// TestWebhookCreateLoopbackRefused: without an allowed network, an
// endpoint on a loopback address is refused before any request is sent.
func TestWebhookCreateLoopbackRefused(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{Egress: egressClient(t, nil, 0)})
	e := newEndpoint(t, "local", "tok")
	u, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"https://localhost:" + u.Port() + u.Path, e.url} {
		_, env := b.do(t, "POST", "/webhooks", map[string]any{"url": target, "verifyToken": "tok", "events": []string{"ticket_creation"}})
		for _, want := range []string{"url: the verification request failed", "loopback", egress.AllowedNetworksVar} {
			if !strings.Contains(env.ErrorText, want) {
				t.Errorf("POST /webhooks %s: errorCode %d %q, want 400 containing %q", target, env.ErrorCode, env.ErrorText, want)
			}
		}
		if env.ErrorCode != http.StatusBadRequest {
			t.Errorf("POST /webhooks %s: errorCode %d, want 400", target, env.ErrorCode)
		}
	}
	if n := len(e.checks()); n != 0 {
		t.Errorf("the refused endpoint got %d requests", n)
	}
	if got := string(b.ok(t, "GET", "/webhooks", nil)); got != "[]" {
		t.Errorf("GET /webhooks: %s, want []", got)
	}
}

// TestWebhookCreateTimeout: an endpoint that does not answer the handshake
// fails it when the client's timeout runs out.
func TestWebhookCreateTimeout(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{Egress: egressClient(t, loopback, 300*time.Millisecond)})
	e := newEndpoint(t, "hanging", "tok")
	e.set(func(e *endpoint) { e.hang = true })
	b.fail(t, "POST", "/webhooks", map[string]any{"url": e.url, "verifyToken": "tok", "events": []string{"ticket_creation"}},
		http.StatusBadRequest, "url: the verification request failed: webhook endpoint "+strings.TrimPrefix(receiverServer().URL, "https://")+" did not answer within 300ms")
	if got := string(b.ok(t, "GET", "/webhooks", nil)); got != "[]" {
		t.Errorf("GET /webhooks: %s, want []", got)
	}
}

func TestWebhookUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := newEndpoint(t, "first", "tok")
	w := b.createWebhook(t, e, "ticket_creation")
	second := b.createWebhook(t, newEndpoint(t, "second", "tok2"), "note_creation")
	path := hookPath(w.ID)

	t.Run("List", func(t *testing.T) {
		list := decode[[]webhookView](t, b.ok(t, "GET", "/webhooks", nil))
		if diff := cmp.Diff([]webhookView{w, second}, list); diff != "" {
			t.Errorf("GET /webhooks (-want +got):\n%s", diff)
		}
	})

	t.Run("Events", func(t *testing.T) {
		b.clock.Advance(time.Minute)
		got := decode[webhookView](t, b.ok(t, "PATCH", path, map[string]any{"events": []string{"reply_creation", "ticket_creation", "reply_creation"}}))
		want := w
		want.Events = []string{"ticket_creation", "reply_creation"}
		want.UpdateTime = apiTime(start.Add(time.Minute))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("PATCH events (-want +got):\n%s", diff)
		}
		if n := len(e.checks()); n != 1 {
			t.Errorf("changing events only sent %d verification requests in all, want the 1 of creation", n)
		}
		if diff := cmp.Diff(got, b.webhook(t, w.ID)); diff != "" {
			t.Errorf("GET after PATCH (-patched +got):\n%s", diff)
		}
		w = got
	})

	moved := newEndpoint(t, "moved", "tok")
	t.Run("URL", func(t *testing.T) {
		b.clock.Advance(time.Minute)
		got := decode[webhookView](t, b.ok(t, "PATCH", path, map[string]any{"url": moved.url}))
		want := w
		want.URL, want.UpdateTime = moved.url, apiTime(start.Add(2*time.Minute))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("PATCH url (-want +got):\n%s", diff)
		}
		checks := moved.checks()
		if len(checks) != 1 || checks[0].Get("verifyToken") != "tok" {
			t.Errorf("new URL got verification requests %v, want one with verifyToken tok", checks)
		}
		if n := len(e.checks()); n != 1 {
			t.Errorf("old URL got %d verification requests, want only the 1 of creation", n)
		}
		w = got
	})

	t.Run("VerifyToken", func(t *testing.T) {
		moved.set(func(e *endpoint) { e.token = "tok & more" })
		got := decode[webhookView](t, b.ok(t, "PATCH", path, map[string]any{"verifyToken": "tok & more"}))
		if got.VerifyToken != "tok & more" || got.URL != moved.url {
			t.Errorf("PATCH verifyToken: %+v", got)
		}
		checks := moved.checks()
		if len(checks) != 2 || checks[1].Get("verifyToken") != "tok & more" {
			t.Errorf("verification requests %v, want a second one with the new token", checks)
		}
		w = got
	})

	t.Run("PausedThenActive", func(t *testing.T) {
		before := len(moved.checks())
		for _, status := range []string{"paused", "active"} {
			got := decode[webhookView](t, b.ok(t, "PATCH", path, map[string]any{"status": status}))
			want := w
			want.Status = status
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("PATCH status %s (-want +got):\n%s", status, diff)
			}
			if got := b.webhook(t, w.ID).Status; got != status {
				t.Errorf("GET after PATCH status %s: status %s", status, got)
			}
		}
		if n := len(moved.checks()) - before; n != 0 {
			t.Errorf("pausing and resuming sent %d verification requests, want 0", n)
		}
	})

	t.Run("Rejected", func(t *testing.T) {
		failing := newEndpoint(t, "failing", "tok")
		failing.set(func(e *endpoint) {
			e.verify = func(string) (int, string) { return http.StatusInternalServerError, "down" }
		})
		before := b.ok(t, "GET", path, nil)
		for _, tc := range []struct {
			name string
			body any
			text string
		}{
			{"NoBody", nil, "body: a JSON body is required"},
			{"StatusDisabled", map[string]any{"status": "disabled"}, `status: "disabled" cannot be set (want active or paused)`},
			{"StatusUnknown", map[string]any{"status": "off"}, `status: "off" cannot be set`},
			{"NoEvents", map[string]any{"events": []string{}}, "events: choose at least one event"},
			{"UnknownEvent", map[string]any{"events": []string{"note_creation", "ticket_deleted"}}, `events[1]: unknown event "ticket_deleted"`},
			{"EventsNotArray", map[string]any{"events": "note_creation"}, "events: must be an array"},
			{"HTTP", map[string]any{"url": "http://example.com/"}, `url: endpoint URL "http://example.com/" uses http`},
			{"EmptyURL", map[string]any{"url": ""}, "url: endpoint URL is empty"},
			{"BlankVerifyToken", map[string]any{"verifyToken": " "}, "verifyToken: required"},
			{"TokenRefused", map[string]any{"verifyToken": "wrong"}, "url: the verification request failed: webhook endpoint " + strings.TrimPrefix(receiverServer().URL, "https://") + " answered 403 Forbidden"},
			{"URLFailing", map[string]any{"url": failing.url, "events": []string{"note_creation"}}, "url: the verification request failed: webhook endpoint " + strings.TrimPrefix(receiverServer().URL, "https://") + " answered 500 Internal Server Error"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b.fail(t, "PATCH", path, tc.body, http.StatusBadRequest, tc.text)
				if after := b.ok(t, "GET", path, nil); compact(t, after) != compact(t, before) {
					t.Errorf("rejected PATCH changed the webhook:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		b.fail(t, "PATCH", "/webhooks/999", map[string]any{"status": "paused"}, http.StatusNotFound, "webhook 999 not found")
		b.fail(t, "GET", "/webhooks/999", nil, http.StatusNotFound, "webhook 999 not found")
		b.fail(t, "GET", "/webhooks/abc", nil, http.StatusBadRequest, `id: "abc" is not a positive integer id`)
	})

	t.Run("Delete", func(t *testing.T) {
		if got := compact(t, b.ok(t, "DELETE", path, nil)); got != "{}" {
			t.Errorf("DELETE %s: data %s, want {}", path, got)
		}
		notFound := fmt.Sprintf("webhook %d not found", w.ID)
		b.fail(t, "GET", path, nil, http.StatusNotFound, notFound)
		b.fail(t, "DELETE", path, nil, http.StatusNotFound, notFound)
		b.fail(t, "PATCH", path, map[string]any{"status": "active"}, http.StatusNotFound, notFound)
		b.fail(t, "GET", path+"/deliveries", nil, http.StatusNotFound, notFound)
		list := decode[[]webhookView](t, b.ok(t, "GET", "/webhooks", nil))
		if diff := cmp.Diff([]webhookView{second}, list); diff != "" {
			t.Errorf("GET /webhooks after DELETE (-want +got):\n%s", diff)
		}
	})
}

func TestWebhookRotateSecret(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := newEndpoint(t, "rotate", "tok")
	w := b.createWebhook(t, e, "ticket_status_change")
	path := hookPath(w.ID)
	// sendTest makes the endpoint receive a test event and returns it.
	sendTest := func(t *testing.T) notification {
		t.Helper()
		before := len(e.notifications())
		if res := decode[testResultView](t, b.ok(t, "POST", path+"/test", nil)); !res.Success {
			t.Fatalf("test event failed: %+v", res)
		}
		got := e.notifications()
		if len(got) != before+1 {
			t.Fatalf("endpoint got %d notifications, want %d", len(got), before+1)
		}
		return got[before]
	}

	b.advance(t, time.Hour)
	rotated := decode[webhookView](t, b.ok(t, "POST", path+"/secret", nil))
	if rotated.Secret == w.Secret || !secretPattern.MatchString(rotated.Secret) {
		t.Errorf("new secret %q, old %q: want a different whsec_ secret", rotated.Secret, w.Secret)
	}
	want := w
	want.Secret = rotated.Secret
	want.PreviousSecretExpirationTime = ptr(apiTime(start.Add(25 * time.Hour)))
	want.UpdateTime = apiTime(start.Add(time.Hour))
	if diff := cmp.Diff(want, rotated); diff != "" {
		t.Errorf("POST secret (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(rotated, b.webhook(t, w.ID)); diff != "" {
		t.Errorf("GET after rotation (-rotated +got):\n%s", diff)
	}
	if n := len(e.checks()); n != 1 {
		t.Errorf("rotation sent %d verification requests in all, want the 1 of creation", n)
	}
	// Both secrets sign while the old one lasts.
	checkSigned(t, sendTest(t), rotated.Secret, w.Secret)

	// Just before expiring, the previous secret still counts; then not.
	b.advance(t, 24*time.Hour-time.Second)
	if got := b.webhook(t, w.ID).PreviousSecretExpirationTime; got == nil || *got != apiTime(start.Add(25*time.Hour)) {
		t.Errorf("a second before expiry: previousSecretExpirationTime %v, want %s", got, apiTime(start.Add(25*time.Hour)))
	}
	checkSigned(t, sendTest(t), rotated.Secret, w.Secret)
	b.advance(t, time.Second)
	got := b.webhook(t, w.ID)
	if got.PreviousSecretExpirationTime != nil || got.Secret != rotated.Secret {
		t.Errorf("after expiry: %+v, want the new secret alone", got)
	}
	n := sendTest(t)
	checkSigned(t, n, rotated.Secret)
	if signedBy(t, n, w.Secret) {
		t.Errorf("a notification after expiry is signed with the old secret")
	}

	// A second rotation keeps only the secret it replaces.
	again := decode[webhookView](t, b.ok(t, "POST", path+"/secret", nil))
	if again.Secret == rotated.Secret || again.Secret == w.Secret {
		t.Errorf("second rotation reused a secret")
	}
	if want := apiTime(start.Add(49 * time.Hour)); again.PreviousSecretExpirationTime == nil || *again.PreviousSecretExpirationTime != want {
		t.Errorf("second rotation: previousSecretExpirationTime %v, want %s", again.PreviousSecretExpirationTime, want)
	}
	n = sendTest(t)
	checkSigned(t, n, again.Secret, rotated.Secret)
	if signedBy(t, n, w.Secret) {
		t.Errorf("the first secret still signs after two rotations")
	}

	b.fail(t, "POST", "/webhooks/999/secret", nil, http.StatusNotFound, "webhook 999 not found")
}

func ptr[T any](v T) *T { return &v }

func TestWebhookDeliveries(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{Dispatch: true})
	e := newEndpoint(t, "deliveries", "tok")
	w := b.createWebhook(t, e, "ticket_creation", "ticket_status_change")
	path := hookPath(w.ID)

	if got := string(b.ok(t, "GET", path+"/deliveries", nil)); got != "[]" {
		t.Fatalf("deliveries before any event: %s, want []", got)
	}
	id := b.createTicket(t, simpleTicket("Webhook me"))
	n := e.waitNotifications(t, 1)[0]
	ds := b.waitDeliveries(t, w.ID, "the first delivery to succeed", succeeded(1))
	d := ds[0]

	t.Run("Delivered", func(t *testing.T) {
		if d.WebhookID != w.ID || d.EventType != "ticket_creation" || d.TicketID != id || d.MessageID != fmt.Sprintf("msg_%d", d.EventID) ||
			d.AttemptCount != 1 || d.NextAttemptTime != nil || d.CreationTime != apiTime(start) || d.CompletionTime == nil || d.Payload != nil {
			t.Errorf("delivery %+v", d)
		}
		if len(d.Attempts) != 1 {
			t.Fatalf("attempts %+v, want 1", d.Attempts)
		}
		a := d.Attempts[0]
		if code(a) != 200 || a.Error != nil || a.DurationMs < 0 || a.ResponseBody != n.Answer || a.Time != apiTime(start) {
			t.Errorf("attempt %+v, want status 200, no error, duration ≥ 0, response %s, at %s", a, n.Answer, apiTime(start))
		}
		if *d.CompletionTime < a.Time {
			t.Errorf("completionTime %s before the attempt at %s", *d.CompletionTime, a.Time)
		}
		// What the endpoint received is the delivery's message.
		if got := n.Header.Get("webhook-id"); got != d.MessageID {
			t.Errorf("webhook-id %q, want %q", got, d.MessageID)
		}
		if got, want := n.Header.Get("webhook-timestamp"), strconv.FormatInt(start.Unix(), 10); got != want {
			t.Errorf("webhook-timestamp %q, want %s (the clock's time)", got, want)
		}
		if got := n.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type %q", got)
		}
		checkSigned(t, n, w.Secret)
		if got := decodeBody(t, n); got != (eventBody{CommunityName: "acme", EventType: "ticket_creation", TicketId: id}) {
			t.Errorf("body %s", n.Body)
		}
		raw := b.ok(t, "GET", path+"/deliveries", nil)
		if got := keys(t, at(t, raw, "0")); !slices.Equal(got, deliveryKeys) {
			t.Errorf("delivery keys %v, want %v (no payload in lists)", got, deliveryKeys)
		}
		if got := keys(t, at(t, raw, "0.attempts.0")); !slices.Equal(got, attemptKeys) {
			t.Errorf("attempt keys %v, want %v", got, attemptKeys)
		}
	})

	t.Run("Get", func(t *testing.T) {
		raw := b.ok(t, "GET", path+fmt.Sprintf("/deliveries/%d", d.ID), nil)
		one := decode[deliveryView](t, raw)
		if !sameJSON(t, one.Payload, n.Body) {
			t.Errorf("payload %s, want the body the endpoint received %s", one.Payload, n.Body)
		}
		one.Payload = nil
		if diff := cmp.Diff(d, one); diff != "" {
			t.Errorf("GET delivery differs from the list's (-list +got):\n%s", diff)
		}
		if got := keys(t, raw); !slices.Equal(got, append(slices.Clone(deliveryKeys), "payload")) {
			t.Errorf("keys %v, want %v and payload", got, deliveryKeys)
		}
		b.fail(t, "GET", path+"/deliveries/999", nil, http.StatusNotFound, "delivery 999 not found")
		b.fail(t, "GET", fmt.Sprintf("/webhooks/999/deliveries/%d", d.ID), nil, http.StatusNotFound, "not found")
		b.fail(t, "GET", "/webhooks/999/deliveries", nil, http.StatusNotFound, "webhook 999 not found")
	})

	// A status change, then a ticket whose delivery fails.
	b.ok(t, "PATCH", fmt.Sprintf("/tickets/%d/status", id), map[string]any{"status": "pending"})
	b.waitDeliveries(t, w.ID, "the status change to be delivered", succeeded(2))
	e.set(func(e *endpoint) { e.status = http.StatusInternalServerError })
	id2 := b.createTicket(t, simpleTicket("Failing"))
	ds = b.waitDeliveries(t, w.ID, "an attempt of the third delivery", func(ds []deliveryView) bool {
		return len(ds) == 3 && ds[0].AttemptCount == 1
	})
	failed := ds[0]
	t.Run("Failed", func(t *testing.T) {
		last := e.notifications()[2]
		if failed.Status != "pending" || failed.TicketID != id2 || failed.CompletionTime != nil || failed.NextAttemptTime == nil || *failed.NextAttemptTime <= apiTime(start) {
			t.Errorf("failed delivery %+v, want pending with a later next attempt", failed)
		}
		a := failed.Attempts[0]
		if code(a) != 500 || a.Error == nil || !strings.Contains(*a.Error, "answered 500 Internal Server Error") || a.ResponseBody != last.Answer {
			t.Errorf("attempt %+v, want status 500 with its error and the answer %s", a, last.Answer)
		}
	})

	t.Run("Filters", func(t *testing.T) {
		statusChange := ds[1]
		for _, tc := range []struct {
			query string
			want  []int64
		}{
			{"", []int64{failed.ID, statusChange.ID, d.ID}},
			{"?status=succeeded", []int64{statusChange.ID, d.ID}},
			{"?status=pending", []int64{failed.ID}},
			{"?status=failed", []int64{}},
			{"?eventType=ticket_status_change", []int64{statusChange.ID}},
			{"?eventType=ticket_creation", []int64{failed.ID, d.ID}},
			{"?eventType=ticket_creation&status=succeeded", []int64{d.ID}},
			{"?eventType=reply_creation", []int64{}},
			{"?status=", []int64{failed.ID, statusChange.ID, d.ID}},
			{"?take=1", []int64{failed.ID}},
			{"?skip=1&take=1", []int64{statusChange.ID}},
			{"?skip=3", []int64{}},
		} {
			if got := deliveryIDs(b.deliveries(t, w.ID, tc.query)); !slices.Equal(got, tc.want) {
				t.Errorf("deliveries%s: %v, want %v", tc.query, got, tc.want)
			}
		}
		b.fail(t, "GET", path+"/deliveries?status=bogus", nil, http.StatusBadRequest, `status: unknown delivery status "bogus" (want one of pending, succeeded, failed)`)
		b.fail(t, "GET", path+"/deliveries?status=Succeeded", nil, http.StatusBadRequest, "status: ")
		b.fail(t, "GET", path+"/deliveries?eventType=ticket_deleted", nil, http.StatusBadRequest, `eventType: unknown event "ticket_deleted"`)
		b.fail(t, "GET", path+"/deliveries?take=many", nil, http.StatusBadRequest, `take: "many" is not an integer`)
	})

	t.Run("Retry", func(t *testing.T) {
		// The retry comes due once the clock passes the backoff.
		e.set(func(e *endpoint) { e.status = 0 })
		b.clock.Advance(10 * time.Second)
		ds := b.waitDeliveries(t, w.ID, "the retry to succeed", succeeded(3))
		if a := ds[0].Attempts; len(a) != 2 || code(a[0]) != 500 || code(a[1]) != 200 || a[1].Error != nil || ds[0].AttemptCount != 2 {
			t.Errorf("attempts %+v, want a 500 then a 200", a)
		}
		if got := e.notifications(); len(got) != 4 || got[3].Header.Get("webhook-id") != failed.MessageID {
			t.Errorf("the retry was not sent with webhook-id %s", failed.MessageID)
		}
	})

	t.Run("Redeliver", func(t *testing.T) {
		before := len(e.notifications())
		all := b.deliveries(t, w.ID, "")
		r := decode[deliveryView](t, b.ok(t, "POST", path+fmt.Sprintf("/deliveries/%d/redeliver", d.ID), nil))
		if r.ID <= all[0].ID || r.EventID != d.EventID || r.MessageID != d.MessageID || r.EventType != d.EventType || r.TicketID != id ||
			r.Status != "pending" || r.AttemptCount != 0 || len(r.Attempts) != 0 || r.CompletionTime != nil || r.WebhookID != w.ID {
			t.Errorf("redelivery %+v, want a new pending delivery of event %d", r, d.EventID)
		}
		got := e.waitNotifications(t, before+1)[before]
		if got.Header.Get("webhook-id") != d.MessageID || !bytes.Equal(got.Body, n.Body) {
			t.Errorf("redelivered %s %s, want %s %s", got.Header.Get("webhook-id"), got.Body, d.MessageID, n.Body)
		}
		checkSigned(t, got, w.Secret)
		b.waitDeliveries(t, w.ID, "the redelivery to succeed", succeeded(4))
		if one := decode[deliveryView](t, b.ok(t, "GET", path+fmt.Sprintf("/deliveries/%d", d.ID), nil)); one.AttemptCount != 1 {
			t.Errorf("the original delivery changed: %+v", one)
		}
		b.fail(t, "POST", path+"/deliveries/999/redeliver", nil, http.StatusNotFound, "delivery 999 not found")
		b.fail(t, "POST", fmt.Sprintf("/webhooks/999/deliveries/%d/redeliver", d.ID), nil, http.StatusNotFound, "not found")
	})
}

func TestWebhookReplay(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{Dispatch: true})
	e := newEndpoint(t, "replay", "tok")
	w := b.createWebhook(t, e, "ticket_creation", "ticket_status_change")
	path := hookPath(w.ID) + "/replay"

	// Events at +0 (creation of t1), +1m (creation of t2), +2m (status of
	// t1) and +3m (a reply, which the webhook does not subscribe to). The
	// clock only moves once the deliveries under way are done: a jump past
	// their lease would let the dispatcher claim them again.
	t1 := b.createTicket(t, simpleTicket("First"))
	b.waitDeliveries(t, w.ID, "the first delivery", succeeded(1))
	b.clock.Advance(time.Minute)
	t2 := b.createTicket(t, simpleTicket("Second"))
	b.waitDeliveries(t, w.ID, "the second delivery", succeeded(2))
	b.clock.Advance(time.Minute)
	b.ok(t, "PATCH", fmt.Sprintf("/tickets/%d/status", t1), map[string]any{"status": "pending"})
	ds := b.waitDeliveries(t, w.ID, "the third delivery", succeeded(3))
	b.clock.Advance(time.Minute)
	b.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", t2), agentReply("Thanks", "suppressTicketStatusAutoupdate", true))
	b.clock.Advance(time.Minute)
	if n := len(e.notifications()); n != 3 {
		t.Fatalf("endpoint got %d notifications, want 3", n)
	}
	message := map[string]string{} // by event: type and ticket id
	for _, d := range ds {
		message[fmt.Sprintf("%s %d", d.EventType, d.TicketID)] = d.MessageID
	}
	created1, created2, status1 := message[fmt.Sprintf("ticket_creation %d", t1)], message[fmt.Sprintf("ticket_creation %d", t2)], message[fmt.Sprintf("ticket_status_change %d", t1)]
	if created1 == "" || created2 == "" || status1 == "" {
		t.Fatalf("deliveries %+v, want the creations of %d and %d and the status change of %d", ds, t1, t2, t1)
	}

	at := func(d time.Duration) string { return apiTime(start.Add(d)) }
	sent := 3
	for _, tc := range []struct {
		name string
		body map[string]any
		want []string // webhook-ids, in order
	}{
		{"All", map[string]any{"from": at(0), "to": at(10 * time.Minute)}, []string{created1, created2, status1}},
		{"Range", map[string]any{"from": at(30 * time.Second), "to": at(2 * time.Minute)}, []string{created2}},
		{"ToExcluded", map[string]any{"from": at(0), "to": at(2 * time.Minute), "events": []string{"ticket_status_change"}}, nil},
		{"FromIncluded", map[string]any{"from": at(2 * time.Minute), "to": at(3 * time.Minute), "events": []string{"ticket_status_change"}}, []string{status1}},
		{"Types", map[string]any{"from": at(0), "to": at(time.Hour), "events": []string{"ticket_creation"}}, []string{created1, created2}},
		{"Offset", map[string]any{"from": start.Add(time.Minute).In(time.FixedZone("", 3600)).Format(time.RFC3339Nano), "to": at(90 * time.Second)}, []string{created2}},
		{"ToDefaultsToNow", map[string]any{"from": at(time.Minute)}, []string{created2, status1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decode[map[string]int](t, b.ok(t, "POST", path, tc.body))
			if want := map[string]int{"queued": len(tc.want)}; !cmp.Equal(got, want) {
				t.Fatalf("replay %v: %v, want %v", tc.body, got, want)
			}
			ns := e.waitNotifications(t, sent+len(tc.want))
			var ids []string
			for _, n := range ns[sent:] {
				ids = append(ids, n.Header.Get("webhook-id"))
			}
			sent = len(ns)
			b.waitDeliveries(t, w.ID, "the replayed deliveries", succeeded(sent))
			// Deliveries of different tickets may overtake one another.
			slices.Sort(ids)
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(ids, want) {
				t.Errorf("replay sent %v, want %v", ids, want)
			}
		})
	}
	total := sent

	t.Run("Rejected", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			body any
			text string
		}{
			{"NoBody", nil, "body: a JSON body is required"},
			{"NoFrom", map[string]any{"to": at(time.Minute)}, "from: required"},
			{"BadFrom", map[string]any{"from": "yesterday"}, `from: "yesterday" is not a date-time`},
			{"BadTo", map[string]any{"from": at(0), "to": "later"}, `to: "later" is not a date-time`},
			{"ToBeforeFrom", map[string]any{"from": at(2 * time.Minute), "to": at(time.Minute)}, "to: must be after from"},
			{"EmptyRange", map[string]any{"from": at(time.Minute), "to": at(time.Minute)}, "to: must be after from"},
			{"NotSubscribed", map[string]any{"from": at(0), "events": []string{"reply_creation"}}, fmt.Sprintf("events[0]: webhook %d does not subscribe to reply_creation", w.ID)},
			{"NotSubscribedFirst", map[string]any{"from": at(0), "events": []string{"reply_creation", "ticket_creation"}}, fmt.Sprintf("events[0]: webhook %d does not subscribe to reply_creation", w.ID)},
			{"NotSubscribedSecond", map[string]any{"from": at(0), "events": []string{"ticket_status_change", "note_creation"}}, fmt.Sprintf("events[1]: webhook %d does not subscribe to note_creation", w.ID)},
			{"UnknownEvent", map[string]any{"from": at(0), "events": []string{"ticket_creation", "ticket_deleted"}}, `events[1]: unknown event "ticket_deleted"`},
			{"NoEvents", map[string]any{"from": at(0), "events": []string{}}, "events: choose at least one event"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b.fail(t, "POST", path, tc.body, http.StatusBadRequest, tc.text)
			})
		}
		b.fail(t, "POST", "/webhooks/999/replay", map[string]any{"from": at(0)}, http.StatusNotFound, "webhook 999 not found")
		if n := len(b.deliveries(t, w.ID, "?take=50")); n != total {
			t.Errorf("%d deliveries after rejected replays, want %d", n, total)
		}
	})

	t.Run("Paging", func(t *testing.T) {
		// Pause the endpoint and replay enough to fill more than a page.
		b.ok(t, "PATCH", hookPath(w.ID), map[string]any{"status": "paused"})
		all := total
		for all <= 50 {
			all += decode[map[string]int](t, b.ok(t, "POST", path, map[string]any{"from": at(0)}))["queued"]
		}
		ids := deliveryIDs(b.deliveries(t, w.ID, ""))
		if len(ids) != 25 {
			t.Errorf("default page: %d deliveries, want 25", len(ids))
		}
		full := deliveryIDs(b.deliveries(t, w.ID, "?take=100"))
		if len(full) != 50 || !slices.Equal(full[:25], ids) || !slices.IsSortedFunc(full, func(a, b int64) int { return int(b - a) }) {
			t.Errorf("take=100: %d deliveries %v, want the newest 50 newest first", len(full), full)
		}
		rest := deliveryIDs(b.deliveries(t, w.ID, "?skip=50&take=50"))
		if len(rest) != all-50 || (len(rest) > 0 && rest[0] >= full[49]) {
			t.Errorf("skip=50: %v, want the %d oldest", rest, all-50)
		}
	})
}

// TestWebhookReenable: an endpoint that answers 410 Gone is disabled; it
// is re-verified when enabled again, and then gets what it missed.
func TestWebhookReenable(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{Dispatch: true})
	e := newEndpoint(t, "gone", "tok")
	w := b.createWebhook(t, e, "ticket_creation")
	e.set(func(e *endpoint) { e.status = http.StatusGone })
	b.createTicket(t, simpleTicket("Sent to a gone endpoint"))
	var got webhookView
	eventually(t, "the endpoint to be disabled", func() bool {
		got = b.webhook(t, w.ID)
		return got.Status == "disabled"
	})
	want := w
	want.Status, want.DisabledReason, want.DisabledTime, want.FailingSince = "disabled", ptr("the endpoint answered 410 Gone"), ptr(apiTime(start)), ptr(apiTime(start))
	want.UpdateTime = apiTime(start)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("disabled webhook (-want +got):\n%s", diff)
	}

	// While disabled, events are recorded but not queued for it.
	b.clock.Advance(time.Minute)
	missed := b.createTicket(t, simpleTicket("Missed"))
	if ds := b.deliveries(t, w.ID, ""); len(ds) != 1 {
		t.Errorf("a disabled endpoint has %d deliveries, want only the first", len(ds))
	}
	b.fail(t, "PATCH", hookPath(w.ID), map[string]any{"status": "disabled"}, http.StatusBadRequest, "status:")

	// Enabling it again needs a successful handshake.
	b.clock.Advance(time.Minute)
	checks := len(e.checks())
	e.set(func(e *endpoint) { e.verify = func(string) (int, string) { return http.StatusGone, "" } })
	b.fail(t, "PATCH", hookPath(w.ID), map[string]any{"status": "active"}, http.StatusBadRequest, "url: the verification request failed")
	if got := b.webhook(t, w.ID); got.Status != "disabled" {
		t.Errorf("after a failed handshake: status %s, want disabled", got.Status)
	}
	e.set(func(e *endpoint) { e.verify, e.status = nil, 0 })
	got = decode[webhookView](t, b.ok(t, "PATCH", hookPath(w.ID), map[string]any{"status": "active"}))
	if got.Status != "active" || got.DisabledReason != nil || got.DisabledTime != nil || got.FailingSince != nil {
		t.Errorf("re-enabled webhook %+v, want active without disabled fields", got)
	}
	if n := len(e.checks()) - checks; n != 2 {
		t.Errorf("re-enabling sent %d verification requests, want 2 (one failed, one passed)", n)
	}
	eventually(t, "the missed event to arrive", func() bool {
		for _, n := range e.notifications() {
			if n.Status == http.StatusOK && decodeBody(t, n).TicketId == missed {
				return true
			}
		}
		return false
	})
}

func TestWebhookTest(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := newEndpoint(t, "test", "tok")
	w := b.createWebhook(t, e, "ticket_creation")
	path := hookPath(w.ID) + "/test"

	raw := b.ok(t, "POST", path, nil)
	res := decode[testResultView](t, raw)
	ns := e.notifications()
	if len(ns) != 1 {
		t.Fatalf("endpoint got %d notifications, want 1", len(ns))
	}
	n := ns[0]
	if !res.Success || res.EventType != "ticket_status_change" || !strings.HasPrefix(res.MessageID, "msg_test_") {
		t.Errorf("result %+v, want success with a ticket_status_change test message", res)
	}
	if a := res.Attempt; code(a) != 200 || a.Error != nil || a.DurationMs < 0 || a.ResponseBody != n.Answer || a.Time != apiTime(start) {
		t.Errorf("attempt %+v, want 200 without error, answered %s", a, n.Answer)
	}
	if got := keys(t, raw); !slices.Equal(got, []string{"success", "eventType", "messageId", "attempt", "payload"}) {
		t.Errorf("keys %v", got)
	}
	if !bytes.Contains(n.Body, []byte(`"EventType":"ticket_status_change"`)) {
		t.Errorf("body %s lacks the event type", n.Body)
	}
	if got := decodeBody(t, n); got.CommunityName != "acme" || got.EventType != "ticket_status_change" {
		t.Errorf("body %s", n.Body)
	}
	if !sameJSON(t, res.Payload, n.Body) {
		t.Errorf("payload %s, want the body sent %s", res.Payload, n.Body)
	}
	if n.Header.Get("webhook-signature") == "" || n.Header.Get("webhook-id") != res.MessageID {
		t.Errorf("headers %v, want a signature and webhook-id %s", n.Header, res.MessageID)
	}
	checkSigned(t, n, w.Secret)

	res = decode[testResultView](t, b.ok(t, "POST", path, map[string]any{"eventType": "reply_creation"}))
	n = e.notifications()[1]
	if !res.Success || res.EventType != "reply_creation" || !bytes.Contains(n.Body, []byte(`"EventType":"reply_creation"`)) {
		t.Errorf("reply_creation test: %+v, body %s", res, n.Body)
	}

	b.fail(t, "POST", path, map[string]any{"eventType": "ticket_deleted"}, http.StatusBadRequest, `eventType: unknown event "ticket_deleted"`)
	b.fail(t, "POST", path, map[string]any{"eventType": 5}, http.StatusBadRequest, "eventType: must be a string")
	if got := len(e.notifications()); got != 2 {
		t.Errorf("rejected tests reached the endpoint: %d notifications, want 2", got)
	}

	// A failing endpoint is a failed test, not a failed request.
	e.set(func(e *endpoint) { e.status = http.StatusInternalServerError })
	status, env := b.do(t, "POST", path, map[string]any{"eventType": "note_creation"})
	if status != http.StatusOK {
		t.Fatalf("test of a failing endpoint: status %d: %s", status, env.ErrorText)
	}
	res = decode[testResultView](t, env.Data)
	n = e.notifications()[2]
	if a := res.Attempt; res.Success || code(a) != 500 || a.Error == nil ||
		!strings.Contains(*a.Error, "answered 500 Internal Server Error") || a.ResponseBody != n.Answer {
		t.Errorf("result %+v, want failure with status 500, its error and the answer %s", res, n.Answer)
	}

	// Test events are neither queued nor recorded as deliveries.
	if got := string(b.ok(t, "GET", hookPath(w.ID, "/deliveries"), nil)); got != "[]" {
		t.Errorf("deliveries after tests: %s, want []", got)
	}
	b.fail(t, "POST", "/webhooks/999/test", nil, http.StatusNotFound, "webhook 999 not found")
}

// TestWebhookIsolation: another community's webhook ids answer like
// unknown ones on every route, and nothing of it changes.
func TestWebhookIsolation(t *testing.T) {
	t.Parallel()
	b := setupWith(t, options{Dispatch: true})
	e := newEndpoint(t, "acme", "tok")
	w := b.createWebhook(t, e, "ticket_creation")
	b.createTicket(t, simpleTicket("Acme's"))
	d := b.waitDeliveries(t, w.ID, "the delivery", succeeded(1))[0]
	other := b.newTenant(t, "globex")
	before := b.ok(t, "GET", hookPath(w.ID), nil)
	sent := len(e.notifications())

	if got := string(other.ok(t, "GET", "/webhooks", nil)); got != "[]" {
		t.Errorf("globex lists %s", got)
	}
	delivery := hookPath(w.ID, fmt.Sprintf("/deliveries/%d", d.ID))
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"GET", hookPath(w.ID), nil},
		{"PATCH", hookPath(w.ID), map[string]any{"events": []string{"note_creation"}, "status": "paused"}},
		{"DELETE", hookPath(w.ID), nil},
		{"POST", hookPath(w.ID, "/secret"), nil},
		{"GET", hookPath(w.ID, "/deliveries"), nil},
		{"GET", delivery, nil},
		{"POST", delivery + "/redeliver", nil},
		{"POST", hookPath(w.ID, "/test"), nil},
		{"POST", hookPath(w.ID, "/replay"), map[string]any{"from": apiTime(start), "to": apiTime(start.Add(time.Hour))}},
	} {
		other.fail(t, r.method, r.path, r.body, http.StatusNotFound, "not found")
	}

	if after := b.ok(t, "GET", hookPath(w.ID), nil); compact(t, after) != compact(t, before) {
		t.Errorf("acme's webhook changed:\nbefore %s\nafter  %s", before, after)
	}
	if ds := b.deliveries(t, w.ID, ""); len(ds) != 1 {
		t.Errorf("acme's webhook has %d deliveries, want 1", len(ds))
	}
	if got := len(e.notifications()); got != sent {
		t.Errorf("acme's endpoint got %d notifications, want %d", got, sent)
	}
	// globex's own webhook gets globex's events only.
	ge := newEndpoint(t, "globex", "tok")
	gw := other.createWebhook(t, ge, "ticket_creation")
	if gw.ID == w.ID {
		t.Fatalf("globex's webhook has acme's id %d", w.ID)
	}
	gid := other.createTicket(t, simpleTicket("Globex's"))
	if n := ge.waitNotifications(t, 1)[0]; decodeBody(t, n) != (eventBody{CommunityName: "globex", EventType: "ticket_creation", TicketId: gid}) {
		t.Errorf("globex received %s", n.Body)
	}
	other.waitDeliveries(t, gw.ID, "globex's delivery", succeeded(1))
	if got := len(e.notifications()); got != sent {
		t.Errorf("acme's endpoint got globex's event")
	}
}

// TestWebhookUnauthorized: every webhook route needs credentials, and
// refuses before it contacts an endpoint or changes anything.
func TestWebhookUnauthorized(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := newEndpoint(t, "auth", "tok")
	w := b.createWebhook(t, e, "ticket_creation")
	before := b.ok(t, "GET", hookPath(w.ID), nil)
	create := map[string]any{"url": e.url, "verifyToken": "tok", "events": []string{"ticket_creation"}}
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/webhooks", nil},
		{"POST", "/webhooks", create},
		{"GET", hookPath(w.ID), nil},
		{"PATCH", hookPath(w.ID), map[string]any{"url": e.url + "/moved"}},
		{"DELETE", hookPath(w.ID), nil},
		{"POST", hookPath(w.ID, "/secret"), nil},
		{"GET", hookPath(w.ID, "/deliveries"), nil},
		{"GET", hookPath(w.ID, "/deliveries/1"), nil},
		{"POST", hookPath(w.ID, "/deliveries/1/redeliver"), nil},
		{"POST", hookPath(w.ID, "/test"), nil},
		{"POST", hookPath(w.ID, "/replay"), map[string]any{"from": apiTime(start)}},
	} {
		for name, c := range map[string]client{"none": b.anonymous(), "garbage": b.bearer("garbage")} {
			resp, env := c.call(t, r.method, r.path, r.body)
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s with %s credentials: status %d %q, want 401 with WWW-Authenticate", r.method, r.path, name, resp.StatusCode, env.ErrorText)
			}
		}
	}
	if n := len(e.checks()); n != 1 {
		t.Errorf("endpoint got %d verification requests, want only the 1 of creation", n)
	}
	if n := len(e.notifications()); n != 0 {
		t.Errorf("endpoint got %d notifications, want 0", n)
	}
	if after := b.ok(t, "GET", "/webhooks", nil); compact(t, after) != "["+compact(t, before)+"]" {
		t.Errorf("webhooks changed: %s, want [%s]", after, before)
	}
}

package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"openboards/internal/community"
	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/postgres"
	"openboards/internal/store/postgres/pgtest"
	"openboards/internal/store/sqlite"
	"openboards/internal/ticket"
	"openboards/internal/webhook"
	"openboards/internal/webhook/egress"
)

// clock is a fake clock: it stands still until a test moves it forward,
// so a retry comes due exactly when the test says and never by itself. It
// starts at the real time, since receivers check how old a signature is.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Millisecond)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// world is one test's server side: a store, the ticket and webhook
// services, a running dispatcher and a community.
type world struct {
	t          *testing.T
	ctx        context.Context
	store      openboards.Store
	raw        openboards.Store
	clock      *clock
	tickets    *ticket.Service
	webhooks   *webhook.Service
	dispatcher *webhook.Dispatcher
	client     *egress.Client
	cm         *openboards.Community
	stop       func()
}

type backend func(t *testing.T) openboards.Store

func sqliteBackend(t *testing.T) openboards.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ob.db"), sqlite.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func postgresBackend(t *testing.T) openboards.Store {
	s, err := postgres.Open(context.Background(), pgtest.NewSchema(t), postgres.Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// backends runs a test on SQLite and, when configured, PostgreSQL.
func backends(t *testing.T, test func(t *testing.T, b backend)) {
	t.Run("sqlite", func(t *testing.T) { test(t, sqliteBackend) })
	t.Run("postgres", func(t *testing.T) { pgtest.URL(t); test(t, postgresBackend) })
}

type worldOptions struct {
	roots   *httptest.Server // the receivers' certificate comes from this test server
	timeout time.Duration
	opt     webhook.Options
}

func newWorld(t *testing.T, b backend, wo worldOptions) *world {
	t.Helper()
	ctx := context.Background()
	raw := b(t)
	clk := newClock()
	var client *egress.Client
	o := egress.Options{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Timeout: wo.timeout}
	if wo.roots != nil {
		o.RootCAs = wo.roots.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	}
	client = egress.NewClient(o)
	opt := wo.opt
	opt.Now = clk.now
	if opt.Jitter == nil {
		opt.Jitter = func() float64 { return 1 }
	}
	if opt.Poll == 0 {
		opt.Poll = 50 * time.Millisecond
	}
	_, opt.ExclusiveStore = raw.(*sqlite.Store)
	d := webhook.NewDispatcher(raw, client, opt)
	store := webhook.WakingStore(raw, d.Wake)
	tickets := ticket.NewService(store, &webhook.Outbox{InboxBase: "https://inbox.example.com"}, live.Discard, clk.now)
	communities, err := community.NewService(ctx, store, clk.now, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	created, err := communities.Create(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{
		t: t, ctx: ctx, store: store, raw: raw, clock: clk, tickets: tickets,
		webhooks:   webhook.NewService(store, client, "https://inbox.example.com", clk.now),
		dispatcher: d, client: client, cm: created.Community,
	}
	w.start()
	t.Cleanup(func() {
		w.stop()
		raw.Close()
	})
	return w
}

// start runs the dispatcher's loop until stop. Tests that check what a
// round did stop it and drive the rounds themselves with round.
func (w *world) start() {
	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.dispatcher.Run(ctx); err != nil {
			w.t.Errorf("dispatcher: %v", err)
		}
	}()
	w.stop = func() { cancel(); <-done; w.stop = func() {} }
}

// round runs one whole dispatch round (the loop must be stopped): when it
// returns, every attempt it made has been answered and recorded. It
// returns how many attempts it made.
func (w *world) round() int {
	w.t.Helper()
	n, err := w.dispatcher.RunOnce(w.ctx)
	if err != nil {
		w.t.Fatalf("dispatch round: %v", err)
	}
	return n
}

// idle checks that a round run now has nothing to send: after it, nothing
// more can arrive until the clock moves or something new is queued.
func (w *world) idle(what string) {
	w.t.Helper()
	if n := w.round(); n != 0 {
		w.t.Fatalf("%s: a round made %d attempts, want none", what, n)
	}
}

// settle runs rounds until one has nothing to send and returns how many
// attempts they made in all.
func (w *world) settle() int {
	w.t.Helper()
	total := 0
	for range 1000 {
		n := w.round()
		if n == 0 {
			return total
		}
		total += n
	}
	w.t.Fatalf("dispatch rounds still busy after %d attempts", total)
	return total
}

// received is one notification as a receiver got it.
type received struct {
	ID        string
	EventType string
	TicketID  int64
	Body      []byte
	Header    http.Header
	At        time.Time
}

// receiver is a TLS test endpoint that answers the verification
// handshake, records notifications and answers them as respond says.
type receiver struct {
	*httptest.Server
	token string

	mu      sync.Mutex
	got     []received
	respond func(n int, r received) int // status for the n-th notification (from 0); nil: 200
	arrived chan struct{}
}

func newReceiver(t *testing.T, token string) *receiver {
	rc := &receiver{token: token, arrived: make(chan struct{}, 1<<16)}
	rc.Server = httptest.NewTLSServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		if r.URL.Query().Get("verifyToken") != rc.token {
			http.Error(w, "wrong token", http.StatusForbidden)
			return
		}
		io.WriteString(w, r.URL.Query().Get("challenge"))
		return
	}
	body, _ := io.ReadAll(r.Body)
	var env struct {
		EventType string
		TicketId  int64
	}
	json.Unmarshal(body, &env)
	got := received{ID: r.Header.Get("webhook-id"), EventType: env.EventType, TicketID: env.TicketId, Body: body, Header: r.Header.Clone(), At: time.Now()}
	rc.mu.Lock()
	n := len(rc.got)
	rc.got = append(rc.got, got)
	respond := rc.respond
	rc.mu.Unlock()
	status := http.StatusOK
	if respond != nil {
		status = respond(n, got)
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "status %d", status)
	rc.arrived <- struct{}{}
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// waitFor waits until the receiver has got at least n notifications and
// returns what it got.
func (rc *receiver) waitFor(t *testing.T, n int, timeout time.Duration) []received {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if got := rc.all(); len(got) >= n {
			return got
		}
		select {
		case <-rc.arrived:
		case <-deadline:
			t.Fatalf("receiver got %d notifications within %v, want %d", len(rc.all()), timeout, n)
		}
	}
}

// add registers rc for events (all when none given).
func (w *world) add(rc *receiver, events ...string) *openboards.Webhook {
	w.t.Helper()
	if len(events) == 0 {
		events = openboards.EventTypes
	}
	url, token := rc.URL+"/hook", rc.token
	hook, err := w.webhooks.Create(w.ctx, w.cm, webhook.Input{URL: &url, VerifyToken: &token, Events: &events})
	if err != nil {
		w.t.Fatalf("create webhook: %v", err)
	}
	return hook
}

func (w *world) newTicket(title string) int64 {
	w.t.Helper()
	email := "customer@example.com"
	id, err := w.tickets.CreateTicket(w.ctx, w.cm, ticket.CreateTicketInput{
		Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI,
		Title: title, Message: "Hello", Creator: &ticket.CreatorInput{Email: &email},
	})
	if err != nil {
		w.t.Fatalf("create ticket: %v", err)
	}
	return id
}

func (w *world) setStatus(id int64, status string) {
	w.t.Helper()
	if err := w.tickets.UpdateTicketStatus(w.ctx, w.cm, id, status); err != nil {
		w.t.Fatalf("status: %v", err)
	}
}

// verify checks a notification's signature with the Standard Webhooks
// library.
func verify(t *testing.T, secret string, r received) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(r.Body, r.Header); err != nil {
		t.Errorf("signature of %s does not verify: %v", r.ID, err)
	}
}

// deliveries lists a webhook's deliveries, newest first.
func (w *world) deliveries(hookID int64, state *openboards.DeliveryState) []*openboards.Delivery {
	w.t.Helper()
	ds, err := w.store.FindDeliveries(w.ctx, openboards.DeliveryFilter{CommunityID: w.cm.ID, WebhookID: hookID, State: state, Take: 10000})
	if err != nil {
		w.t.Fatal(err)
	}
	return ds
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

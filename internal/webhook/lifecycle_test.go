package webhook_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"openboards/internal/metrics"
	"openboards/internal/openboards"
	"openboards/internal/webhook"
	"openboards/internal/webhook/egress"
)

// TestOutboxIsTransactional: an event exists exactly when its change
// committed.
func TestOutboxIsTransactional(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		rc := newReceiver(t, "tok")
		w := newWorld(t, b, worldOptions{roots: rc.Server})
		hook := w.add(rc)
		w.stop()
		id := w.newTicket("T")
		if n := w.round(); n != 1 {
			t.Fatalf("the creation's round made %d attempts, want 1", n)
		}
		outbox := &webhook.Outbox{InboxBase: "https://x"}
		boom := errors.New("boom")
		err := w.store.InTx(w.ctx, func(tx openboards.Tx) error {
			st := openboards.TicketCompleted
			if err := tx.UpdateTicket(w.ctx, w.cm.ID, id, openboards.TicketUpdate{Status: &st, UpdatedAt: time.Now()}); err != nil {
				return err
			}
			if err := outbox.Record(w.ctx, tx, w.cm, openboards.Change{Type: openboards.EventTicketStatusChange, TicketID: id, PreviousStatus: openboards.TicketOpen}, time.Now()); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx: %v", err)
		}
		w.idle("after a rolled-back change")
		if n := len(w.deliveries(hook.ID, nil)); n != 1 {
			t.Errorf("%d deliveries after a rolled-back change, want only the creation's", n)
		}
		if got := rc.all(); len(got) != 1 {
			t.Errorf("receiver got %v", kinds(got))
		}
	})
}

// TestGoneDisablesAndReenableReplays: a 410 disables the endpoint at once;
// while disabled it is sent nothing; enabling it again verifies it and
// replays what it missed, in order.
func TestGoneDisablesAndReenableReplays(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		rc := newReceiver(t, "tok")
		gone := true
		var mu sync.Mutex
		rc.respond = func(int, received) int {
			mu.Lock()
			defer mu.Unlock()
			if gone {
				return http.StatusGone
			}
			return http.StatusOK
		}
		w := newWorld(t, b, worldOptions{roots: rc.Server})
		hook := w.add(rc, openboards.EventTicketCreation, openboards.EventTicketStatusChange)
		first := w.newTicket("first")
		eventually(t, 5*time.Second, "the endpoint disabled", func() bool {
			h, err := w.store.FindWebhookByID(w.ctx, w.cm.ID, hook.ID)
			return err == nil && h.Status == openboards.WebhookDisabled
		})
		h, _ := w.store.FindWebhookByID(w.ctx, w.cm.ID, hook.ID)
		if !strings.Contains(h.DisabledReason, "410") || h.DisabledAt == nil {
			t.Errorf("disabled: reason %q at %v", h.DisabledReason, h.DisabledAt)
		}
		w.stop()
		second := w.newTicket("second")
		w.setStatus(second, "pending")
		w.idle("while the endpoint is disabled")
		if n := len(rc.all()); n != 1 {
			t.Fatalf("a disabled endpoint got %d notifications, want only the first", n)
		}
		mu.Lock()
		gone = false
		mu.Unlock()
		// What it missed is what happened between its disabling and now.
		w.clock.advance(time.Second)
		active := "active"
		if _, err := w.webhooks.Update(w.ctx, w.cm, hook.ID, webhook.Input{Status: &active}); err != nil {
			t.Fatal(err)
		}
		// The first ticket's creation was still pending and is retried at
		// once; the two missed events are replayed, in order, and what was
		// queued already is not replayed twice.
		if n := w.settle(); n != 3 {
			t.Errorf("after re-enabling: %d attempts, want 3", n)
		}
		got := byTicket(rc.all())
		if k := kinds(got[first]); !slices.Equal(k, []string{"ticket_creation", "ticket_creation"}) {
			t.Errorf("first ticket after re-enabling: %v", k)
		}
		if k := kinds(got[second]); !slices.Equal(k, []string{"ticket_creation", "ticket_status_change"}) {
			t.Errorf("second ticket after re-enabling: %v", k)
		}
		h, _ = w.store.FindWebhookByID(w.ctx, w.cm.ID, hook.ID)
		if h.Status != openboards.WebhookActive || h.DisabledReason != "" || h.FailingSince != nil {
			t.Errorf("re-enabled webhook %+v", h)
		}
	})
}

// TestFailingForDaysDisables: an endpoint that fails every attempt for the
// DisableAfter period is disabled.
func TestFailingForDaysDisables(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		rc := newReceiver(t, "tok")
		rc.respond = func(int, received) int { return http.StatusServiceUnavailable }
		w := newWorld(t, b, worldOptions{roots: rc.Server, opt: webhook.Options{DisableAfter: time.Hour, RetryFor: 10 * time.Hour}})
		hook := w.add(rc, openboards.EventTicketCreation)
		w.stop()
		w.newTicket("x")
		if n := w.round(); n != 1 {
			t.Fatalf("first round: %d attempts, want 1", n)
		}
		if h, _ := w.store.FindWebhookByID(w.ctx, w.cm.ID, hook.ID); h.FailingSince == nil {
			t.Fatalf("failingSince not set after a failed attempt")
		}
		for i := 0; i < 30; i++ {
			h, _ := w.store.FindWebhookByID(w.ctx, w.cm.ID, hook.ID)
			if h.Status == openboards.WebhookDisabled {
				if !strings.Contains(h.DisabledReason, "every delivery failed") {
					t.Errorf("reason %q", h.DisabledReason)
				}
				if h.FailingSince == nil || h.DisabledAt.Sub(*h.FailingSince) < time.Hour {
					t.Errorf("disabled at %v, failing since %v: less than DisableAfter", h.DisabledAt, h.FailingSince)
				}
				return
			}
			w.clock.advance(10 * time.Minute)
			w.round()
		}
		t.Fatalf("endpoint failing for 5 h of test time is still active (%d attempts)", len(rc.all()))
	})
}

// TestPauseKeepsQueue: a paused endpoint is sent nothing; resumed, it gets
// what was queued meanwhile, in order.
func TestPauseKeepsQueue(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		rc := newReceiver(t, "tok")
		w := newWorld(t, b, worldOptions{roots: rc.Server})
		hook := w.add(rc, openboards.EventTicketCreation, openboards.EventTicketStatusChange)
		paused, active := "paused", "active"
		if _, err := w.webhooks.Update(w.ctx, w.cm, hook.ID, webhook.Input{Status: &paused}); err != nil {
			t.Fatal(err)
		}
		w.stop()
		id := w.newTicket("x")
		w.setStatus(id, "pending")
		w.idle("while the endpoint is paused")
		if n := len(rc.all()); n != 0 {
			t.Fatalf("paused endpoint got %d", n)
		}
		if _, err := w.webhooks.Update(w.ctx, w.cm, hook.ID, webhook.Input{Status: &active}); err != nil {
			t.Fatal(err)
		}
		if n := w.settle(); n != 2 {
			t.Errorf("after resuming: %d attempts, want 2", n)
		}
		if got := rc.all(); !slices.Equal(kinds(got), []string{"ticket_creation", "ticket_status_change"}) {
			t.Errorf("got %v", kinds(got))
		}
	})
}

// TestRotateRedeliverReplay: after a rotation both secrets sign; a
// redelivery and a replay send stored events again under their ids.
func TestRotateRedeliverReplay(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		rc := newReceiver(t, "tok")
		w := newWorld(t, b, worldOptions{roots: rc.Server})
		hook := w.add(rc, openboards.EventTicketCreation)
		w.stop()
		before := w.clock.now()
		a := w.newTicket("a")
		w.settle()
		first := rc.waitFor(t, 1, 5*time.Second)[0]
		rotated, err := w.webhooks.RotateSecret(w.ctx, w.cm, hook.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rotated.Secret == hook.Secret || rotated.PreviousSecret != hook.Secret {
			t.Fatalf("rotation: %q → %q (previous %q)", hook.Secret, rotated.Secret, rotated.PreviousSecret)
		}
		bID := w.newTicket("b")
		w.settle() // a round reloads the endpoints, with their new secret
		second := rc.waitFor(t, 2, 5*time.Second)[1]
		verify(t, hook.Secret, second)
		verify(t, rotated.Secret, second)
		if n := len(strings.Fields(second.Header.Get("webhook-signature"))); n != 2 {
			t.Errorf("%d signatures during the overlap, want 2", n)
		}
		ds := w.deliveries(hook.ID, nil)
		re, err := w.webhooks.Redeliver(w.ctx, w.cm, hook.ID, ds[len(ds)-1].ID)
		if err != nil {
			t.Fatal(err)
		}
		if re.State != openboards.DeliveryPending || re.EventID != ds[len(ds)-1].EventID {
			t.Errorf("redelivery %+v", re)
		}
		w.settle()
		third := rc.waitFor(t, 3, 5*time.Second)[2]
		if third.ID != first.ID || third.TicketID != a || string(third.Body) != string(first.Body) {
			t.Errorf("redelivered %s for ticket %d, want %s for %d", third.ID, third.TicketID, first.ID, a)
		}
		n, err := w.webhooks.Replay(w.ctx, w.cm, hook.ID, before, w.clock.now().Add(time.Second), nil)
		if err != nil || n != 2 {
			t.Fatalf("replay: %d, %v", n, err)
		}
		if n := w.settle(); n != 2 {
			t.Errorf("replay: %d attempts, want 2", n)
		}
		got := rc.waitFor(t, 5, 5*time.Second)
		if replayed := []int64{got[3].TicketID, got[4].TicketID}; !slices.Contains(replayed, a) || !slices.Contains(replayed, bID) {
			t.Errorf("replayed tickets %v, want %d and %d", replayed, a, bID)
		}
		if _, err := w.webhooks.Replay(w.ctx, w.cm, hook.ID, before, w.clock.now(), []string{openboards.EventNoteCreation}); openboards.ErrorCode(err) != openboards.CodeInvalid {
			t.Errorf("replaying an event type the webhook lacks: %v", err)
		}
		test, err := w.webhooks.Test(w.ctx, w.cm, hook.ID, openboards.EventReplyCreation)
		if err != nil || test.Error != "" || test.StatusCode != 200 {
			t.Fatalf("test: %+v, %v", test, err)
		}
		if last := rc.waitFor(t, 6, 5*time.Second)[5]; last.EventType != openboards.EventReplyCreation {
			t.Errorf("test event type %q", last.EventType)
		}
	})
}

// TestPruneKeepsWhatIsYoung deletes finished deliveries, their attempts and
// events past the retention, and nothing else.
func TestPruneKeepsWhatIsYoung(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		rc := newReceiver(t, "tok")
		w := newWorld(t, b, worldOptions{roots: rc.Server, opt: webhook.Options{Retention: time.Hour}})
		hook := w.add(rc, openboards.EventTicketCreation)
		w.stop()
		w.newTicket("old")
		// An old delivery still being retried is kept whatever its age.
		failing := w.newTicket("failing")
		rc.respond = func(_ int, r received) int {
			if r.TicketID == failing {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}
		w.settle()
		w.clock.advance(2 * time.Hour)
		w.newTicket("young")
		w.settle()
		n, err := w.dispatcher.Prune(w.ctx)
		if err != nil || n == 0 {
			t.Fatalf("prune: %d rows deleted, %v; want the old delivery's", n, err)
		}
		ds := w.deliveries(hook.ID, nil)
		if len(ds) != 2 || ds[0].State != openboards.DeliverySucceeded || ds[1].State != openboards.DeliveryPending {
			t.Fatalf("after pruning: %v, want the young and the failing delivery", states(ds))
		}
		d := ds[0]
		if len(d.Attempts) != 1 {
			t.Errorf("young delivery lost its attempt")
		}
		if _, err := w.store.FindEventByID(w.ctx, w.cm.ID, d.EventID); err != nil {
			t.Errorf("young event: %v", err)
		}
		if _, err := w.store.FindEventByID(w.ctx, w.cm.ID, ds[1].EventID); err != nil {
			t.Errorf("failing delivery's event: %v", err)
		}
		if _, err := w.store.FindEventByID(w.ctx, w.cm.ID, ds[1].EventID-1); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Errorf("old event still there: %v", err)
		}
	})
}

func states(ds []*openboards.Delivery) []openboards.DeliveryState {
	var out []openboards.DeliveryState
	for _, d := range ds {
		out = append(out, d.State)
	}
	return out
}

// TestCreateRefusesPrivateAddresses: without an allowed network, the
// handshake to a name that resolves to loopback is refused and nothing is
// saved.
func TestCreateRefusesPrivateAddresses(t *testing.T) {
	rc := newReceiver(t, "tok")
	w := newWorld(t, sqliteBackend, worldOptions{roots: rc.Server})
	guarded := webhook.NewService(w.store, egress.NewClient(egress.Options{}), "https://x", time.Now)
	url := strings.Replace(rc.URL, "127.0.0.1", "localhost", 1) + "/hook"
	token, events := "tok", []string{openboards.EventTicketCreation}
	_, err := guarded.Create(w.ctx, w.cm, webhook.Input{URL: &url, VerifyToken: &token, Events: &events})
	if openboards.ErrorCode(err) != openboards.CodeInvalid || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("create with a loopback endpoint: %v", err)
	}
	if hooks, _ := w.store.FindWebhooks(w.ctx, w.cm.ID); len(hooks) != 0 {
		t.Errorf("%d webhooks saved", len(hooks))
	}
	if n := len(rc.all()); n != 0 {
		t.Errorf("receiver got %d requests", n)
	}
}

// TestTwoDispatchersShareWork runs two dispatchers (two nodes) on one
// PostgreSQL database, their rounds overlapping: both deliver, every event
// arrives once, in order per ticket.
func TestTwoDispatchersShareWork(t *testing.T) {
	rc := newReceiver(t, "tok")
	// Each dispatcher claims at most 8 at a time while 40 tickets have an
	// event due: whichever claims second still finds work.
	w := newWorld(t, postgresBackend, worldOptions{roots: rc.Server, opt: webhook.Options{Concurrency: 8}})
	w.stop()
	first := w.dispatcher
	second := webhook.NewDispatcher(w.raw, w.client, webhook.Options{Concurrency: 8, Now: w.clock.now})
	w.add(rc, openboards.EventTicketCreation, openboards.EventTicketStatusChange)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				id := w.newTicket("t")
				w.setStatus(id, "pending")
				w.setStatus(id, "completed")
			}
		}()
	}
	wg.Wait()
	var sent [2]int
	for round := 0; ; round++ {
		if round == 1000 {
			t.Fatalf("still sending after %d rounds (%v attempts)", round, sent)
		}
		var n [2]int
		var errs [2]error
		var wg sync.WaitGroup
		for i, d := range []*webhook.Dispatcher{first, second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n[i], errs[i] = d.RunOnce(w.ctx)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs[:]...); err != nil {
			t.Fatal(err)
		}
		if n[0]+n[1] == 0 {
			break
		}
		sent[0], sent[1] = sent[0]+n[0], sent[1]+n[1]
	}
	if sent[0] == 0 || sent[1] == 0 {
		t.Errorf("attempts per dispatcher %v: both must deliver", sent)
	}
	if sent[0]+sent[1] != 120 {
		t.Errorf("attempts per dispatcher %v, want 120 in all", sent)
	}
	got := rc.all()
	if len(got) != 120 {
		t.Errorf("receiver got %d notifications, want 120", len(got))
	}
	seen := map[string]bool{}
	for _, g := range got {
		if seen[g.ID] {
			t.Errorf("%s delivered twice", g.ID)
		}
		seen[g.ID] = true
	}
	for id, rs := range byTicket(got) {
		if k := kinds(rs); !slices.Equal(k, []string{"ticket_creation", "ticket_status_change", "ticket_status_change"}) {
			t.Errorf("ticket %d: %v", id, k)
		} else if !strings.Contains(string(rs[2].Body), `"PreviousTicketStatus":"pending"`) {
			t.Errorf("ticket %d: status changes out of order: %s", id, rs[2].Body)
		}
	}
}

// TestRetryAfterIsHonoured: a 429 with Retry-After holds the next attempt
// back at least that long, beyond the backoff.
func TestRetryAfterIsHonoured(t *testing.T) {
	rc := newReceiver(t, "tok")
	var once sync.Once
	rc.respond = func(int, received) int {
		status := http.StatusOK
		once.Do(func() { status = http.StatusTooManyRequests })
		return status
	}
	rc.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.Header().Set("Retry-After", "120")
		}
		rc.serve(w, r)
	})
	w := newWorld(t, sqliteBackend, worldOptions{roots: rc.Server})
	hook := w.add(rc, openboards.EventTicketCreation)
	w.stop()
	w.newTicket("x")
	if n := w.round(); n != 1 {
		t.Fatalf("first round: %d attempts, want 1", n)
	}
	d := w.deliveries(hook.ID, nil)[0]
	a := d.Attempts[0]
	if wait := d.NextAttemptAt.Sub(a.At.Add(a.Duration)); wait < 120*time.Second || wait > 121*time.Second {
		t.Errorf("next attempt after %v, want the 120 s of Retry-After", wait)
	}
	if a.StatusCode != http.StatusTooManyRequests || a.Error == "" {
		t.Errorf("attempt %+v", a)
	}
	w.clock.advance(119 * time.Second)
	w.idle("before Retry-After passed")
	if n := len(rc.all()); n != 1 {
		t.Fatalf("retried before Retry-After passed (%d requests)", n)
	}
	w.clock.advance(2 * time.Second)
	if n := w.round(); n != 1 {
		t.Fatalf("once Retry-After passed: %d attempts, want 1", n)
	}
	if n := len(rc.all()); n != 2 {
		t.Fatalf("receiver got %d requests, want 2", n)
	}
}

// TestMetrics exposes attempts, latency and queue depth.
func TestMetrics(t *testing.T) {
	rc := newReceiver(t, "tok")
	reg := prometheus.NewRegistry()
	w := newWorld(t, sqliteBackend, worldOptions{roots: rc.Server, opt: webhook.Options{Metrics: reg}})
	rc.respond = func(n int, _ received) int {
		if n == 0 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	hook := w.add(rc, openboards.EventTicketCreation)
	w.newTicket("a")
	w.newTicket("b")
	w.newTicket("c")
	rc.waitFor(t, 3, 5*time.Second)
	want := []string{
		`openboards_webhook_attempts_total{outcome="success"} 2`,
		`openboards_webhook_attempts_total{outcome="failure"} 1`,
		`openboards_webhook_queue_depth{webhook="` + itoa(hook.ID) + `"} 1`,
		`openboards_webhook_attempt_duration_seconds_count{outcome="success"} 2`,
		`openboards_webhook_delivery_latency_seconds_count{attempt="first"} 2`,
		`# TYPE openboards_webhook_requests_in_flight gauge`,
	}
	// Counters move when a request ends, the queue depth when its outcome
	// is stored a moment later.
	var out strings.Builder
	eventually(t, 5*time.Second, "metrics", func() bool {
		out.Reset()
		rec := httptest.NewRecorder()
		metrics.Handler(reg, nil).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		out.Write(rec.Body.Bytes())
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				return false
			}
		}
		return true
	})
}

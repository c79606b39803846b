package webhook_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"openboards/internal/openboards"
	"openboards/internal/store/postgres"
	"openboards/internal/store/postgres/pgtest"
	"openboards/internal/webhook"
)

// changeWait bounds how long a test waits for a delivery that must come.
const changeWait = 10 * time.Second

// changeSetup is a world whose dispatcher never reloads anything by
// itself (its poll is an hour and its clock stands still), so that a
// delivery shows the endpoint's state as the claim read it, not as a
// periodic reload happened to catch it. With two set (PostgreSQL), the
// deliveries are made by a second process's dispatcher on the same
// database, woken only by the database's notifications, while the changes
// go through the first process's services.
type changeSetup struct {
	*world
	stop func() // stops whichever dispatcher delivers, storing its outcomes
}

func newChangeSetup(t *testing.T, b backend, two bool, roots *receiver) *changeSetup {
	t.Helper()
	opt := webhook.Options{Poll: time.Hour}
	if !two {
		w := newWorld(t, b, worldOptions{roots: roots.Server, opt: opt})
		return &changeSetup{world: w, stop: func() { w.stop() }}
	}
	var dsn string
	w := newWorld(t, func(t *testing.T) openboards.Store {
		dsn = pgtest.NewSchema(t)
		s, err := postgres.Open(context.Background(), dsn, postgres.Options{MaxConns: 8})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, worldOptions{roots: roots.Server, opt: opt})
	w.stop()
	other, err := postgres.Open(context.Background(), dsn, postgres.Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	opt.Now, opt.Jitter = w.clock.now, func() float64 { return 1 }
	d := webhook.NewDispatcher(other, w.client, opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	listening := make(chan struct{})
	var once sync.Once
	go other.Listen(ctx, postgres.DeliveriesChannel, func() {
		once.Do(func() { close(listening) })
		d.Wake()
	})
	<-listening
	go func() {
		defer close(done)
		if err := d.Run(ctx); err != nil {
			t.Errorf("second dispatcher: %v", err)
		}
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(func() { stop(); other.Close() })
	return &changeSetup{world: w, stop: stop}
}

// changeBackends runs a test on SQLite and PostgreSQL with one process,
// and on PostgreSQL with two.
func changeBackends(t *testing.T, test func(t *testing.T, b backend, two bool)) {
	backends(t, func(t *testing.T, b backend) { test(t, b, false) })
	t.Run("postgres-two-nodes", func(t *testing.T) { pgtest.URL(t); test(t, postgresBackend, true) })
}

func (rc *receiver) setRespond(f func(n int, r received) int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.respond = f
}

// TestRotatedSecretSignsTheNextDelivery: the first delivery claimed after
// POST /webhooks/{id}/secret answered is signed with the new secret (and
// with the old one during the overlap), so a receiver that switches at
// once accepts it.
func TestRotatedSecretSignsTheNextDelivery(t *testing.T) {
	changeBackends(t, func(t *testing.T, b backend, two bool) {
		rc := newReceiver(t, "tok")
		s := newChangeSetup(t, b, two, rc)
		hook := s.add(rc)
		s.newTicket("before")
		rc.waitFor(t, 1, changeWait) // the dispatcher has read the endpoint
		rotated, err := s.webhooks.RotateSecret(s.ctx, s.cm, hook.ID)
		if err != nil {
			t.Fatal(err)
		}
		onlyNew, err := standardwebhooks.NewWebhook(rotated.Secret)
		if err != nil {
			t.Fatal(err)
		}
		rc.setRespond(func(_ int, r received) int {
			if onlyNew.Verify(r.Body, r.Header) != nil {
				return http.StatusUnauthorized
			}
			return http.StatusOK
		})
		s.newTicket("after")
		got := rc.waitFor(t, 2, changeWait)
		if err := onlyNew.Verify(got[1].Body, got[1].Header); err != nil {
			t.Fatalf("the first delivery after the rotation does not verify with the new secret: %v", err)
		}
		verify(t, hook.Secret, got[1]) // the old secret still signs alongside
	})
}

// TestPauseStopsTheNextClaim: once a pause answered, no delivery of the
// paused webhook is claimed, while another webhook's delivery of the same
// event is; resuming sends what waited.
func TestPauseStopsTheNextClaim(t *testing.T) {
	changeBackends(t, func(t *testing.T, b backend, two bool) {
		paused, other := newReceiver(t, "tok"), newReceiver(t, "tok")
		s := newChangeSetup(t, b, two, paused)
		hook := s.add(paused)
		otherHook := s.add(other)
		s.newTicket("before")
		paused.waitFor(t, 1, changeWait)
		other.waitFor(t, 1, changeWait)
		status := string(openboards.WebhookPaused)
		if _, err := s.webhooks.Update(s.ctx, s.cm, hook.ID, webhook.Input{Status: &status}); err != nil {
			t.Fatal(err)
		}
		s.newTicket("while paused")
		succeeded := openboards.DeliverySucceeded
		eventually(t, changeWait, "the other webhook's delivery of the second ticket", func() bool {
			return len(s.deliveries(otherHook.ID, &succeeded)) == 2
		})
		// The round that claimed the other webhook's delivery would have
		// claimed the paused one's too; once the dispatcher stopped, every
		// request it made has been answered and stored.
		s.stop()
		if got := paused.all(); len(got) != 1 {
			t.Fatalf("the paused webhook got %d notifications, want only the one before the pause", len(got))
		}
		ds := s.deliveries(hook.ID, nil)
		if len(ds) != 2 || ds[0].State != openboards.DeliveryPending || len(ds[0].Attempts) != 0 {
			t.Fatalf("the paused webhook's newest delivery: %+v, want pending without attempts", ds[0])
		}
	})
}

// TestResumeSendsAtOnce: a webhook resumed while the dispatcher runs gets
// its queue at the next round, with nothing else reloading endpoints.
func TestResumeSendsAtOnce(t *testing.T) {
	changeBackends(t, func(t *testing.T, b backend, two bool) {
		resumed, other := newReceiver(t, "tok"), newReceiver(t, "tok")
		s := newChangeSetup(t, b, two, resumed)
		hook := s.add(resumed)
		s.add(other)
		status := string(openboards.WebhookPaused)
		if _, err := s.webhooks.Update(s.ctx, s.cm, hook.ID, webhook.Input{Status: &status}); err != nil {
			t.Fatal(err)
		}
		s.newTicket("while paused")
		other.waitFor(t, 1, changeWait) // a round ran with the webhook paused
		status = string(openboards.WebhookActive)
		if _, err := s.webhooks.Update(s.ctx, s.cm, hook.ID, webhook.Input{Status: &status}); err != nil {
			t.Fatal(err)
		}
		got := resumed.waitFor(t, 1, changeWait)
		if got[0].EventType != openboards.EventTicketCreation {
			t.Fatalf("the resumed webhook got %v first, want the queued creation", kinds(got))
		}
	})
}

// TestNewURLGetsTheNextDelivery: after a PATCH of the URL answered, the
// next delivery goes to the new URL and none to the old.
func TestNewURLGetsTheNextDelivery(t *testing.T) {
	changeBackends(t, func(t *testing.T, b backend, two bool) {
		old, next := newReceiver(t, "tok"), newReceiver(t, "tok")
		s := newChangeSetup(t, b, two, old)
		hook := s.add(old)
		s.newTicket("before")
		old.waitFor(t, 1, changeWait)
		url := next.URL + "/hook"
		if _, err := s.webhooks.Update(s.ctx, s.cm, hook.ID, webhook.Input{URL: &url}); err != nil {
			t.Fatal(err)
		}
		s.newTicket("after")
		next.waitFor(t, 1, changeWait)
		s.stop()
		if got := old.all(); len(got) != 1 {
			t.Fatalf("the old URL got %d notifications, want only the one before the change", len(got))
		}
	})
}

// TestEventChangeAppliesToQueuedDeliveries: a delivery queued for an event
// type the webhook then stops subscribing to is given up, not retried; a
// type subscribed again is delivered from its next event.
func TestEventChangeAppliesToQueuedDeliveries(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		rc := newReceiver(t, "tok")
		rc.respond = func(_ int, r received) int {
			if r.EventType == openboards.EventTicketStatusChange {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		}
		w := newWorld(t, b, worldOptions{roots: rc.Server})
		hook := w.add(rc, openboards.EventTicketCreation, openboards.EventTicketStatusChange)
		w.stop()
		id := w.newTicket("T")
		w.setStatus(id, "completed")
		w.settle()
		if got := kinds(rc.all()); len(got) != 2 {
			t.Fatalf("receiver got %v, want the creation and one failed status change", got)
		}
		creationOnly := []string{openboards.EventTicketCreation}
		if _, err := w.webhooks.Update(w.ctx, w.cm, hook.ID, webhook.Input{Events: &creationOnly}); err != nil {
			t.Fatal(err)
		}
		w.clock.advance(time.Hour) // the retry is long due
		w.idle("after the status change was unsubscribed")
		failed := openboards.DeliveryFailed
		gaveUp := w.deliveries(hook.ID, &failed)
		if len(gaveUp) != 1 || gaveUp[0].EventType != openboards.EventTicketStatusChange || len(gaveUp[0].Attempts) != 1 {
			t.Fatalf("failed deliveries %+v, want the status change with its one attempt", gaveUp)
		}
		rc.setRespond(nil)
		both := []string{openboards.EventTicketCreation, openboards.EventTicketStatusChange}
		if _, err := w.webhooks.Update(w.ctx, w.cm, hook.ID, webhook.Input{Events: &both}); err != nil {
			t.Fatal(err)
		}
		w.setStatus(id, "pending")
		if n := w.settle(); n != 1 {
			t.Fatalf("%d attempts after subscribing again, want the new status change", n)
		}
		got := rc.all()
		if last := got[len(got)-1]; last.EventType != openboards.EventTicketStatusChange {
			t.Fatalf("receiver got %v last, want the status change", kinds(got))
		}
	})
}

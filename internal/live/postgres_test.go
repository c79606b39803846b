package live_test

import (
	"context"
	"testing"
	"time"

	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/postgres"
	"openboards/internal/store/postgres/pgtest"
	"openboards/internal/ticket"
)

// pgNode is what a server process runs to exchange changes over
// PostgreSQL: its own store, hub, relay and listener.
type pgNode struct {
	store *postgres.Store
	hub   *live.Hub
	relay *live.Relay
	// wstore publishes the changes it commits to hub and relay.
	wstore openboards.Store
}

func startPGNode(t *testing.T, dsn string) *pgNode {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	store, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	n := &pgNode{store: store, hub: live.NewHub()}
	n.relay = live.NewRelay(func(ctx context.Context, payloads []string) error {
		return store.Notify(ctx, postgres.ChangesChannel, payloads...)
	}, nil)
	n.wstore = live.PublishingStore(store, func(cs []live.Change) {
		n.hub.PublishChanges(cs)
		n.relay.Add(cs)
	})
	// The listener is connected when it has called back with "".
	connected := make(chan struct{}, 1)
	go store.ListenPayload(ctx, postgres.ChangesChannel, func(p string) {
		if p == "" {
			select {
			case connected <- struct{}{}:
			default:
			}
		}
		n.hub.PublishPayload(p)
	})
	relayed := make(chan struct{})
	go func() {
		defer close(relayed)
		n.relay.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-relayed
		n.hub.Close()
		store.Close()
	})
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not connect")
	}
	return n
}

// TestAcrossProcesses commits changes through one node and expects them in
// the hub of another node on the same database within a second.
func TestAcrossProcesses(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewSchema(t)
	a := startPGNode(t, dsn)
	b := startPGNode(t, dsn)
	cm := newCommunity(t, a.wstore, "Acme")
	// Other tests' schemas share the notification channel, so a hub may
	// hear of communities with the same id elsewhere; it only matters that
	// ours arrive.
	chB, cancelB := b.hub.Subscribe(cm.ID)
	defer cancelB()
	chA, cancelA := a.hub.Subscribe(cm.ID)
	defer cancelA()

	svc := ticket.NewService(a.wstore, time.Now)
	start := time.Now()
	id := newTicket(t, svc, cm, "Across")
	waitFor(t, chB, id, time.Second, "node B, new ticket")
	t.Logf("a new ticket reached the other node after %v", time.Since(start))
	waitFor(t, chA, id, time.Second, "node A, new ticket")

	// A change made through B reaches A.
	svcB := ticket.NewService(b.wstore, time.Now)
	if err := svcB.UpdateTicketStatus(context.Background(), cm, id, "pending"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, chA, id, time.Second, "node A, status change")
}

// waitFor waits up to d for id on ch, skipping other ids.
func waitFor(t *testing.T, ch <-chan int64, id int64, d time.Duration, what string) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case got, ok := <-ch:
			if !ok {
				t.Fatalf("%s: channel closed", what)
			}
			if got == id {
				return
			}
		case <-timeout:
			t.Fatalf("%s: ticket %d did not arrive within %v", what, id, d)
		}
	}
}

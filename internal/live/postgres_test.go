package live_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"openboards/internal/community"
	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/postgres"
	"openboards/internal/store/postgres/pgtest"
	"openboards/internal/ticket"
)

// pgNode is what a server process runs to exchange events over
// PostgreSQL: its own store, hub, relay and listener.
type pgNode struct {
	store *postgres.Store
	hub   *live.Hub
	relay *live.Relay
}

// Publish is what the server's live feed does: the local hub, and the
// other nodes.
func (n *pgNode) Publish(es ...live.Event) {
	n.hub.Publish(es...)
	n.relay.Add(es...)
}

func startPGNode(t *testing.T, dsn string) *pgNode {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	store, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	n := &pgNode{store: store, hub: live.NewHub()}
	n.relay = live.NewRelay(n.hub, func(ctx context.Context, payloads []string) error {
		return store.Notify(ctx, postgres.ChangesChannel, payloads...)
	}, nil)
	// The listener is connected when it has called back with "" (and
	// the hub has been reset for it).
	connected := make(chan struct{}, 1)
	go store.ListenPayload(ctx, postgres.ChangesChannel, func(p string) {
		n.relay.Receive(p)
		if p == "" {
			select {
			case connected <- struct{}{}:
			default:
			}
		}
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
	cm := newCommunity(t, a.store, "Acme")
	// Other tests' schemas share the notification channel, so a hub may
	// hear of communities with the same id elsewhere; it only matters that
	// ours arrive.
	onB := b.hub.SubscribeCommunity(cm.ID, "")
	defer onB.Cancel()
	onA := a.hub.SubscribeCommunity(cm.ID, "")
	defer onA.Cancel()

	svc := ticket.NewService(a.store, ticket.NoEvents, a, time.Now)
	start := time.Now()
	id := newTicket(t, svc, cm, "Across")
	waitFor(t, onB, id, 5*time.Second, "node B, new ticket")
	t.Logf("a new ticket reached the other node after %v", time.Since(start))
	waitFor(t, onA, id, time.Second, "node A, new ticket")

	// A change made through B reaches A.
	svcB := ticket.NewService(b.store, ticket.NoEvents, b, time.Now)
	if err := svcB.UpdateTicketStatus(context.Background(), cm, id, "pending"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, onA, id, 5*time.Second, "node A, status change")
}

// TestAcrossProcessesBatches sends a burst of events too large for one
// notification from node A, and expects node B to receive each, in order,
// and node A each once (it skips its own notifications).
func TestAcrossProcessesBatches(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewSchema(t)
	a := startPGNode(t, dsn)
	b := startPGNode(t, dsn)
	// Other tests' nodes hear these notifications too: a community id
	// of this test's own keeps their events apart.
	var rb [4]byte
	rand.Read(rb[:])
	cm := 1<<40 + int64(binary.BigEndian.Uint32(rb[:]))
	onA := a.hub.SubscribeCommunity(cm, "")
	defer onA.Cancel()
	onB := b.hub.SubscribeCommunity(cm, "")
	defer onB.Cancel()

	const n = 40 // about 20 KB
	var want []live.Event
	for i := range n {
		data, _ := json.Marshal(map[string]string{"text": strings.Repeat("ü", 250)})
		want = append(want, live.Event{Type: live.MessageAdded, CommunityID: cm, TicketID: int64(i + 1), Data: data})
	}
	// Subscribers hold 64 events, so this fits without a Reset.
	a.Publish(want...)
	for i := range n {
		e := receiveWithin(t, onB, 10*time.Second)
		if e.Type == live.Reset {
			t.Skip("B's listener reconnected during the test") // another test terminated connections
		}
		if e.Type != live.MessageAdded || e.TicketID != want[i].TicketID || string(e.Data) != string(want[i].Data) {
			t.Fatalf("event %d on B: %+v", i, e)
		}
	}
	// A sentinel from B: once A has it, A has also heard its own
	// notifications, which were sent before it.
	b.Publish(live.Event{Type: live.TicketChanged, CommunityID: cm, TicketID: -1})
	var got []int64
	for {
		e := receiveWithin(t, onA, 10*time.Second)
		if e.Type == live.Reset {
			t.Skip("A's listener reconnected during the test") // another test terminated connections
		}
		if e.TicketID == -1 {
			break
		}
		got = append(got, e.TicketID)
	}
	if len(got) != n {
		t.Fatalf("A got %d events of its own, want %d: %v", len(got), n, got)
	}
}

// receiveWithin returns the next event of s, failing when none comes
// within d.
func receiveWithin(t *testing.T, s *live.Subscription, d time.Duration) live.Event {
	t.Helper()
	select {
	case e, ok := <-s.Events:
		if !ok {
			t.Fatal("channel closed")
		}
		return e
	case <-time.After(d):
		t.Fatalf("no event within %v", d)
	}
	return live.Event{}
}

// waitFor waits up to d for an event of ticket id on s, skipping others;
// a Reset stands for every ticket.
func waitFor(t *testing.T, s *live.Subscription, id int64, d time.Duration, what string) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case e, ok := <-s.Events:
			if !ok {
				t.Fatalf("%s: channel closed", what)
			}
			if e.TicketID == id || e.Type == live.Reset {
				return
			}
		case <-timeout:
			t.Fatalf("%s: ticket %d did not arrive within %v", what, id, d)
		}
	}
}

// newCommunity creates a community through the community service.
func newCommunity(t *testing.T, store openboards.Store, name string) *openboards.Community {
	t.Helper()
	ctx := context.Background()
	svc, err := community.NewService(ctx, store, time.Now, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.Create(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return c.Community
}

func newTicket(t *testing.T, svc *ticket.Service, cm *openboards.Community, title string) int64 {
	t.Helper()
	email := "customer@example.com"
	id, err := svc.CreateTicket(context.Background(), cm, ticket.CreateTicketInput{
		Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI,
		Title: title, Message: "Hello", Creator: &ticket.CreatorInput{Email: &email},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"openboards/internal/live"
)

var errTest = errors.New("test: send failed")

// wire is what relays send, as the database would pass it on: every
// payload sent reaches every relay that listens, the sender's included.
type wire struct {
	mu        sync.Mutex
	payloads  []string
	listeners []*live.Relay
	// fail makes that many sends fail first.
	fail int
	// sent gets a value after each successful send.
	sent chan struct{}
}

func newWire() *wire { return &wire{sent: make(chan struct{}, 100)} }

func (w *wire) send(ctx context.Context, payloads []string) error {
	w.mu.Lock()
	if w.fail > 0 {
		w.fail--
		w.mu.Unlock()
		return errTest
	}
	w.payloads = append(w.payloads, payloads...)
	ls := slices.Clone(w.listeners)
	w.mu.Unlock()
	for _, p := range payloads {
		for _, l := range ls {
			l.Receive(p)
		}
	}
	w.sent <- struct{}{}
	return nil
}

func (w *wire) taken() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.payloads)
}

// relayNode is one process's hub and relay on a wire.
type relayNode struct {
	hub   *live.Hub
	relay *live.Relay
}

func (w *wire) node() *relayNode {
	n := &relayNode{hub: live.NewHub()}
	n.relay = live.NewRelay(n.hub, w.send, nil)
	w.mu.Lock()
	w.listeners = append(w.listeners, n.relay)
	w.mu.Unlock()
	return n
}

// publish is what the server's live feed does.
func (n *relayNode) publish(es ...live.Event) {
	n.hub.Publish(es...)
	n.relay.Add(es...)
}

// run runs the relay until the test ends, waiting for its last send.
func (n *relayNode) run(t *testing.T) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.relay.Run(ctx)
	}()
	stop = func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return stop
}

// TestRelay checks that events published on one node reach the other's
// subscribers, each once, and its own node's only once; that a failed
// send is retried; and that what is added just before stopping is sent.
func TestRelay(t *testing.T) {
	t.Parallel()
	w := newWire()
	w.fail = 1
	a, b := w.node(), w.node()
	onA := a.hub.SubscribeCommunity(1, "")
	defer onA.Cancel()
	onB := b.hub.SubscribeCommunity(1, "")
	defer onB.Cancel()
	ticketOnB := b.hub.SubscribeTicket(1, 2, "")
	defer ticketOnB.Cancel()

	stop := a.run(t)
	data := json.RawMessage(`{"text":"hello"}`)
	a.publish(changed(1, 1), live.Event{Type: live.MessageAdded, CommunityID: 1, TicketID: 2, UserID: "u1", Data: data})
	a.publish(live.Event{Type: live.Typing, CommunityID: 1, TicketID: 2, UserID: "u1"})
	<-w.sent // after the failed send and the pause, the retry
	for range 3 {
		e := receive(t, onB)
		if e.ID == 0 {
			t.Fatalf("a relayed event without an id: %+v", e)
		}
	}
	es := held(ticketOnB)
	if ids := tickets(es); !slices.Equal(ids, []int64{2, 2}) ||
		es[0].Type != live.MessageAdded || string(es[0].Data) != string(data) || es[0].UserID != "u1" || es[1].Type != live.Typing {
		t.Fatalf("ticket 2 on B got %+v", es)
	}
	// A received its own payload too, and skipped it.
	if ids := tickets(held(onA)); !slices.Equal(ids, []int64{1, 2, 2}) {
		t.Fatalf("A's subscriber got tickets %v, want [1 2 2]", ids)
	}

	a.publish(changed(1, 3))
	stop()
	if ids := tickets(held(onB)); !slices.Equal(ids, []int64{3}) {
		t.Fatalf("after stopping, B got tickets %v, want [3]", ids)
	}
}

// TestRelayBatches checks that a burst of events travels in payloads of
// fewer than 8000 bytes, in order, and that an event too large for one
// arrives as a Reset of its community.
func TestRelayBatches(t *testing.T) {
	t.Parallel()
	w := newWire()
	a, b := w.node(), w.node()
	onB := b.hub.SubscribeCommunity(1, "")
	defer onB.Cancel()
	other := b.hub.SubscribeCommunity(2, "")
	defer other.Cancel()

	// Queued before Run starts, so that they go in one flush.
	const n = 60
	var want []live.Event
	for i := range n {
		text := strings.Repeat("é", 100+i*3) // two bytes each
		data, _ := json.Marshal(map[string]string{"text": text})
		e := live.Event{Type: live.MessageAdded, CommunityID: 1, TicketID: int64(i + 1), UserID: fmt.Sprint("u", i), Data: data}
		want = append(want, e)
		a.relay.Add(e)
	}
	huge, _ := json.Marshal(map[string]string{"text": strings.Repeat("x", live.MaxPayload)})
	a.relay.Add(live.Event{Type: live.MessageAdded, CommunityID: 2, TicketID: 9, Data: huge}, changed(2, 10))
	a.run(t)
	<-w.sent

	payloads := w.taken()
	if len(payloads) < 2 {
		t.Fatalf("%d payloads, want several", len(payloads))
	}
	for i, p := range payloads {
		if len(p) > live.MaxPayload || len(p) >= 8000 {
			t.Fatalf("payload %d has %d bytes", i, len(p))
		}
	}
	got := held(onB)
	if len(got) != n {
		t.Fatalf("B got %d events, want %d", len(got), n)
	}
	for i, e := range got {
		if e.ID != int64(i+1) || e.TicketID != want[i].TicketID || e.UserID != want[i].UserID || string(e.Data) != string(want[i].Data) {
			t.Fatalf("event %d: got %+v, want %+v", i, e, want[i])
		}
	}
	if es := held(other); len(es) != 2 || es[0].Type != live.Reset || es[1].TicketID != 10 {
		t.Fatalf("community 2 got %+v, want a Reset and ticket 10", es)
	}
}

// TestRelayReceive checks what Receive makes of payloads: another node's
// events are published, this node's and what is not a payload ignored,
// and an empty payload (the listener connected again) resets everyone.
func TestRelayReceive(t *testing.T) {
	t.Parallel()
	w := newWire()
	b := w.node()
	s := b.hub.SubscribeCommunity(1, "")
	defer s.Cancel()

	b.relay.Receive("1:2") // an announcement as older versions made them
	b.relay.Receive(`{"events":[{"type":"ticket.changed","communityId":1,"ticketId":2}]}`)
	b.relay.Receive(`not json`)
	if es := held(s); len(es) != 0 {
		t.Fatalf("ignored payloads published %+v", es)
	}
	// An event from elsewhere, with an id of its own hub, is numbered
	// here; one without a community is skipped.
	b.relay.Receive(`{"node":"elsewhere","events":[{"id":77,"type":"ticket.changed","communityId":1,"ticketId":2},{"type":"typing","ticketId":2}]}`)
	if es := held(s); len(es) != 1 || es[0].ID != 1 || es[0].TicketID != 2 {
		t.Fatalf("another node's payload published %+v", es)
	}
	b.relay.Receive("")
	if es := held(s); len(es) != 1 || es[0].Type != live.Reset {
		t.Fatalf("an empty payload published %+v, want a Reset", es)
	}

}

// TestRelayOverflow checks that when more events wait than the queue
// holds (sends failing meanwhile), the other nodes are told to reset the
// communities of those that were dropped, before the rest.
func TestRelayOverflow(t *testing.T) {
	t.Parallel()
	w := newWire()
	w.fail = 1
	a := w.node()
	for i := range 5000 {
		a.relay.Add(changed(int64(i%2+1), int64(i+1)))
	}
	a.run(t)
	<-w.sent
	var got []live.Event
	for _, p := range w.taken() {
		var pl struct{ Events []live.Event }
		if err := json.Unmarshal([]byte(p), &pl); err != nil {
			t.Fatal(err)
		}
		got = append(got, pl.Events...)
	}
	if len(got) != 4096+2 {
		t.Fatalf("%d events sent, want 4096 and 2 resets", len(got))
	}
	resets := map[int64]bool{}
	for _, e := range got[:2] {
		if e.Type == live.Reset {
			resets[e.CommunityID] = true
		}
	}
	if !resets[1] || !resets[2] {
		t.Fatalf("the first events sent are %+v, want Resets of communities 1 and 2", got[:2])
	}
	for i, e := range got[2:] {
		if e.Type != live.TicketChanged || e.TicketID != int64(i+1) {
			t.Fatalf("event %d sent is %+v", i, e)
		}
	}
}

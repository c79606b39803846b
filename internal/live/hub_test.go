package live_test

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"openboards/internal/live"
)

// receive returns the next event of s, failing when none comes in time.
func receive(t *testing.T, s *live.Subscription) live.Event {
	t.Helper()
	select {
	case e, ok := <-s.Events:
		if !ok {
			t.Fatal("channel closed")
		}
		return e
	case <-time.After(2 * time.Second):
		t.Fatal("no event arrived")
	}
	return live.Event{}
}

// held returns the events s holds now, without waiting. Publish sends
// before it returns, so after it, what is not held was not sent.
func held(s *live.Subscription) []live.Event {
	var es []live.Event
	for {
		select {
		case e, ok := <-s.Events:
			if !ok {
				return es
			}
			es = append(es, e)
		default:
			return es
		}
	}
}

// changed is a TicketChanged event.
func changed(community, ticket int64) live.Event {
	return live.Event{Type: live.TicketChanged, CommunityID: community, TicketID: ticket}
}

// tickets lists the ticket ids of es, -1 standing for a Reset.
func tickets(es []live.Event) []int64 {
	ids := []int64{}
	for _, e := range es {
		if e.Type == live.Reset {
			ids = append(ids, -1)
			continue
		}
		ids = append(ids, e.TicketID)
	}
	return ids
}

func TestHubFanOut(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	a := h.SubscribeCommunity(1, "")
	defer a.Cancel()
	b := h.SubscribeCommunity(1, "")
	defer b.Cancel()
	other := h.SubscribeCommunity(2, "")
	defer other.Cancel()
	if n := h.Subscribers(); n != 3 {
		t.Fatalf("%d subscribers, want 3", n)
	}

	h.Publish(changed(1, 10))
	h.Publish(changed(1, 11), changed(2, 20), live.Event{Type: live.TicketChanged, TicketID: 5}, live.Event{CommunityID: 1, TicketID: 5})
	for _, s := range []*live.Subscription{a, b} {
		if got := tickets(held(s)); !slices.Equal(got, []int64{10, 11}) {
			t.Fatalf("community 1 got tickets %v, want [10 11]", got)
		}
	}
	if got := tickets(held(other)); !slices.Equal(got, []int64{20}) {
		t.Fatalf("community 2 got tickets %v, want [20]", got)
	}
}

// TestHubTicketIsolation checks that a ticket's subscriber receives that
// ticket's events and no other's, live and on resumption.
func TestHubTicketIsolation(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	mine := h.SubscribeTicket(1, 10, "")
	defer mine.Cancel()
	all := h.SubscribeCommunity(1, "")
	defer all.Cancel()
	sameIDElsewhere := h.SubscribeTicket(2, 10, "")
	defer sameIDElsewhere.Cancel()

	h.Publish(changed(1, 10), changed(1, 11), live.Event{Type: live.Typing, CommunityID: 1, TicketID: 12},
		live.Event{Type: live.MessageAdded, CommunityID: 1, TicketID: 10, Data: json.RawMessage(`{"id":3}`)})
	got := held(mine)
	if ids := tickets(got); !slices.Equal(ids, []int64{10, 10}) {
		t.Fatalf("ticket 10's subscriber got tickets %v", ids)
	}
	if got[1].Type != live.MessageAdded || string(got[1].Data) != `{"id":3}` {
		t.Fatalf("second event %+v", got[1])
	}
	if ids := tickets(held(all)); !slices.Equal(ids, []int64{10, 11, 12, 10}) {
		t.Fatalf("the community's subscriber got tickets %v", ids)
	}
	if es := held(sameIDElsewhere); len(es) != 0 {
		t.Fatalf("ticket 10 of community 2 got %v", es)
	}

	// Resuming from the first event replays only ticket 10's.
	first := got[0]
	h.Publish(changed(1, 11), changed(1, 10), changed(1, 13))
	mine.Cancel()
	again := h.SubscribeTicket(1, 10, h.EventID(first))
	defer again.Cancel()
	if ids := tickets(held(again)); !slices.Equal(ids, []int64{10, 10}) {
		t.Fatalf("resumed ticket subscriber got tickets %v, want [10 10]", ids)
	}
}

// TestHubIDs checks that ids increase per community, and that a hub
// does not take another hub's ids for its own.
func TestHubIDs(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	s := h.SubscribeCommunity(1, "")
	defer s.Cancel()
	o := h.SubscribeCommunity(2, "")
	defer o.Cancel()
	for i := range 5 {
		h.Publish(changed(1, int64(i)), changed(2, int64(i)))
	}
	for _, sub := range []*live.Subscription{s, o} {
		es := held(sub)
		if len(es) != 5 {
			t.Fatalf("%d events, want 5", len(es))
		}
		for i, e := range es {
			if e.ID != int64(i+1) {
				t.Fatalf("event %d has id %d, want %d", i, e.ID, i+1)
			}
		}
		epoch, n, _ := strings.Cut(h.EventID(es[4]), "-")
		if n != "5" || epoch == "" {
			t.Fatalf("EventID = %q", h.EventID(es[4]))
		}
	}

	// A restarted process has another hub: the ids of the first mean
	// nothing to it, though it has events with the same numbers.
	h2 := live.NewHub()
	h2.Publish(changed(1, 1), changed(1, 2))
	old := h.EventID(live.Event{ID: 1})
	if h2.EventID(live.Event{ID: 1}) == old {
		t.Fatal("two hubs make the same ids")
	}
	r := h2.SubscribeCommunity(1, old)
	defer r.Cancel()
	es := held(r)
	if len(es) != 1 || es[0].Type != live.Reset || es[0].ID != 2 || es[0].CommunityID != 1 {
		t.Fatalf("resuming from another hub's id gave %+v, want one Reset as of 2", es)
	}
	if r.From != h2.EventID(live.Event{ID: 2}) {
		t.Fatalf("From = %q", r.From)
	}
}

// TestHubResume checks that a subscriber that reconnects with the last id
// it saw gets exactly the events it missed, then the new ones.
func TestHubResume(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	s := h.SubscribeCommunity(1, "")
	if s.From != h.EventID(live.Event{ID: 0}) {
		t.Fatalf("a fresh stream starts from %q", s.From)
	}
	h.Publish(changed(1, 1), changed(1, 2), changed(1, 3))
	got := held(s)
	s.Cancel()
	last := h.EventID(got[len(got)-1])

	// Missed: 4, 5 and 6, a typing notice among them (not kept), and an
	// event of another community.
	h.Publish(changed(1, 4), changed(2, 99), live.Event{Type: live.Typing, CommunityID: 1, TicketID: 4}, changed(1, 5), changed(1, 6))
	r := h.SubscribeCommunity(1, last)
	defer r.Cancel()
	if r.From != last {
		t.Fatalf("From = %q, want %q", r.From, last)
	}
	h.Publish(changed(1, 7))
	es := held(r)
	if ids := tickets(es); !slices.Equal(ids, []int64{4, 5, 6, 7}) {
		t.Fatalf("resumed with tickets %v, want [4 5 6 7]", ids)
	}
	for i, want := range []int64{4, 6, 7, 8} { // 5 was the typing notice
		if es[i].ID != want {
			t.Fatalf("event %d has id %d, want %d", i, es[i].ID, want)
		}
	}

	// Resuming from the latest id replays nothing.
	cur := h.SubscribeCommunity(1, h.EventID(es[len(es)-1]))
	defer cur.Cancel()
	if es := held(cur); len(es) != 0 {
		t.Fatalf("resuming from the latest id gave %v", es)
	}
}

// TestHubResumeUnknown checks that an id the hub cannot resume from
// gives one Reset as of the stream's last event.
func TestHubResumeUnknown(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	h.Publish(changed(1, 1), changed(1, 2))
	epoch, _, _ := strings.Cut(h.EventID(live.Event{}), "-")
	for _, id := range []string{"nonsense", "-1", epoch, epoch + "-", epoch + "-x", epoch + "--1", epoch + "-+1", epoch + "-01", epoch + "-3", "0123456789abcdef-1"} {
		s := h.SubscribeCommunity(1, id)
		es := held(s)
		s.Cancel()
		if len(es) != 1 || es[0].Type != live.Reset || es[0].ID != 2 {
			t.Errorf("resuming from %q gave %+v, want one Reset as of 2", id, es)
		}
	}
}

// TestHubResumeTooOld checks that a subscriber resuming from before the
// oldest event kept gets Reset, by count and by size.
func TestHubResumeTooOld(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	before := h.EventID(live.Event{ID: 0}) // before the first event
	for i := range 1025 {
		h.Publish(changed(1, int64(i+1)))
	}
	s := h.SubscribeCommunity(1, before)
	es := held(s)
	s.Cancel()
	if ids := tickets(es); !slices.Equal(ids, []int64{-1}) || es[0].ID != 1025 {
		t.Fatalf("resuming from behind 1024 events gave %v", ids)
	}
	// The 1024 after it are still there.
	s = h.SubscribeCommunity(1, h.EventID(live.Event{ID: 1}))
	es = held(s)
	s.Cancel()
	if len(es) != 1024 || es[0].ID != 2 || es[1023].ID != 1025 {
		t.Fatalf("resuming from the oldest kept gave %d events", len(es))
	}

	// Large events: fewer are kept.
	big := json.RawMessage(`"` + strings.Repeat("x", 16<<10) + `"`)
	for i := range 20 {
		h.Publish(live.Event{Type: live.MessageAdded, CommunityID: 2, TicketID: int64(i + 1), Data: big})
	}
	s = h.SubscribeCommunity(2, h.EventID(live.Event{ID: 1}))
	es = held(s)
	s.Cancel()
	if ids := tickets(es); !slices.Equal(ids, []int64{-1}) {
		t.Fatalf("resuming from behind 320 KiB of events gave %v", ids)
	}
	s = h.SubscribeCommunity(2, h.EventID(live.Event{ID: 10}))
	es = held(s)
	s.Cancel()
	if len(es) != 10 || es[0].ID != 11 {
		t.Fatalf("resuming from behind the last 160 KiB gave %d events", len(es))
	}
}

// TestHubResumeManyCommunities checks that the events kept by all the
// streams together are bounded too: a quiet community's last event goes
// once 2^17 events of other communities have been kept after it.
func TestHubResumeManyCommunities(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	start := h.EventID(live.Event{ID: 0})
	h.Publish(changed(1, 1))
	const communities, each = 256, 512 // 2^17 events, none beyond its stream's limit
	for c := range communities {
		for i := range each {
			h.Publish(changed(int64(c+2), int64(i+1)))
		}
	}
	s := h.SubscribeCommunity(1, start)
	if es := held(s); len(es) != 1 || es[0].Type != live.Reset || es[0].ID != 1 {
		t.Fatalf("resuming the quiet community gave %+v, want one Reset as of 1", es)
	}
	s.Cancel()
	for _, c := range []int64{2, communities + 1} {
		s = h.SubscribeCommunity(c, start)
		if es := held(s); len(es) != each || es[0].ID != 1 {
			t.Fatalf("resuming community %d gave %d events, want %d", c, len(es), each)
		}
		s.Cancel()
	}
	// One more drops the oldest of community 2.
	h.Publish(changed(3, 0))
	s = h.SubscribeCommunity(2, start)
	if es := held(s); len(es) != 1 || es[0].Type != live.Reset {
		t.Fatalf("resuming community 2 from its start gave %d events, want a Reset", len(es))
	}
	s.Cancel()
	s = h.SubscribeCommunity(2, h.EventID(live.Event{ID: 1}))
	if es := held(s); len(es) != each-1 {
		t.Fatalf("resuming community 2 from its first event gave %d events, want %d", len(es), each-1)
	}
	s.Cancel()
}

// TestHubSlowSubscriber checks that a subscriber that never reads holds
// no one up, learns that it fell behind, and then receives what follows.
func TestHubSlowSubscriber(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	slow := h.SubscribeCommunity(1, "")
	defer slow.Cancel()
	fast := h.SubscribeCommunity(1, "")

	const n = 10000
	got := make(chan int, 1)
	go func() {
		count := 0
		for range fast.Events {
			count++
		}
		got <- count
	}()
	// Were a send to block on the subscriber that does not read, this
	// would never finish.
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n / 4 {
				h.Publish(changed(1, int64(p*n+i+1)))
			}
		}()
	}
	wg.Wait()
	fast.Cancel()
	if c := <-got; c == 0 {
		t.Fatal("the reading subscriber got nothing")
	}
	// The slow one holds a Reset, then the events published after it.
	es := held(slow)
	if len(es) == 0 || len(es) > 65 || es[0].Type != live.Reset {
		t.Fatalf("the slow subscriber holds %d events, the first %+v", len(es), es)
	}
	for i := 1; i < len(es); i++ {
		if es[i].Type == live.Reset || es[i].ID != es[i-1].ID+1 {
			t.Fatalf("after the Reset as of %d: %+v", es[0].ID, es[1:])
		}
	}
	if last := es[len(es)-1].ID; last != n {
		t.Fatalf("the slow subscriber's last event is %d, want %d", last, n)
	}
	// It is back in step.
	h.Publish(changed(1, 1))
	if e := receive(t, slow); e.Type != live.TicketChanged || e.ID != n+1 {
		t.Fatalf("after catching up: %+v", e)
	}
}

// TestHubReset checks ResetAll and a published Reset: subscribers get
// Reset, and no earlier id can be resumed from.
func TestHubReset(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	a := h.SubscribeCommunity(1, "")
	defer a.Cancel()
	b := h.SubscribeTicket(2, 7, "")
	defer b.Cancel()
	h.Publish(changed(1, 1), changed(1, 2), changed(2, 7))
	before := h.EventID(live.Event{ID: 1})

	h.ResetAll()
	if es := held(a); len(es) != 1 || es[0].Type != live.Reset || es[0].ID != 2 || es[0].CommunityID != 1 {
		t.Fatalf("community 1 holds %+v after ResetAll, want one Reset as of 2", es)
	}
	if es := held(b); len(es) != 1 || es[0].Type != live.Reset || es[0].ID != 1 || es[0].TicketID != 7 {
		t.Fatalf("ticket 7 holds %+v after ResetAll, want one Reset as of 1", es)
	}
	r := h.SubscribeCommunity(1, before)
	if es := held(r); len(es) != 1 || es[0].Type != live.Reset {
		t.Fatalf("resuming from before ResetAll gave %+v", es)
	}
	r.Cancel()
	r = h.SubscribeCommunity(1, h.EventID(live.Event{ID: 2}))
	h.Publish(changed(1, 3))
	if ids := tickets(held(r)); !slices.Equal(ids, []int64{3}) {
		t.Fatalf("resuming from the Reset gave %v", ids)
	}
	r.Cancel()

	// A published Reset resets its community only.
	h.Publish(live.Event{Type: live.Reset, CommunityID: 2})
	if es := held(b); len(es) != 1 || es[0].Type != live.Reset {
		t.Fatalf("community 2 holds %+v after its Reset", es)
	}
	if es := held(a); len(es) != 1 || es[0].TicketID != 3 {
		t.Fatalf("community 1 holds %+v after community 2's Reset", es)
	}
}

func TestHubUnsubscribe(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	a := h.SubscribeCommunity(1, "")
	b := h.SubscribeCommunity(1, "")
	defer b.Cancel()
	a.Cancel()
	a.Cancel() // twice is fine
	if _, ok := <-a.Events; ok {
		t.Fatal("a cancelled subscription's channel is open")
	}
	h.Publish(changed(1, 5))
	if got := receive(t, b); got.TicketID != 5 {
		t.Fatalf("got %+v", got)
	}
	if n := h.Subscribers(); n != 1 {
		t.Fatalf("%d subscribers, want 1", n)
	}
	b.Cancel()
	if n := h.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers, want 0", n)
	}
	h.Publish(changed(1, 6)) // no one listens: nothing happens

	// Two subscribers of one ticket: cancelling one leaves the other.
	t1, t2 := h.SubscribeTicket(1, 8, ""), h.SubscribeTicket(1, 8, "")
	if n := h.Subscribers(); n != 2 {
		t.Fatalf("%d subscribers, want 2", n)
	}
	t1.Cancel()
	h.Publish(changed(1, 8))
	if got := receive(t, t2); got.TicketID != 8 {
		t.Fatalf("got %+v", got)
	}
	t2.Cancel()
	if n := h.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers, want 0", n)
	}

	c := h.SubscribeTicket(1, 6, "")
	defer c.Cancel()
	h.Close()
	h.Close()
	if _, ok := <-c.Events; ok {
		t.Fatal("Close left a channel open")
	}
	d := h.SubscribeCommunity(1, "")
	d.Cancel()
	if _, ok := <-d.Events; ok {
		t.Fatal("a subscription after Close is open")
	}
	h.Publish(changed(1, 7)) // does not panic on closed channels
	h.ResetAll()
	c.Cancel()
}

// TestHubConcurrent subscribes, publishes and cancels from many
// goroutines at once (run with -race).
func TestHubConcurrent(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s *live.Subscription
			if i%2 == 0 {
				s = h.SubscribeCommunity(int64(i%3+1), "")
			} else {
				s = h.SubscribeTicket(int64(i%3+1), 1, h.EventID(live.Event{ID: int64(i)}))
			}
			for j := range 100 {
				h.Publish(changed(int64(j%3+1), int64(j%2)))
				if j == 50 && i == 0 {
					h.ResetAll()
				}
				select {
				case <-s.Events:
				default:
				}
			}
			s.Cancel()
		}()
	}
	wg.Wait()
	if n := h.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers left", n)
	}
}

// TestEventJSON pins the shape in which events travel between processes.
func TestEventJSON(t *testing.T) {
	t.Parallel()
	e := live.Event{ID: 3, Type: live.StatusChanged, CommunityID: 1, TicketID: 2, UserID: "u", Data: json.RawMessage(`{"status":"pending"}`)}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":3,"type":"status.changed","communityId":1,"ticketId":2,"userId":"u","data":{"status":"pending"}}`
	if string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
}

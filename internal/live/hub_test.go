package live_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"openboards/internal/live"
)

// receive returns the next id on ch, failing when none comes in time.
func receive(t *testing.T, ch <-chan int64) int64 {
	t.Helper()
	select {
	case id, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return id
	case <-time.After(2 * time.Second):
		t.Fatal("no change arrived")
	}
	return 0
}

// quiet fails when ch holds a change.
func quiet(t *testing.T, ch <-chan int64) {
	t.Helper()
	select {
	case id, ok := <-ch:
		t.Fatalf("unexpected change %d (open %v)", id, ok)
	default:
	}
}

func TestHubFanOut(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	a, cancelA := h.Subscribe(1)
	defer cancelA()
	b, cancelB := h.Subscribe(1)
	defer cancelB()
	other, cancelOther := h.Subscribe(2)
	defer cancelOther()
	if n := h.Subscribers(); n != 3 {
		t.Fatalf("%d subscribers, want 3", n)
	}

	h.Publish(1, 10)
	h.PublishChanges([]live.Change{{CommunityID: 1, TicketID: 11}, {CommunityID: 2, TicketID: 20}})
	for _, ch := range []<-chan int64{a, b} {
		if got := receive(t, ch); got != 10 {
			t.Fatalf("got %d, want 10", got)
		}
		if got := receive(t, ch); got != 11 {
			t.Fatalf("got %d, want 11", got)
		}
		quiet(t, ch)
	}
	if got := receive(t, other); got != 20 {
		t.Fatalf("other community got %d, want 20", got)
	}
	quiet(t, other)

	h.PublishAll()
	for _, ch := range []<-chan int64{a, b, other} {
		if got := receive(t, ch); got != live.All {
			t.Fatalf("got %d after PublishAll, want %d", got, live.All)
		}
	}
	h.PublishPayload("2:21")
	h.PublishPayload("nonsense")
	h.PublishPayload("2:x")
	if got := receive(t, other); got != 21 {
		t.Fatalf("payload 2:21 gave %d", got)
	}
	quiet(t, other)
	quiet(t, a)
	h.PublishPayload("")
	if got := receive(t, a); got != live.All {
		t.Fatalf("empty payload gave %d, want All", got)
	}
}

func TestHubUnsubscribe(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	a, cancelA := h.Subscribe(1)
	b, cancelB := h.Subscribe(1)
	defer cancelB()
	cancelA()
	cancelA() // twice is fine
	if _, ok := <-a; ok {
		t.Fatal("a cancelled subscription's channel is open")
	}
	h.Publish(1, 5)
	if got := receive(t, b); got != 5 {
		t.Fatalf("got %d", got)
	}
	if n := h.Subscribers(); n != 1 {
		t.Fatalf("%d subscribers, want 1", n)
	}
	cancelB()
	if n := h.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers, want 0", n)
	}
	h.Publish(1, 6) // no one listens: nothing happens

	c, cancelC := h.Subscribe(1)
	defer cancelC()
	h.Close()
	h.Close()
	if _, ok := <-c; ok {
		t.Fatal("Close left a channel open")
	}
	d, cancelD := h.Subscribe(1)
	cancelD()
	if _, ok := <-d; ok {
		t.Fatal("a subscription after Close is open")
	}
	h.Publish(1, 7) // does not panic on closed channels
	cancelC()
}

// TestHubSlowSubscriber checks that a subscriber that never reads holds
// no one up, and learns that it fell behind.
func TestHubSlowSubscriber(t *testing.T) {
	t.Parallel()
	h := live.NewHub()
	slow, cancelSlow := h.Subscribe(1)
	defer cancelSlow()
	fast, cancelFast := h.Subscribe(1)
	defer cancelFast()

	const n = 10000
	got := make(chan int, 1)
	go func() {
		count := 0
		for range fast {
			count++
		}
		got <- count
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for p := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range n / 4 {
					h.Publish(1, int64(p*n+i+1))
				}
			}()
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publishing blocked on a subscriber that does not read")
	}
	cancelFast()
	if c := <-got; c == 0 {
		t.Fatal("the reading subscriber got nothing")
	}
	// The slow one holds a few changes, among them an All that stands for
	// what did not fit.
	var held []int64
	for {
		select {
		case id := <-slow:
			held = append(held, id)
			continue
		default:
		}
		break
	}
	if len(held) == 0 || len(held) > 16 {
		t.Fatalf("the slow subscriber holds %d changes", len(held))
	}
	if !slices.Contains(held, live.All) {
		t.Fatalf("the slow subscriber holds %v, without All", held)
	}
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
			ch, cancel := h.Subscribe(int64(i % 3))
			for j := range 100 {
				h.Publish(int64(j%3), int64(j))
				select {
				case <-ch:
				default:
				}
			}
			cancel()
		}()
	}
	wg.Wait()
	if n := h.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers left", n)
	}
}

func TestParseChange(t *testing.T) {
	t.Parallel()
	c := live.Change{CommunityID: 12, TicketID: 345}
	if s := c.String(); s != "12:345" {
		t.Fatalf("String() = %q", s)
	}
	if got, ok := live.ParseChange("12:345"); !ok || got != c {
		t.Fatalf("ParseChange = %v, %v", got, ok)
	}
	for _, bad := range []string{"", "12", "12:", ":3", "a:1", "1:b", "0:1", "1:-2", "1:2:3"} {
		if _, ok := live.ParseChange(bad); ok {
			t.Errorf("ParseChange(%q) accepted", bad)
		}
	}
}

package openboards

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestQueueTree(t *testing.T) {
	// Every prefix sum through the tree nodes equals a direct count.
	counts := make([]int, 300)
	tree := map[int64]int{}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		s := int64(1 + rng.IntN(len(counts)-1))
		d := 1
		if counts[s] > 0 && rng.IntN(2) == 0 {
			d = -1
		}
		counts[s] += d
		for _, n := range QueueTreeUpdateNodes(s) {
			tree[n] += d
		}
	}
	for s := range int64(len(counts)) {
		sum := 0
		for _, n := range QueueTreePrefixNodes(s) {
			sum += tree[n]
		}
		want := 0
		for _, c := range counts[:s+1] {
			want += c
		}
		if sum != want {
			t.Fatalf("prefix %d = %d, want %d", s, sum, want)
		}
	}
	if n := len(QueueTreeUpdateNodes(1)); n != QueueTreeBits {
		t.Fatalf("update path of place 1 has %d nodes, want %d", n, QueueTreeBits)
	}
	if n := len(QueueTreePrefixNodes(MaxQueueSeq)); n != QueueTreeBits {
		t.Fatalf("prefix path of the last place has %d nodes", n)
	}
}

func TestEstimateWait(t *testing.T) {
	stats := QueueStats{Handled: 10, AverageHandling: 6 * time.Minute, Slots: 4, Free: 1}
	for _, c := range []struct {
		position int
		stats    QueueStats
		want     *int
	}{
		{1, stats, ptrTo(0)},  // a free slot is there for it
		{2, stats, ptrTo(2)},  // 1 ahead of the free slots: 6 min / 4 slots, rounded up
		{9, stats, ptrTo(12)}, // 8 * 6 / 4
		{3, QueueStats{Handled: 10, AverageHandling: 6 * time.Minute}, nil}, // nobody online
		{3, QueueStats{Slots: 4, Free: 0}, nil},                             // nothing handled lately
		{NotQueued, stats, nil},
	} {
		got := EstimateWait(c.position, c.stats)
		if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
			t.Errorf("EstimateWait(%d, %+v) = %v, want %v", c.position, c.stats, deref(got), deref(c.want))
		}
	}
}

func ptrTo(n int) *int { return &n }

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

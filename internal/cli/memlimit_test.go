package cli

import "testing"

func TestMemoryLimit(t *testing.T) {
	t.Parallel()
	if got := memoryLimit(0, 0); got != 100<<20 {
		t.Errorf("no connections: %d, want 100 MiB", got)
	}
	// 10,000 event streams served by net/http, of about 40 KiB each, stay
	// under the limit.
	if got, live := memoryLimit(10000, 0), int64(100<<20+10000*40<<10); got <= live {
		t.Errorf("10,000 connections: %d, not above %d", got, live)
	}
	// 10,000 parked streams, of about 6 KiB each, stay under it too, and
	// the limit well under 300 MiB.
	if got, live := memoryLimit(10000, 10000), int64(100<<20+10000*6<<10); got <= live || got > 250<<20 {
		t.Errorf("10,000 parked streams: %d, not between %d and 250 MiB", got, live)
	}
	// The parked streams of another server in the process count for no
	// more than this one's connections.
	if got := memoryLimit(10, 10000); got != memoryLimit(10, 10) {
		t.Errorf("more parked streams than connections: %d", got)
	}
}

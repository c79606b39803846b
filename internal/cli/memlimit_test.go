package cli

import "testing"

func TestMemoryLimit(t *testing.T) {
	t.Parallel()
	if got := memoryLimit(0); got != 100<<20 {
		t.Errorf("no connections: %d, want 100 MiB", got)
	}
	// 10,000 event streams of about 40 KiB each stay under the limit.
	if got, live := memoryLimit(10000), int64(100<<20+10000*40<<10); got <= live {
		t.Errorf("10,000 connections: %d, not above %d", got, live)
	}
}

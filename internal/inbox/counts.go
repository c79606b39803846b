package inbox

import (
	"context"
	"sync"
	"time"

	"openboards/internal/openboards"
)

// countsFresh is how long the ticket counts per status are shown without
// being counted again. Counting is a scan of the community's status index
// (a million tickets take tens of milliseconds), so pages show counts at
// most this old, and a page that finds them older still shows them while
// they are counted again in the background.
const countsFresh = 2 * time.Second

// statusCounts caches each community's ticket counts per status.
type statusCounts struct {
	mu sync.Mutex
	m  map[int64]*countEntry
}

type countEntry struct {
	counts     map[openboards.TicketStatus]int
	at         time.Time
	refreshing bool
}

// get returns a community's counts: counted now the first time, then from
// the cache, refreshed in the background once older than countsFresh.
func (c *statusCounts) get(ctx context.Context, store openboards.Reader, communityID int64) (map[openboards.TicketStatus]int, error) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[int64]*countEntry{}
	}
	e := c.m[communityID]
	if e != nil {
		counts := e.counts
		if time.Since(e.at) >= countsFresh && !e.refreshing {
			e.refreshing = true
			go c.refresh(store, communityID)
		}
		c.mu.Unlock()
		return counts, nil
	}
	c.mu.Unlock()
	counts, err := store.CountTicketsByStatus(ctx, communityID)
	if err != nil {
		return nil, err
	}
	c.put(communityID, counts)
	return counts, nil
}

func (c *statusCounts) refresh(store openboards.Reader, communityID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	counts, err := store.CountTicketsByStatus(ctx, communityID)
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[communityID]
	e.refreshing = false
	if err == nil {
		e.counts, e.at = counts, time.Now()
	}
}

func (c *statusCounts) put(communityID int64, counts map[openboards.TicketStatus]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[communityID] = &countEntry{counts: counts, at: time.Now()}
}

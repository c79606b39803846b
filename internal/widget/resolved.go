package widget

import (
	"sync"
	"time"

	"openboards/internal/openboards"
)

// resolvedCache keeps, for a moment, the community and settings of the
// widgets requests name. A setting changed through this server's Service
// applies at once (its generation moves on); one changed on another node
// applies within resolvedFor.
type resolvedCache struct {
	mu      sync.Mutex
	entries map[resolvedKey]resolvedEntry
}

type resolvedKey struct {
	community string // lower case
	widgetID  int64
}

type resolvedEntry struct {
	cm      *openboards.Community
	st      *openboards.WidgetSettings
	gen     uint64
	expires time.Time
}

const (
	// resolvedFor is how long an entry is used.
	resolvedFor = 2 * time.Second
	// maxResolved bounds the entries; a full cache starts again empty.
	maxResolved = 10_000
)

func (c *resolvedCache) get(k resolvedKey, gen uint64) (*openboards.Community, *openboards.WidgetSettings, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || e.gen != gen || time.Now().After(e.expires) {
		return nil, nil, false
	}
	return e.cm, e.st, true
}

func (c *resolvedCache) put(k resolvedKey, gen uint64, cm *openboards.Community, st *openboards.WidgetSettings) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxResolved {
		c.entries = map[resolvedKey]resolvedEntry{}
	}
	c.entries[k] = resolvedEntry{cm: cm, st: st, gen: gen, expires: time.Now().Add(resolvedFor)}
}

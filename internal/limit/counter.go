package limit

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	"openboards/internal/openboards"
)

// Counter limits how often a client may do something (open a chat,
// send a message): at most Rule.Max times per client address in a window
// of Rule.Window that starts at its first time. Unlike Failures, every
// attempt counts. IPv6 clients are counted by their /64.
type Counter struct {
	mu   sync.Mutex
	win  *window
	now  func() time.Time
	what string
}

// NewCounter returns a Counter of rule for what the clients do ("chats
// opened"), tracking at most maxKeys addresses (past it the oldest is
// forgotten); now is the clock (nil: time.Now).
func NewCounter(what string, rule Rule, maxKeys int, now func() time.Time) *Counter {
	if now == nil {
		now = time.Now
	}
	return &Counter{win: newWindow(rule, maxKeys), now: now, what: what}
}

// Take counts one more for the client at addr, or refuses it with
// CodeRateLimited and the wait until the client's window ends.
func (c *Counter) Take(addr netip.Addr) error {
	key := clientKey(addr)
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if d := c.win.wait(key, now); d > 0 {
		return &openboards.Error{Code: openboards.CodeRateLimited, RetryAfter: d,
			Message: fmt.Sprintf("too many %s from your address: at most %d in %s; try again in %s", c.what, c.win.rule.Max, roundUp(c.win.rule.Window), roundUp(d))}
	}
	c.win.add(key, now)
	return nil
}

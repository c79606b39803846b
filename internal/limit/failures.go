package limit

import (
	"container/list"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"openboards/internal/openboards"
)

// Rule is one limit: at most Max failures in Window.
type Rule struct {
	Max    int
	Window time.Duration
}

// FailureOptions configure a Failures limiter. Zero fields take the
// defaults.
type FailureOptions struct {
	// PerAccount limits failures per account and client address
	// (default 10 in 15 minutes).
	PerAccount Rule
	// PerClient limits failures per client address, whatever the account
	// (default 100 in 15 minutes).
	PerClient Rule
	// MaxKeys bounds how many keys each rule tracks (default 100,000);
	// past it the oldest is forgotten.
	MaxKeys int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Metrics counts refusals; nil counts nothing.
	Metrics *Metrics
}

// Failures limits failed attempts at a secret (a password, a refresh
// token) per account and client address, and per client address. An
// attempt is counted when it begins, so that concurrent guesses cannot
// overshoot the limit, and given back when it did not fail. An account is
// never locked as such: the right password from another address still
// works, so an attacker cannot lock a teammate out.
//
// IPv6 clients are counted by their /64, which one subscriber usually
// holds whole.
type Failures struct {
	mu      sync.Mutex
	account *window
	client  *window
	now     func() time.Time
	metrics *Metrics
}

// NewFailures returns a limiter with opt.
func NewFailures(opt FailureOptions) *Failures {
	if opt.PerAccount.Max <= 0 || opt.PerAccount.Window <= 0 {
		opt.PerAccount = Rule{Max: 10, Window: 15 * time.Minute}
	}
	if opt.PerClient.Max <= 0 || opt.PerClient.Window <= 0 {
		opt.PerClient = Rule{Max: 100, Window: 15 * time.Minute}
	}
	if opt.MaxKeys <= 0 {
		opt.MaxKeys = 100_000
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Failures{
		account: newWindow(opt.PerAccount, opt.MaxKeys),
		client:  newWindow(opt.PerClient, opt.MaxKeys),
		now:     opt.Now, metrics: opt.Metrics,
	}
}

// Begin starts an attempt at account (a name the caller makes unique per
// kind, such as "signin" + community + e-mail) from addr. When either limit
// is reached it counts nothing and returns a CodeRateLimited error whose
// RetryAfter is when the attempt would be allowed. Otherwise it counts the
// attempt and returns done, which must be called exactly once: done(true)
// keeps it as a failure, done(false) gives it back (it succeeded, or no
// secret was checked).
func (f *Failures) Begin(account string, addr netip.Addr) (done func(failed bool), err error) {
	client := clientKey(addr)
	sum := sha256.Sum256([]byte(account + "\x00" + client)) // bounded size, whatever the account's
	acct := string(sum[:16])
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	wait := max(f.account.wait(acct, now), f.client.wait(client, now))
	if wait > 0 {
		f.metrics.refuse(ReasonRateLimited)
		return nil, &openboards.Error{Code: openboards.CodeRateLimited, RetryAfter: wait,
			Message: fmt.Sprintf("too many failed attempts from your address; try again in %s", roundUp(wait))}
	}
	a, c := f.account.add(acct, now), f.client.add(client, now)
	var once sync.Once
	return func(failed bool) {
		once.Do(func() {
			if failed {
				return
			}
			f.mu.Lock()
			f.account.undo(acct, a)
			f.client.undo(client, c)
			f.mu.Unlock()
		})
	}, nil
}

// clientKey names addr's counter: the address, or its /64 for IPv6.
func clientKey(addr netip.Addr) string {
	if addr.Is6() && !addr.Is4In6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.Unmap().String()
}

// roundUp shows d in whole minutes, or seconds under a minute.
func roundUp(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d s", int((d+time.Second-1)/time.Second))
	}
	return fmt.Sprintf("%d min", int((d+time.Minute-1)/time.Minute))
}

// window counts attempts per key in fixed windows that start at a key's
// first attempt. Keys are kept in the order their windows started, which,
// the window being the same for all, is the order they end: expired keys
// are dropped from the front, and past max keys the oldest goes.
type window struct {
	rule  Rule
	max   int
	keys  map[string]*list.Element
	order *list.List // of *counter, oldest first
}

type counter struct {
	key   string
	start time.Time
	n     int
}

func newWindow(r Rule, maxKeys int) *window {
	return &window{rule: r, max: maxKeys, keys: map[string]*list.Element{}, order: list.New()}
}

// prune drops the keys whose window has ended.
func (w *window) prune(now time.Time) {
	for e := w.order.Front(); e != nil; e = w.order.Front() {
		c := e.Value.(*counter)
		if now.Sub(c.start) < w.rule.Window {
			return
		}
		w.order.Remove(e)
		delete(w.keys, c.key)
	}
}

// wait is how long until key may try again; 0 means now.
func (w *window) wait(key string, now time.Time) time.Duration {
	w.prune(now)
	e, ok := w.keys[key]
	if !ok {
		return 0
	}
	c := e.Value.(*counter)
	if c.n < w.rule.Max {
		return 0
	}
	return c.start.Add(w.rule.Window).Sub(now)
}

// add counts one attempt of key and returns its counter.
func (w *window) add(key string, now time.Time) *counter {
	if e, ok := w.keys[key]; ok {
		c := e.Value.(*counter)
		c.n++
		return c
	}
	if w.order.Len() >= w.max {
		oldest := w.order.Front()
		w.order.Remove(oldest)
		delete(w.keys, oldest.Value.(*counter).key)
	}
	c := &counter{key: key, start: now, n: 1}
	w.keys[key] = w.order.PushBack(c)
	return c
}

// undo gives back an attempt counted on c, unless c has since been
// forgotten (its window ended, or it was evicted).
func (w *window) undo(key string, c *counter) {
	if e, ok := w.keys[key]; ok && e.Value.(*counter) == c && c.n > 0 {
		c.n--
	}
}

// len is the number of keys tracked.
func (w *window) len() int { return w.order.Len() }

package limit

import (
	"runtime"
	"time"

	"openboards/internal/openboards"
)

// Pool caps how many password hashes run at once. Argon2id takes 19 MiB
// and tens of milliseconds of a core per check; without a cap, a flood of
// sign-ins grows memory without bound and starves every other request.
// A full pool refuses at once rather than queueing.
type Pool struct {
	slots   chan struct{}
	metrics *Metrics
}

// DefaultPoolSize is the size of a pool of n <= 0: two slots per CPU the
// process may use (GOMAXPROCS, which follows a container's CPU limit), so
// that the cores stay busy while a hash waits on memory.
func DefaultPoolSize() int { return 2 * runtime.GOMAXPROCS(0) }

// NewPool returns a pool of n slots (DefaultPoolSize if n <= 0) that counts
// its refusals in m (nil counts nothing).
func NewPool(n int, m *Metrics) *Pool {
	if n <= 0 {
		n = DefaultPoolSize()
	}
	return &Pool{slots: make(chan struct{}, n), metrics: m}
}

// ErrBusy is the answer when every slot is taken: 503 with Retry-After.
var ErrBusy = &openboards.Error{Code: openboards.CodeUnavailable,
	Message: "the server is busy checking other passwords; try again in a moment", RetryAfter: time.Second}

// Acquire takes a slot, or returns ErrBusy at once when none is free. Call
// the returned release exactly once when the hash is done.
func (p *Pool) Acquire() (release func(), err error) {
	select {
	case p.slots <- struct{}{}:
		return func() { <-p.slots }, nil
	default:
		p.metrics.refuse(ReasonHashPoolFull)
		return nil, ErrBusy
	}
}

// Size is the number of slots.
func (p *Pool) Size() int { return cap(p.slots) }

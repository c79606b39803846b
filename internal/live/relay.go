package live

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Relay announces this process's changes to the other processes that
// share its database. Add queues changes without waiting; Run sends them
// from one goroutine, merging the changes queued meanwhile, so writers
// never wait for the announcement and a burst of writes costs a few round
// trips. What the others receive they publish into their own hubs (see
// Hub.PublishPayload).
type Relay struct {
	send func(ctx context.Context, payloads []string) error
	log  *slog.Logger

	mu      sync.Mutex
	pending []Change
	queued  map[Change]struct{}
	dropped int
	wake    chan struct{}
}

// Limits of a Relay.
const (
	// maxPending bounds the changes waiting to be sent; more are dropped
	// (and logged) while the database cannot be reached.
	maxPending = 4096
	// maxBatch bounds the payloads of one send.
	maxBatch = 500
	// sendTimeout bounds one send.
	sendTimeout = 5 * time.Second
	// retryPause is the pause after a failed send.
	retryPause = time.Second
)

// NewRelay returns a relay that announces changes with send, which gets
// one payload (Change.String) per change. log may be nil.
func NewRelay(send func(ctx context.Context, payloads []string) error, log *slog.Logger) *Relay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Relay{send: send, log: log, queued: map[Change]struct{}{}, wake: make(chan struct{}, 1)}
}

// Add queues changes to be announced. It never blocks.
func (r *Relay) Add(cs []Change) {
	r.mu.Lock()
	for _, c := range cs {
		if _, ok := r.queued[c]; ok {
			continue
		}
		if len(r.pending) >= maxPending {
			r.dropped++
			continue
		}
		r.queued[c] = struct{}{}
		r.pending = append(r.pending, c)
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run sends queued changes until ctx ends, and then what is still queued.
func (r *Relay) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			r.flush(context.WithoutCancel(ctx))
			return
		case <-r.wake:
		}
		if err := r.flush(ctx); err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(retryPause):
			}
			r.poke()
		}
	}
}

// poke makes Run look at the queue again.
func (r *Relay) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// flush sends everything queued, in batches. A batch that fails goes back
// to the front of the queue.
func (r *Relay) flush(ctx context.Context) error {
	for {
		r.mu.Lock()
		if r.dropped > 0 {
			r.log.Warn("live: too many changes waiting to be announced to other processes; some were dropped", "dropped", r.dropped)
			r.dropped = 0
		}
		n := min(len(r.pending), maxBatch)
		batch := r.pending[:n:n]
		r.pending = r.pending[n:]
		for _, c := range batch {
			delete(r.queued, c)
		}
		r.mu.Unlock()
		if n == 0 {
			return nil
		}
		payloads := make([]string, n)
		for i, c := range batch {
			payloads[i] = c.String()
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		err := r.send(sctx, payloads)
		cancel()
		if err != nil {
			r.log.Warn("live: announcing changes to other processes failed", "changes", n, "err", err)
			r.requeue(batch)
			return err
		}
	}
}

// requeue puts a failed batch back in front of the queue, but for the
// changes queued again meanwhile.
func (r *Relay) requeue(batch []Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var back []Change
	for _, c := range batch {
		if _, ok := r.queued[c]; ok {
			continue
		}
		r.queued[c] = struct{}{}
		back = append(back, c)
	}
	r.pending = append(back, r.pending...)
	if over := len(r.pending) - maxPending; over > 0 {
		for _, c := range r.pending[maxPending:] {
			delete(r.queued, c)
		}
		r.pending = r.pending[:maxPending]
		r.dropped += over
	}
}

package live

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sync"
	"time"
)

// Relay passes this process's events to the other processes that share
// its database, and theirs to this process's hub. Add queues events
// without waiting; Run sends them from one goroutine, packing the events
// queued meanwhile into as few payloads as fit, so publishers never wait
// for the network and a burst of events costs a few round trips. Receive
// takes the payloads the processes send (this one's included, which it
// skips) and publishes the events into the hub.
//
// A payload is a JSON object, {"node":"<node id>","events":[...]}, of
// fewer than MaxPayload bytes (PostgreSQL's NOTIFY refuses longer ones).
// Typing events travel too, though they are never stored.
type Relay struct {
	hub  *Hub
	node string // tells this process's payloads from the others'
	send func(ctx context.Context, payloads []string) error
	log  *slog.Logger

	mu      sync.Mutex
	pending []Event
	// lost are the communities some of whose events were dropped while
	// the queue was full; the others are sent a Reset for each.
	lost    map[int64]struct{}
	dropped int
	wake    chan struct{}
}

// MaxPayload bounds the size of one payload in bytes: PostgreSQL's
// NOTIFY takes payloads shorter than 8000 bytes.
const MaxPayload = 8000 - 1

// Limits of a Relay.
const (
	// maxPending bounds the events waiting to be sent; more are dropped
	// (and their communities reset) while the database cannot be reached.
	maxPending = 4096
	// maxBatch bounds the payloads of one send.
	maxBatch = 64
	// sendTimeout bounds one send.
	sendTimeout = 5 * time.Second
	// retryPause is the pause after a failed send.
	retryPause = time.Second
)

// payload is what one notification carries.
type payload struct {
	Node   string  `json:"node"`
	Events []Event `json:"events"`
}

// NewRelay returns a relay that publishes what it receives into hub and
// sends this process's events with send, which gets the payloads of one
// batch. log may be nil.
func NewRelay(hub *Hub, send func(ctx context.Context, payloads []string) error, log *slog.Logger) *Relay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return &Relay{
		hub: hub, node: hex.EncodeToString(b[:]), send: send, log: log,
		lost: map[int64]struct{}{}, wake: make(chan struct{}, 1),
	}
}

// Add queues events to be sent to the other processes. It never blocks.
func (r *Relay) Add(events ...Event) {
	r.mu.Lock()
	for _, e := range events {
		if e.CommunityID <= 0 || e.Type == "" {
			continue
		}
		if len(r.pending) >= maxPending {
			r.lose(e.CommunityID)
			continue
		}
		e.ID = 0 // each hub numbers its own
		r.pending = append(r.pending, e)
	}
	r.mu.Unlock()
	r.poke()
}

// lose notes that an event of community was dropped; r.mu is held.
func (r *Relay) lose(community int64) {
	r.dropped++
	r.lost[community] = struct{}{}
}

// Receive publishes into the hub the events of a payload another process
// sent. It skips this process's own payloads, whose events its hub has
// had already, and what is not a payload. An empty payload means that
// payloads may have been missed (the listening connection was made
// again), and resets every subscriber of the hub.
func (r *Relay) Receive(p string) {
	if p == "" {
		r.hub.ResetAll()
		return
	}
	var pl payload
	if err := json.Unmarshal([]byte(p), &pl); err != nil || pl.Node == "" {
		r.log.Debug("live: ignored a payload that is not a relay's", "err", err)
		return
	}
	if pl.Node == r.node {
		return
	}
	for i := range pl.Events {
		pl.Events[i].ID = 0
	}
	r.hub.Publish(pl.Events...)
}

// Run sends queued events until ctx ends, and then what is still queued.
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
			r.log.Warn("live: too many events waiting to be sent to other processes; some were dropped, and their communities' subscribers there are reset",
				"dropped", r.dropped, "communities", len(r.lost))
			r.dropped = 0
		}
		// The resets of communities whose events were dropped go first.
		all := make([]Event, 0, len(r.lost)+len(r.pending))
		for c := range r.lost {
			all = append(all, Event{Type: Reset, CommunityID: c})
		}
		resets := len(all)
		clear(r.lost)
		all = append(all, r.pending...)
		payloads, n := r.pack(all)
		batch := all[:n]
		for _, e := range all[min(n, resets):resets] { // resets left for the next batch
			r.lost[e.CommunityID] = struct{}{}
		}
		r.pending = r.pending[max(n-resets, 0):]
		r.mu.Unlock()
		if len(payloads) == 0 {
			return nil
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		err := r.send(sctx, payloads)
		cancel()
		if err != nil {
			r.log.Warn("live: sending events to other processes failed", "events", len(batch), "err", err)
			r.requeue(batch)
			return err
		}
	}
}

// pack encodes events, in order, into at most maxBatch payloads of at most
// MaxPayload bytes each, and returns them with the number of events they
// carry. An event too large for a payload of its own travels as a Reset
// of its community.
func (r *Relay) pack(events []Event) (payloads []string, n int) {
	head := `{"node":"` + r.node + `","events":[`
	const tail = `]}`
	buf := []byte(head)
	count := 0 // events in buf
	for n < len(events) {
		e := events[n]
		b, err := json.Marshal(e)
		if err != nil || len(head)+len(b)+len(tail) > MaxPayload {
			r.log.Warn("live: an event is too large to send to other processes; its community's subscribers there are reset",
				"type", e.Type, "community_id", e.CommunityID, "ticket_id", e.TicketID, "err", err)
			b, _ = json.Marshal(Event{Type: Reset, CommunityID: e.CommunityID})
		}
		extra := len(b) + len(tail)
		if count > 0 {
			extra++ // the comma
		}
		if len(buf)+extra > MaxPayload {
			payloads = append(payloads, string(append(buf, tail...)))
			buf, count = append(buf[:0], head...), 0
			if len(payloads) == maxBatch {
				return payloads, n
			}
			continue
		}
		if count > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, b...)
		count++
		n++
	}
	if count > 0 {
		payloads = append(payloads, string(append(buf, tail...)))
	}
	return payloads, n
}

// requeue puts a failed batch back in front of the queue, keeping at
// most maxPending events; the communities of those it drops are reset.
func (r *Relay) requeue(batch []Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var back []Event
	for _, e := range batch {
		if e.Type == Reset {
			r.lost[e.CommunityID] = struct{}{}
			continue
		}
		back = append(back, e)
	}
	r.pending = append(back, r.pending...)
	if len(r.pending) > maxPending {
		for _, e := range r.pending[maxPending:] {
			r.lose(e.CommunityID)
		}
		r.pending = r.pending[:maxPending]
	}
}

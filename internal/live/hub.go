// Package live carries typed events about tickets to the pages and
// clients that show them as they happen: the inbox's open pages today,
// chat integrations and the support widget next.
//
// Services publish an Event once the transaction that made the change has
// committed. A Hub numbers the events of each community's stream, keeps
// the last ones for subscribers that reconnect, and fans them out to the
// subscribers of the community or of one ticket. Processes that share a
// PostgreSQL database pass their events to each other through a Relay, so
// that a change made through one node reaches the subscribers of every
// node.
package live

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
)

// Limits of a Hub.
const (
	// subscriberBuffer is how many events a subscriber may fall behind
	// before what it holds is replaced by one Reset; ticketBuffer is that
	// for a subscriber of one ticket, whose events come one or a few at a
	// time (a live chat's client holds one, so a server holds thousands).
	subscriberBuffer = 64
	ticketBuffer     = 16
	// replayEvents and replayBytes bound the events each community's
	// stream keeps for subscribers that resume; a resumption from before
	// the oldest one kept gets Reset.
	replayEvents = 1024
	replayBytes  = 256 << 10
	// hubEvents and hubBytes bound the events kept by all the streams of a
	// hub together, so that a server with many communities does not keep
	// 256 KiB for each: an event is dropped once hubEvents events have
	// been kept after it in any stream, or when the events of every
	// stream kept since it exceed hubBytes.
	hubEvents = 1 << 17
	hubBytes  = 32 << 20
	// eventOverhead is what an event costs beyond its UserID and Data, in
	// the reckoning of replayBytes and hubBytes.
	eventOverhead = 64
)

// Hub fans events out to the subscribers of their community or ticket.
// Each community's events form one stream, numbered from 1 in the order
// the hub publishes them. Its methods are safe for concurrent use, and
// publishing never blocks: a subscriber whose buffer is full has what it
// holds replaced by one Reset. Make one with NewHub.
type Hub struct {
	// epoch tells this hub's event ids from those of a hub of another
	// process, or of this process before it restarted, whose numbers
	// mean other events.
	epoch string

	mu      sync.Mutex
	streams map[int64]*stream // by community
	// order lists the kept events of every stream, oldest first, and
	// some that were dropped since (a stream drops its own oldest, or
	// forgets all on reset): their stream no longer starts with them.
	order  []keptEvent
	bytes  int // the size of every stream's kept events
	closed bool
}

// keptEvent names a kept event in Hub.order.
type keptEvent struct{ community, id int64 }

// stream is one community's events: the number of the last one, the last
// ones kept for resumption, and the subscribers.
type stream struct {
	seq int64
	// floor is the id below which events may have been dropped from kept:
	// a subscriber resuming from an id below it gets Reset.
	floor int64
	kept  []Event // ids in (floor, seq], but for Typing, oldest first
	bytes int     // the size of kept, by eventSize
	// subs are the subscribers of the whole community; tickets those of
	// one ticket, by ticket, so that an event reaches its ticket's
	// subscribers without a look at the others: a server holds thousands
	// of them (one per live chat) and publishes hundreds of events a
	// second, under the hub's lock.
	subs    map[*Subscription]struct{}
	tickets map[int64]map[*Subscription]struct{}
}

// add makes s a subscriber of st.
func (st *stream) add(s *Subscription) {
	if s.ticket == 0 {
		st.subs[s] = struct{}{}
		return
	}
	m := st.tickets[s.ticket]
	if m == nil {
		m = map[*Subscription]struct{}{}
		st.tickets[s.ticket] = m
	}
	m[s] = struct{}{}
}

// remove ends s's subscription of st.
func (st *stream) remove(s *Subscription) {
	if s.ticket == 0 {
		delete(st.subs, s)
		return
	}
	m := st.tickets[s.ticket]
	delete(m, s)
	if len(m) == 0 {
		delete(st.tickets, s.ticket)
	}
}

// all calls fn for every subscriber of st.
func (st *stream) all(fn func(*Subscription)) {
	for s := range st.subs {
		fn(s)
	}
	for _, m := range st.tickets {
		for s := range m {
			fn(s)
		}
	}
}

// count is the number of subscribers of st.
func (st *stream) count() int {
	n := len(st.subs)
	for _, m := range st.tickets {
		n += len(m)
	}
	return n
}

// NewHub returns a hub with no subscribers, whose ids differ from those
// of every other hub.
func NewHub() *Hub {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return &Hub{epoch: hex.EncodeToString(b[:]), streams: map[int64]*stream{}}
}

// Subscription is one subscriber's share of a hub's events.
type Subscription struct {
	// Events receives the subscribed events in the order of their ids. It
	// is closed by Cancel and when the hub closes.
	Events <-chan Event
	// From is the id of the stream's last event before the subscription's
	// first (or the id it resumed from), for a stream that tells its
	// client where it starts, so that a client that has received nothing
	// yet can still resume.
	From string

	ch        chan Event
	hub       *Hub
	community int64
	ticket    int64 // 0: every ticket of the community
	closed    bool
}

// SubscribeCommunity subscribes to the events of every ticket of the
// community. With lastID empty the subscription starts now; with the id
// of the last event a previous subscription received, Events first
// receives the events of the stream that came after it, or, if the hub
// does not know the id or no longer keeps them all, one Reset.
func (h *Hub) SubscribeCommunity(community int64, lastID string) *Subscription {
	return h.subscribe(community, 0, lastID)
}

// SubscribeTicket is SubscribeCommunity for the events of one ticket:
// the subscription never receives another ticket's. Its ids are those of
// the community's stream, so they increase but have gaps.
func (h *Hub) SubscribeTicket(community, ticket int64, lastID string) *Subscription {
	return h.subscribe(community, ticket, lastID)
}

func (h *Hub) subscribe(community, ticket int64, lastID string) *Subscription {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := &Subscription{hub: h, community: community, ticket: ticket}
	if h.closed {
		s.ch = make(chan Event)
		close(s.ch)
		s.Events, s.closed = s.ch, true
		return s
	}
	st := h.stream(community)
	var replay []Event
	from, reset := st.seq, false
	if lastID != "" {
		seq, ok := h.parseID(lastID)
		if !ok || seq < st.floor || seq > st.seq {
			reset = true
		} else {
			from = seq
			for _, e := range st.kept {
				if e.ID > seq && s.wants(e) {
					replay = append(replay, e)
				}
			}
		}
	}
	size := subscriberBuffer
	if ticket != 0 {
		size = ticketBuffer
	}
	s.ch = make(chan Event, size+len(replay)+1)
	s.Events = s.ch
	s.From = h.id(from)
	if reset {
		s.ch <- s.reset(st.seq)
	}
	for _, e := range replay {
		s.ch <- e
	}
	st.add(s)
	return s
}

// Cancel ends the subscription and closes Events. Calling it again does
// nothing.
func (s *Subscription) Cancel() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	close(s.ch)
	if st := h.streams[s.community]; st != nil {
		st.remove(s)
	}
}

// Publish numbers each event in its community's stream, keeps it for
// resumption (but for Typing) and sends it to the community's subscribers
// and to those of its ticket. Events without a community or a type are
// ignored. An event of type Reset resets its community's stream: every
// subscriber of the community receives Reset, and no earlier id can be
// resumed from; a Relay publishes one when events of another process were
// lost on the way. Publish does nothing once the hub has closed.
func (h *Hub) Publish(events ...Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	for _, e := range events {
		if e.CommunityID <= 0 || e.Type == "" {
			continue
		}
		st := h.stream(e.CommunityID)
		if e.Type == Reset {
			h.reset(st)
			continue
		}
		st.seq++
		e.ID = st.seq
		if e.Type != Typing {
			h.keep(st, e)
		}
		for s := range st.subs {
			s.send(e)
		}
		for s := range st.tickets[e.TicketID] {
			s.send(e)
		}
	}
}

// ResetAll sends Reset to every subscriber, and forgets the kept events,
// so that no earlier id can be resumed from. A process calls it when
// events of other processes may have been missed (the connection that
// brings them was lost).
func (h *Hub) ResetAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, st := range h.streams {
		h.reset(st)
	}
}

// EventID formats e's id as the string subscribers resume from:
// "<epoch>-<id>", where the epoch is this hub's own, so that an id from
// another process, or from this one before a restart, is never taken for
// one of this hub's.
func (h *Hub) EventID(e Event) string { return h.id(e.ID) }

func (h *Hub) id(seq int64) string { return h.epoch + "-" + strconv.FormatInt(seq, 10) }

// parseID returns the number of one of this hub's ids.
func (h *Hub) parseID(s string) (int64, bool) {
	epoch, n, ok := strings.Cut(s, "-")
	if !ok || epoch != h.epoch {
		return 0, false
	}
	seq, err := strconv.ParseInt(n, 10, 64)
	if err != nil || seq < 0 || n != strconv.FormatInt(seq, 10) {
		return 0, false
	}
	return seq, true
}

// Close ends every subscription, closing its Events; later subscriptions
// get a closed channel and publishing does nothing. Servers close their
// hub as they shut down, so that open streams end.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for _, st := range h.streams {
		st.all(func(s *Subscription) {
			s.closed = true
			close(s.ch)
		})
		st.subs, st.tickets = nil, nil
	}
}

// Subscribers counts the current subscriptions.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, st := range h.streams {
		n += st.count()
	}
	return n
}

// stream returns the community's stream, making it if need be. Streams
// are kept for the life of the hub: their numbering must go on.
func (h *Hub) stream(community int64) *stream {
	st := h.streams[community]
	if st == nil {
		st = &stream{subs: map[*Subscription]struct{}{}, tickets: map[int64]map[*Subscription]struct{}{}}
		h.streams[community] = st
	}
	return st
}

// keep adds e to the kept events of st, dropping the oldest of st, and
// then of any stream, beyond the limits.
func (h *Hub) keep(st *stream, e Event) {
	st.kept = append(st.kept, e)
	size := eventSize(e)
	st.bytes += size
	h.bytes += size
	h.order = append(h.order, keptEvent{e.CommunityID, e.ID})
	for len(st.kept) > replayEvents || st.bytes > replayBytes {
		h.dropOldest(st)
	}
	for len(h.order) > hubEvents || h.bytes > hubBytes {
		k := h.order[0]
		h.order = h.order[1:]
		if old := h.streams[k.community]; old != nil && len(old.kept) > 0 && old.kept[0].ID == k.id {
			h.dropOldest(old)
		}
	}
}

// dropOldest drops the oldest kept event of st.
func (h *Hub) dropOldest(st *stream) {
	old := st.kept[0]
	st.kept[0] = Event{}
	st.kept = st.kept[1:]
	size := eventSize(old)
	st.bytes -= size
	h.bytes -= size
	st.floor = old.ID
}

// reset forgets the kept events of st and sends its subscribers Reset.
func (h *Hub) reset(st *stream) {
	h.bytes -= st.bytes
	st.kept, st.bytes, st.floor = nil, 0, st.seq
	st.all(func(s *Subscription) {
		s.drain()
		s.ch <- s.reset(st.seq)
	})
}

func eventSize(e Event) int { return eventOverhead + len(e.UserID) + len(e.Data) }

// wants reports whether e is for s.
func (s *Subscription) wants(e Event) bool {
	return s.ticket == 0 || e.TicketID == s.ticket
}

// reset is the Reset event that tells s to read the state afresh as of
// the stream's event seq.
func (s *Subscription) reset(seq int64) Event {
	return Event{ID: seq, Type: Reset, CommunityID: s.community, TicketID: s.ticket}
}

// send queues e without blocking. When the buffer is full, what it holds
// is replaced by a Reset as of e: the subscriber learns that it fell
// behind instead of missing events silently, and receives the events
// after e as usual. The hub's lock is held, so no other sender fills the
// buffer again between the draining and the sending.
func (s *Subscription) send(e Event) {
	select {
	case s.ch <- e:
		return
	default:
	}
	s.drain()
	s.ch <- s.reset(e.ID)
}

// drain empties s's buffer.
func (s *Subscription) drain() {
	for {
		select {
		case <-s.ch:
		default:
			return
		}
	}
}

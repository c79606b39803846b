// Package live tells open inbox pages which tickets changed, so that they
// can show the change without a reload.
//
// A Hub fans changes out to the subscribers of each community. A
// PublishingStore feeds it: it notes, inside each transaction, the tickets
// the transaction created or logged a change of, and publishes them once
// the transaction has committed. Processes that share a database also pass
// their changes to each other (see Relay and Hub.PublishPayload), so that a
// change made through one node reaches the pages open on every node.
package live

import (
	"strconv"
	"strings"
	"sync"
)

// All is the ticket id a subscriber receives when anything may have
// changed: its buffer overflowed, or changes may have been missed while
// the connection to other processes was down.
const All int64 = 0

// bufferSize is how many changes a subscriber may fall behind before they
// are merged into one All.
const bufferSize = 16

// Change names one changed ticket.
type Change struct {
	CommunityID, TicketID int64
}

// String formats c as "<communityID>:<ticketID>", the payload that
// announces it to other processes.
func (c Change) String() string {
	return strconv.FormatInt(c.CommunityID, 10) + ":" + strconv.FormatInt(c.TicketID, 10)
}

// ParseChange parses a payload made by Change.String.
func ParseChange(s string) (Change, bool) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return Change{}, false
	}
	cm, err1 := strconv.ParseInt(a, 10, 64)
	t, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || cm <= 0 || t < 0 {
		return Change{}, false
	}
	return Change{CommunityID: cm, TicketID: t}, true
}

// Hub fans ticket changes out to the subscribers of their community. Its
// methods are safe for concurrent use, and publishing never blocks: a
// subscriber whose buffer is full has it replaced by a single All. The
// zero value is ready to use.
type Hub struct {
	mu     sync.Mutex
	subs   map[int64]map[*subscriber]struct{} // by community
	closed bool
}

type subscriber struct {
	ch     chan int64
	closed bool
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{} }

// Subscribe returns a channel that receives the id of every ticket of the
// community that changes from now on, and a function that ends the
// subscription and closes the channel. The channel is also closed when the
// hub closes.
func (h *Hub) Subscribe(communityID int64) (<-chan int64, func()) {
	s := &subscriber{ch: make(chan int64, bufferSize)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.ch)
		return s.ch, func() {}
	}
	if h.subs == nil {
		h.subs = map[int64]map[*subscriber]struct{}{}
	}
	set := h.subs[communityID]
	if set == nil {
		set = map[*subscriber]struct{}{}
		h.subs[communityID] = set
	}
	set[s] = struct{}{}
	return s.ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if s.closed {
			return
		}
		s.closed = true
		close(s.ch)
		delete(set, s)
		if len(set) == 0 {
			delete(h.subs, communityID)
		}
	}
}

// Publish tells the community's subscribers that a ticket changed.
func (h *Hub) Publish(communityID, ticketID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[communityID] {
		s.send(ticketID)
	}
}

// PublishChanges publishes each change.
func (h *Hub) PublishChanges(cs []Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range cs {
		for s := range h.subs[c.CommunityID] {
			s.send(c.TicketID)
		}
	}
}

// PublishAll tells every subscriber of every community that anything may
// have changed.
func (h *Hub) PublishAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.subs {
		for s := range set {
			s.send(All)
		}
	}
}

// PublishPayload publishes a change announced by another process (a
// payload made by Change.String). An empty payload means that
// announcements may have been missed, and publishes All to everyone;
// anything else that is not a change is ignored.
func (h *Hub) PublishPayload(payload string) {
	if payload == "" {
		h.PublishAll()
		return
	}
	if c, ok := ParseChange(payload); ok {
		h.Publish(c.CommunityID, c.TicketID)
	}
}

// Close ends every subscription, closing the subscribers' channels; later
// subscriptions get a closed channel and publishing does nothing. Servers
// close their hub as they shut down, so that open streams end.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for _, set := range h.subs {
		for s := range set {
			s.closed = true
			close(s.ch)
		}
	}
	h.subs = nil
}

// Subscribers counts the current subscriptions.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, set := range h.subs {
		n += len(set)
	}
	return n
}

// send queues id without blocking. When the buffer is full, what it holds
// is replaced by one All: the subscriber learns that it fell behind
// instead of missing changes silently. The hub's lock is held, so no other
// sender fills the buffer again between the draining and the sending.
func (s *subscriber) send(id int64) {
	select {
	case s.ch <- id:
		return
	default:
	}
drain:
	for {
		select {
		case <-s.ch:
		default:
			break drain
		}
	}
	select {
	case s.ch <- All:
	default:
	}
}

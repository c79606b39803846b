package live

import "encoding/json"

// Type names what a live event reports.
type Type string

// The live event types. Services publish them after the transaction that
// made the change has committed.
const (
	// TicketCreated: a new ticket (a chat conversation too).
	TicketCreated Type = "ticket.created"
	// MessageAdded: a reply, a note or a chat message was added to a ticket.
	MessageAdded Type = "message.added"
	// MessageChanged: a reply or note was edited or deleted.
	MessageChanged Type = "message.changed"
	// StatusChanged: the ticket's status changed.
	StatusChanged Type = "status.changed"
	// AssigneeChanged: the ticket was assigned, reassigned or unassigned.
	AssigneeChanged Type = "assignee.changed"
	// QueueChanged: the ticket's place in a waiting line changed.
	QueueChanged Type = "queue.changed"
	// TicketChanged: any other change of the ticket (category, tags, custom
	// fields, read state).
	TicketChanged Type = "ticket.changed"
	// PresenceChanged: a teammate went online or away, or changed their
	// chat capacity; it concerns no ticket (TicketID 0).
	PresenceChanged Type = "presence.changed"
	// Typing: someone is typing in the ticket's conversation; never stored.
	Typing Type = "typing"
	// Reset: events may have been missed (a subscriber fell behind, or the
	// connection to the other nodes was down); the subscriber should read
	// the state afresh. Only the hub sends it.
	Reset Type = "reset"
)

// Event is one change of one ticket, as live subscribers receive it.
type Event struct {
	// ID increases with every event of the stream that delivers it; a
	// subscriber that reconnects passes the last id it saw to resume.
	// Publishers leave it zero; the hub sets it.
	ID int64 `json:"id,omitempty"`
	// Type says what happened.
	Type Type `json:"type"`
	// CommunityID and TicketID say where; TicketID is 0 only in Reset and
	// PresenceChanged.
	CommunityID int64 `json:"communityId"`
	TicketID    int64 `json:"ticketId,omitempty"`
	// UserID is who made the change, when known.
	UserID string `json:"userId,omitempty"`
	// Data is the event's detail as a JSON object, or nil.
	Data json.RawMessage `json:"data,omitempty"`
}

// Publisher takes events that have committed. Publish never blocks on a
// slow subscriber.
type Publisher interface {
	Publish(events ...Event)
}

// Discard is a Publisher that drops every event, for tests and tools that
// have no live subscribers.
var Discard Publisher = discard{}

type discard struct{}

func (discard) Publish(...Event) {}

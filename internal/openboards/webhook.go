package openboards

import (
	"slices"
	"time"
)

// Webhook event types (the documented EventType values).
const (
	EventTicketCreation       = "ticket_creation"
	EventTicketStatusChange   = "ticket_status_change"
	EventTicketTagsChange     = "ticket_tags_change"
	EventTicketCategoryChange = "ticket_category_change"
	EventReplyCreation        = "reply_creation"
	EventReplyUpdate          = "reply_update"
	EventReplyDeletion        = "reply_deletion"
	EventNoteCreation         = "note_creation"
	EventNoteUpdate           = "note_update"
	EventNoteDeletion         = "note_deletion"
)

// EventTypes lists every webhook event type, grouped by object type.
var EventTypes = []string{
	EventTicketCreation, EventTicketStatusChange, EventTicketTagsChange, EventTicketCategoryChange,
	EventReplyCreation, EventReplyUpdate, EventReplyDeletion,
	EventNoteCreation, EventNoteUpdate, EventNoteDeletion,
}

// IsEventType reports whether s is one of EventTypes (exact spelling).
func IsEventType(s string) bool { return slices.Contains(EventTypes, s) }

// Change describes one change to a ticket that raises a webhook event. It is
// recorded inside the transaction that makes the change.
type Change struct {
	Type     string // one of EventTypes
	TicketID int64
	// The values before the change, for the events that report them.
	PreviousStatus     TicketStatus // ticket_status_change
	PreviousCategoryID *int64       // ticket_category_change; nil: none
	PreviousTags       []string     // ticket_tags_change
	// The reply or note concerned: as it is after a creation or update, as
	// it was before a deletion.
	Reply *Reply
	Note  *Note
}

// WebhookStatus says whether a webhook endpoint receives events.
type WebhookStatus string

// The webhook statuses. A paused endpoint keeps its queue and resumes where
// it stopped; a disabled one (by its own 410 answer, or after failing
// everything for days) is sent nothing until it is enabled again.
const (
	WebhookActive   WebhookStatus = "active"
	WebhookPaused   WebhookStatus = "paused"
	WebhookDisabled WebhookStatus = "disabled"
)

// Webhook is an HTTPS endpoint of a community that receives the events it
// subscribed to.
type Webhook struct {
	ID          int64
	CommunityID int64
	URL         string
	VerifyToken string
	Events      []string // subscribed event types, in EventTypes order
	Status      WebhookStatus
	// DisabledReason says why the endpoint was disabled; empty otherwise.
	DisabledReason string
	DisabledAt     *time.Time
	// Secret signs deliveries. After a rotation PreviousSecret signs
	// alongside it until PreviousSecretUntil.
	Secret              string
	PreviousSecret      string
	PreviousSecretUntil *time.Time
	// FailingSince is when the current run of failed attempts began; nil
	// after a success.
	FailingSince *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Subscribes reports whether w receives events of type typ.
func (w *Webhook) Subscribes(typ string) bool { return slices.Contains(w.Events, typ) }

// Event is a recorded change, kept (with its rendered JSON body) so that it
// can be delivered, redelivered and replayed.
type Event struct {
	ID          int64
	CommunityID int64
	TicketID    int64
	Type        string
	Payload     []byte
	CreatedAt   time.Time
}

// DeliveryState is where one event's delivery to one endpoint stands.
type DeliveryState string

// The delivery states.
const (
	DeliveryPending   DeliveryState = "pending"
	DeliverySucceeded DeliveryState = "succeeded"
	DeliveryFailed    DeliveryState = "failed" // gave up
)

// ParseDeliveryState returns the state named s, or an invalid-input error
// naming field.
func ParseDeliveryState(field, s string) (DeliveryState, error) {
	for _, v := range []DeliveryState{DeliveryPending, DeliverySucceeded, DeliveryFailed} {
		if string(v) == s {
			return v, nil
		}
	}
	return "", Errorf(CodeInvalid, "%s: unknown delivery status %q (want one of pending, succeeded, failed)", field, s)
}

// Delivery is one event on its way to one endpoint. For an endpoint, the
// deliveries of one ticket are made in id order: a delivery waits while an
// earlier one of the same ticket is pending.
type Delivery struct {
	ID            int64
	WebhookID     int64
	EventID       int64
	TicketID      int64
	EventType     string
	State         DeliveryState
	AttemptCount  int
	NextAttemptAt time.Time
	CreatedAt     time.Time
	DoneAt        *time.Time
	Attempts      []DeliveryAttempt // filled on reads that ask for them
}

// DeliveryAttempt is one HTTP request of a delivery and its outcome.
type DeliveryAttempt struct {
	ID         int64
	DeliveryID int64
	WebhookID  int64
	At         time.Time
	Duration   time.Duration
	StatusCode int    // 0 when no response came
	Error      string // empty on success
	Response   string // the first 4 KiB of the response body
}

// DeliveryFilter selects deliveries of one endpoint, newest first.
type DeliveryFilter struct {
	CommunityID int64
	WebhookID   int64
	State       *DeliveryState
	EventType   string
	Skip, Take  int
}

// Job is a claimed delivery, with what is needed to send it.
type Job struct {
	Delivery
	Payload        []byte
	EventCreatedAt time.Time
}

// Claim asks for up to Limit deliveries of one webhook.
type Claim struct {
	WebhookID int64
	Limit     int
}

// DeliveryResult is the outcome of one attempt, to be stored.
type DeliveryResult struct {
	Attempt DeliveryAttempt
	// State is DeliverySucceeded, DeliveryFailed (give up) or
	// DeliveryPending (try again at NextAttemptAt).
	State         DeliveryState
	NextAttemptAt time.Time
}

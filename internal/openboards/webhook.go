package openboards

import (
	"context"
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

	// The External Chat API's events (object type Conversation).
	EventConversationCreated       = "conversation_created"
	EventConversationMessageAdded  = "conversation_message_added"
	EventConversationTakeover      = "conversation_takeover_state_changed"
	EventConversationClosed        = "conversation_closed"
	EventConversationStatusChanged = "conversation_status_changed"
)

// EventTypes lists every webhook event type, grouped by object type.
var EventTypes = []string{
	EventTicketCreation, EventTicketStatusChange, EventTicketTagsChange, EventTicketCategoryChange,
	EventReplyCreation, EventReplyUpdate, EventReplyDeletion,
	EventNoteCreation, EventNoteUpdate, EventNoteDeletion,
	EventConversationCreated, EventConversationMessageAdded, EventConversationTakeover,
	EventConversationClosed, EventConversationStatusChanged,
}

// IsConversationEvent reports whether typ is an event of the Conversation
// object type, whose payload carries the conversation.
func IsConversationEvent(typ string) bool {
	switch typ {
	case EventConversationCreated, EventConversationMessageAdded, EventConversationTakeover,
		EventConversationClosed, EventConversationStatusChanged:
		return true
	}
	return false
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
	// The chat state of a conversation event's ticket, its place in the
	// queue and the event's time, which the outbox reads in the
	// transaction that records the event.
	Conversation *Conversation
	Queue        QueueInfo
	At           time.Time
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
	// Webhook is the endpoint as the claim read it: its URL, secrets and
	// events as of the claim, not as of an earlier read.
	Webhook *Webhook
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

// WebhookReader reads webhook endpoints.
type WebhookReader interface {
	FindWebhookByID(ctx context.Context, communityID, id int64) (*Webhook, error)
	// FindWebhooks lists a community's webhooks by id.
	FindWebhooks(ctx context.Context, communityID int64) ([]*Webhook, error)
	// FindActiveWebhooks lists the webhooks of every community that are
	// sent events now.
	FindActiveWebhooks(ctx context.Context) ([]*Webhook, error)
}

// WebhookStore writes webhook endpoints.
type WebhookStore interface {
	WebhookReader
	CreateWebhook(ctx context.Context, w *Webhook) error
	// UpdateWebhook stores every field of w but its id, community and
	// creation time.
	UpdateWebhook(ctx context.Context, w *Webhook) error
	// DeleteWebhook removes a webhook with its deliveries.
	DeleteWebhook(ctx context.Context, communityID, id int64) error
	// SetWebhookFailing records the start of a run of failures at at,
	// unless one is already running.
	SetWebhookFailing(ctx context.Context, id int64, at time.Time) error
	// ClearWebhooksFailing ends the runs of failures of webhooks.
	ClearWebhooksFailing(ctx context.Context, ids []int64) error
}

// EventReader reads the webhook outbox's events.
type EventReader interface {
	FindEventByID(ctx context.Context, communityID, id int64) (*Event, error)
	// FindEventIDs lists the ids of a community's events of the given types
	// (all types when empty) created in [from, to), oldest first; with
	// missingFor set, only those never queued for that webhook.
	FindEventIDs(ctx context.Context, communityID int64, from, to time.Time, types []string, missingFor int64, limit int) ([]int64, error)
}

// EventStore adds events to the outbox.
type EventStore interface {
	EventReader
	// CreateEvent adds an event to the outbox and one pending delivery for
	// each of the given webhooks, due at the event's time.
	CreateEvent(ctx context.Context, e *Event, webhookIDs []int64) error
}

// DeliveryReader reads deliveries and their attempts.
type DeliveryReader interface {
	FindDeliveryByID(ctx context.Context, communityID, webhookID, id int64) (*Delivery, error)
	// FindDeliveries lists deliveries newest first, each with its attempts.
	FindDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, error)
	// CountPendingDeliveries counts the pending deliveries of each webhook.
	CountPendingDeliveries(ctx context.Context) (map[int64]int, error)
}

// DeliveryStore queues, claims, finishes and prunes deliveries.
type DeliveryStore interface {
	DeliveryReader
	// CreateDeliveries adds pending deliveries of existing events to one
	// webhook, in event order, due at now, and returns their ids.
	CreateDeliveries(ctx context.Context, webhookID int64, eventIDs []int64, now time.Time) ([]int64, error)
	// ClaimDeliveries leases to owner until leaseUntil, for each claim, up
	// to Limit deliveries of its webhook that are due at now: for each
	// ticket only the oldest pending delivery, and only when no other owner
	// holds its lease. Only deliveries of webhooks that are active as the
	// claim reads them are claimed, each Job with its webhook's row read by
	// the same statement, so a change committed before the claim is in
	// force for everything it claims.
	ClaimDeliveries(ctx context.Context, claims []Claim, owner string, now, leaseUntil time.Time) ([]*Job, error)
	// GiveUpDeliveries ends a webhook's pending deliveries of the given
	// event types as failed at now, without another attempt, and returns
	// how many it ended.
	GiveUpDeliveries(ctx context.Context, webhookID int64, eventTypes []string, now time.Time) (int, error)
	// RetryNow makes a webhook's pending deliveries due at now.
	RetryNow(ctx context.Context, webhookID int64, now time.Time) error
	// ReleaseLeases gives up every lease (used at start by a server that
	// owns its database alone).
	ReleaseLeases(ctx context.Context) error
	// FinishDeliveries stores attempts and the state each leaves its
	// delivery in, and releases their leases.
	FinishDeliveries(ctx context.Context, rs []*DeliveryResult) error
	// PruneDeliveries deletes up to limit finished deliveries (with their
	// attempts) and events older than before, and reports how many rows went.
	PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error)
}

package openboards

import (
	"context"
	"time"
)

// Ticket action types (the Ticket Action Type enumeration). The first five
// are documented; the rest follow the same naming.
const (
	ActionTicketCreated            = "ticket_created"
	ActionTicketRead               = "ticket_read"
	ActionTicketStatusChanged      = "ticket_status_changed"
	ActionTicketAssignedToUser     = "ticket_assigned_to_user"
	ActionReplyCreated             = "reply_created"
	ActionTicketUnassigned         = "ticket_unassigned"
	ActionTicketCategoryChanged    = "ticket_category_changed"
	ActionTicketTagsChanged        = "ticket_tags_changed"
	ActionTicketCustomFieldChanged = "ticket_custom_field_changed"
	ActionReplyUpdated             = "reply_updated"
	ActionReplyDeleted             = "reply_deleted"
	ActionReplyTagsChanged         = "reply_tags_changed"
	ActionNoteCreated              = "note_created"
	ActionNoteUpdated              = "note_updated"
	ActionNoteDeleted              = "note_deleted"
)

// ActionTypes lists every ticket action type.
var ActionTypes = []string{
	ActionTicketCreated, ActionTicketRead, ActionTicketStatusChanged, ActionTicketAssignedToUser,
	ActionReplyCreated, ActionTicketUnassigned, ActionTicketCategoryChanged, ActionTicketTagsChanged,
	ActionTicketCustomFieldChanged, ActionReplyUpdated, ActionReplyDeleted, ActionReplyTagsChanged,
	ActionNoteCreated, ActionNoteUpdated, ActionNoteDeleted,
}

// IncludedItems are the objects a log entry's text refers to with
// {User:id}, {Category:id} and {Tag:id} placeholders, as they were when the
// action happened.
type IncludedItems struct {
	Categories []CategoryRef
	Tags       []Tag
	Users      []User
}

// LogEntry is one action in a ticket's history.
type LogEntry struct {
	ID           int64
	TicketID     int64
	CommunityID  int64
	UserID       string
	User         *User // filled on reads
	ActionType   string
	ActionString string
	Included     IncludedItems
	CreatedAt    time.Time
}

// LogReader reads tickets' action logs.
type LogReader interface {
	// FindLogEntries lists a ticket's log newest first, only the given
	// action types unless types is empty.
	FindLogEntries(ctx context.Context, communityID, ticketID int64, types []string, skip, take int) ([]*LogEntry, error)
}

// LogStore writes log entries.
type LogStore interface {
	LogReader
	// CreateLogEntry appends an entry to a ticket's log and sets its ID.
	CreateLogEntry(ctx context.Context, e *LogEntry) error
	// AppendLogEntry appends an entry whose ID the caller does not need,
	// so a backend may send it along with the transaction's next
	// statement or its commit. A failure fails the transaction.
	AppendLogEntry(ctx context.Context, e *LogEntry) error
}

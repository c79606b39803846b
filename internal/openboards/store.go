package openboards

import (
	"context"
	"time"
)

// Reader is the read half of the storage seam. Every lookup is scoped to a
// community; a "find by id" of another community's object reports
// CodeNotFound. Find methods never return (nil, nil).
type Reader interface {
	Setting(ctx context.Context, key string) ([]byte, error)

	FindCommunityByID(ctx context.Context, id int64) (*Community, error)
	FindCommunityByName(ctx context.Context, name string) (*Community, error)
	FindCommunityByClientID(ctx context.Context, clientID string) (*Community, error)
	FindRefreshTokenByHash(ctx context.Context, hash []byte) (*RefreshToken, error)
	FindRefreshTokenByID(ctx context.Context, id int64) (*RefreshToken, error)
	FindRefreshTokens(ctx context.Context, communityID int64) ([]*RefreshToken, error)

	FindUserByID(ctx context.Context, communityID int64, id string) (*User, error)
	FindUserByEmail(ctx context.Context, communityID int64, email string) (*User, error)
	FindUserByCustomIdentifier(ctx context.Context, communityID int64, ci string) (*User, error)
	FindUsersByIDs(ctx context.Context, communityID int64, ids []string) ([]User, error)
	// FindTeammates lists a community's teammates by name, only the members
	// of group groupID when it is not nil.
	FindTeammates(ctx context.Context, communityID int64, groupID *int64) ([]*User, error)

	FindUserGroupByID(ctx context.Context, communityID, id int64) (*UserGroup, error)
	FindUserGroups(ctx context.Context, communityID int64) ([]*UserGroup, error)
	FindUserGroupMemberIDs(ctx context.Context, communityID, groupID int64) ([]string, error)

	FindCategoryByID(ctx context.Context, communityID, id int64) (*Category, error)
	// FindCategories lists every category of a community, parents before
	// children is not promised; use BuildCategoryTree.
	FindCategories(ctx context.Context, communityID int64) ([]*Category, error)
	CountCategoryChildren(ctx context.Context, communityID, id int64) (int, error)

	FindCustomFieldByID(ctx context.Context, communityID, id int64) (*CustomField, error)
	FindCustomFields(ctx context.Context, communityID int64) ([]*CustomField, error)

	FindTags(ctx context.Context, communityID int64) ([]*Tag, error)

	FindTicketByID(ctx context.Context, communityID, id int64) (*Ticket, error)
	FindTickets(ctx context.Context, f TicketFilter) ([]*Ticket, error)
	FindTicketIDs(ctx context.Context, f TicketFilter) ([]int64, error)
	// CountTicketsByStatus counts a community's tickets in each status.
	CountTicketsByStatus(ctx context.Context, communityID int64) (map[TicketStatus]int, error)

	FindReplyByID(ctx context.Context, communityID, ticketID, id int64) (*Reply, error)
	// FindReplies lists a ticket's replies oldest first.
	FindReplies(ctx context.Context, communityID, ticketID int64, skip, take int) ([]*Reply, error)

	FindNoteByID(ctx context.Context, communityID, ticketID, id int64) (*Note, error)
	// FindNotes lists a ticket's notes oldest first.
	FindNotes(ctx context.Context, communityID, ticketID int64, skip, take int) ([]*Note, error)

	// FindLogEntries lists a ticket's log newest first, only the given
	// action types unless types is empty.
	FindLogEntries(ctx context.Context, communityID, ticketID int64, types []string, skip, take int) ([]*LogEntry, error)

	FindWidgetSchedules(ctx context.Context, communityID int64, widgetID *int64) ([]*WidgetSchedule, error)

	FindWebhookByID(ctx context.Context, communityID, id int64) (*Webhook, error)
	// FindWebhooks lists a community's webhooks by id.
	FindWebhooks(ctx context.Context, communityID int64) ([]*Webhook, error)
	// FindActiveWebhooks lists the webhooks of every community that are
	// sent events now.
	FindActiveWebhooks(ctx context.Context) ([]*Webhook, error)
	FindEventByID(ctx context.Context, communityID, id int64) (*Event, error)
	// FindEventIDs lists the ids of a community's events of the given types
	// (all types when empty) created in [from, to), oldest first; with
	// missingFor set, only those never queued for that webhook.
	FindEventIDs(ctx context.Context, communityID int64, from, to time.Time, types []string, missingFor int64, limit int) ([]int64, error)
	FindDeliveryByID(ctx context.Context, communityID, webhookID, id int64) (*Delivery, error)
	// FindDeliveries lists deliveries newest first, each with its attempts.
	FindDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, error)
	// CountPendingDeliveries counts the pending deliveries of each webhook.
	CountPendingDeliveries(ctx context.Context) (map[int64]int, error)

	// FindPasswordHash returns a user's encoded password hash, CodeNotFound
	// when the user has no password.
	FindPasswordHash(ctx context.Context, userID string) (string, error)
	FindSessionByHash(ctx context.Context, hash []byte) (*Session, error)
}

// Tx is a storage transaction: reads see its own writes, and its writes
// commit together or not at all. Create methods set the new object's id.
type Tx interface {
	Reader

	PutSetting(ctx context.Context, key string, value []byte) error

	CreateCommunity(ctx context.Context, c *Community) error
	// RenameCommunity gives a community a new name; CodeConflict when
	// another community has it.
	RenameCommunity(ctx context.Context, id int64, name string) error
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	RevokeRefreshToken(ctx context.Context, communityID, id int64, at time.Time) error

	CreateUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u *User) error

	CreateUserGroup(ctx context.Context, g *UserGroup) error
	UpdateUserGroup(ctx context.Context, g *UserGroup) error
	DeleteUserGroup(ctx context.Context, communityID, id int64) error
	AddUserGroupMembers(ctx context.Context, communityID, groupID int64, userIDs []string) error
	RemoveUserGroupMember(ctx context.Context, communityID, groupID int64, userID string) error

	// LockCategoryTree makes category-tree changes of a community take
	// turns until the transaction ends, so that two concurrent moves cannot
	// together form a cycle that each alone would not.
	LockCategoryTree(ctx context.Context, communityID int64) error
	CreateCategory(ctx context.Context, c *Category) error
	UpdateCategory(ctx context.Context, c *Category) error
	// DeleteCategory removes a category and leaves its tickets uncategorised.
	DeleteCategory(ctx context.Context, communityID, id int64) error

	CreateCustomField(ctx context.Context, f *CustomField) error
	UpdateCustomField(ctx context.Context, f *CustomField) error
	// DeleteCustomField removes a field and every ticket's value of it.
	DeleteCustomField(ctx context.Context, communityID, id int64) error

	// UpsertTags returns the community's tags with the given names (matched
	// without regard to case), creating the missing ones, in input order.
	UpsertTags(ctx context.Context, communityID int64, names []string) ([]Tag, error)

	// LockTicket locks a ticket's row until the transaction ends, so that
	// concurrent writers of one ticket take turns and each reads what the
	// one before left. Every change of an existing ticket locks it before
	// reading it. It reports CodeNotFound for a ticket that does not exist.
	LockTicket(ctx context.Context, communityID, id int64) error
	CreateTicket(ctx context.Context, t *Ticket) error
	UpdateTicket(ctx context.Context, communityID, id int64, u TicketUpdate) error
	// SetTicketFieldValue sets one custom field value; an empty value clears it.
	SetTicketFieldValue(ctx context.Context, communityID, ticketID, fieldID int64, value string) error

	CreateReply(ctx context.Context, r *Reply) error
	UpdateReply(ctx context.Context, communityID, ticketID, id int64, u ReplyUpdate) error
	DeleteReply(ctx context.Context, communityID, ticketID, id int64) error

	CreateNote(ctx context.Context, n *Note) error
	UpdateNote(ctx context.Context, n *Note) error
	DeleteNote(ctx context.Context, communityID, ticketID, id int64) error

	CreateLogEntry(ctx context.Context, e *LogEntry) error

	// PutWidgetSchedule creates the widget when WidgetID is 0 (setting it)
	// and otherwise replaces the schedule of an existing widget.
	PutWidgetSchedule(ctx context.Context, s *WidgetSchedule) error
	DeleteWidgetSchedule(ctx context.Context, communityID, widgetID int64) error

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

	// CreateEvent adds an event to the outbox and one pending delivery for
	// each of the given webhooks, due at the event's time.
	CreateEvent(ctx context.Context, e *Event, webhookIDs []int64) error
	// CreateDeliveries adds pending deliveries of existing events to one
	// webhook, in event order, due at now, and returns their ids.
	CreateDeliveries(ctx context.Context, webhookID int64, eventIDs []int64, now time.Time) ([]int64, error)
	// ClaimDeliveries leases to owner until leaseUntil, for each claim, up
	// to Limit deliveries of its webhook that are due at now: for each
	// ticket only the oldest pending delivery, and only when no other owner
	// holds its lease.
	ClaimDeliveries(ctx context.Context, claims []Claim, owner string, now, leaseUntil time.Time) ([]*Job, error)
	// RetryNow makes a webhook's pending deliveries due at now.
	RetryNow(ctx context.Context, webhookID int64, now time.Time) error
	// ReleaseLeases gives up every lease (used at start by a server that
	// owns its database alone).
	ReleaseLeases(ctx context.Context) error
	// FinishDeliveries stores attempts and the state each leaves its
	// delivery in, and releases their leases.
	FinishDeliveries(ctx context.Context, rs []*DeliveryResult) error
	// PutPassword sets a user's encoded password hash.
	PutPassword(ctx context.Context, userID, hash string, at time.Time) error
	CreateSession(ctx context.Context, s *Session) error
	// TouchSession moves a session's last use and expiry forward.
	TouchSession(ctx context.Context, hash []byte, seen, expires time.Time) error
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteUserSessions signs a user out everywhere but the session keep
	// (nil: everywhere).
	DeleteUserSessions(ctx context.Context, userID string, keep []byte) error

	// PruneDeliveries deletes up to limit finished deliveries (with their
	// attempts) and events older than before, and reports how many rows went.
	PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error)
}

// Store is the storage seam: plain reads, plus transactions for every write.
type Store interface {
	Reader
	// InTx runs fn in one transaction, committed durably when fn returns nil
	// and rolled back when it returns an error, which InTx returns. fn must
	// not call InTx.
	InTx(ctx context.Context, fn func(Tx) error) error
	Close() error
}

package openboards

import (
	"context"
	"strings"
	"time"
)

// TicketStatus is where a ticket stands in its life.
type TicketStatus string

// The ticket statuses.
const (
	TicketOpen      TicketStatus = "open"
	TicketPending   TicketStatus = "pending"
	TicketCompleted TicketStatus = "completed"
	TicketArchived  TicketStatus = "archived"
)

// TicketStatuses lists every TicketStatus in a stable order.
var TicketStatuses = []TicketStatus{TicketOpen, TicketPending, TicketCompleted, TicketArchived}

// ParseTicketStatus returns the status named s (any letter case), or an
// invalid-input error naming field.
func ParseTicketStatus(field, s string) (TicketStatus, error) {
	for _, v := range TicketStatuses {
		if strings.EqualFold(string(v), s) {
			return v, nil
		}
	}
	return "", Errorf(CodeInvalid, "%s: unknown status %q (want one of open, pending, completed, archived)", field, s)
}

// Label is the status as the inbox shows it, e.g. "Open".
func (s TicketStatus) Label() string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// Sentiments are the accepted values of a ticket's sentiment.
var Sentiments = []string{"question", "praise", "suggestion", "complaint"}

// ParseSentiment returns the canonical sentiment named s, or an invalid-input
// error naming field.
func ParseSentiment(field, s string) (string, error) {
	for _, v := range Sentiments {
		if strings.EqualFold(v, s) {
			return v, nil
		}
	}
	return "", Errorf(CodeInvalid, "%s: unknown sentiment %q (want one of question, praise, suggestion, complaint)", field, s)
}

// Ticket sources set by this server.
const (
	SourceAPI         = "api"
	DetailedSourceAPI = "api_ticket"
)

// Attachment is a file linked to a ticket, reply or note.
type Attachment struct {
	URL           string `json:"url"`
	Name          string `json:"name"`
	IsContentPart bool   `json:"isContentPart"`
}

// FieldValue is a custom field's value on a ticket.
type FieldValue struct {
	FieldID int64
	Value   string
}

// CategoryRef is the reduced category form embedded in a ticket.
type CategoryRef struct {
	ID   int64
	Name string
}

// Ticket is a customer's request and the thread around it.
type Ticket struct {
	ID             int64
	CommunityID    int64
	Title          string
	Message        string // plain text
	HTMLMessage    string // sanitised HTML
	AuthorID       string
	Author         *User // filled on reads
	CategoryID     *int64
	Category       *CategoryRef // filled on reads
	AssigneeID     *string
	Assignee       *User // filled on reads
	Status         TicketStatus
	Sentiment      *string
	Source         string
	DetailedSource string
	// Channel names the channel of the surface the ticket came through (a
	// chat channel, say); empty when the surface has only one, as the
	// Ticket API.
	Channel        string
	SourceName     *string
	OriginalLink   *string
	CC             []string
	Tags           []string
	Attachments    []Attachment
	CustomFields   []FieldValue // filled on reads, ordered by field id
	ReplyCount     int
	HasDraft       bool // filled on reads
	IsMuted        bool
	IsSpam         bool
	IsHidden       bool
	IsDeleted      bool
	IsAnonymized   bool
	IsSensitive    bool
	CreatedAt      time.Time
	LastActivityAt time.Time
	UpdatedAt      time.Time
}

// TicketUpdate holds the changes to a ticket; nil fields stay as they are.
type TicketUpdate struct {
	Status         *TicketStatus
	CategoryID     **int64  // set to a nil *int64 to clear
	AssigneeID     **string // set to a nil *string to unassign
	Tags           *[]string
	ReplyCountDiff int
	LastActivityAt *time.Time
	UpdatedAt      time.Time // required
}

// Ticket list orders (TicketListOrderBy).
const (
	OrderLastActivityDesc = "last_thread_activity_desc"
	OrderLastActivityAsc  = "last_thread_activity_asc"
	OrderCreationDesc     = "creation_time_desc"
	OrderCreationAsc      = "creation_time_asc"
)

// TicketOrders lists the accepted orderBy values.
var TicketOrders = []string{OrderLastActivityDesc, OrderLastActivityAsc, OrderCreationDesc, OrderCreationAsc}

// TicketFilter selects tickets of one community. Nil fields do not filter.
type TicketFilter struct {
	CommunityID int64
	// CategorySet makes CategoryID a filter; with CategoryID nil it selects
	// uncategorised tickets.
	CategorySet  bool
	CategoryID   *int64
	CustomFields []FieldValue // all must match
	From, To     *time.Time   // creation time bounds, inclusive
	Status       *TicketStatus
	Source       *string
	TicketIDs    []int64 // nil: no filter; empty: matches nothing
	// AssigneeSet makes AssigneeID a filter; with AssigneeID nil it
	// selects unassigned tickets.
	AssigneeSet bool
	AssigneeID  *string
	Tag         string // a tag the ticket carries (any letter case); "" does not filter
	Text        string // words the title or message contains (any letter case); "" does not filter
	OrderBy     string // one of TicketOrders; empty means OrderLastActivityDesc
	Skip, Take  int
}

// Paging limits of the documented API.
const (
	DefaultTake = 25
	MaxTake     = 50
)

// ClampPage applies the documented paging rules: take defaults to 25 and is
// capped at 50; negative values count as zero.
func ClampPage(skip, take int) (int, int) {
	if skip < 0 {
		skip = 0
	}
	if take <= 0 {
		take = DefaultTake
	}
	if take > MaxTake {
		take = MaxTake
	}
	return skip, take
}

// TicketReader reads tickets.
type TicketReader interface {
	FindTicketByID(ctx context.Context, communityID, id int64) (*Ticket, error)
	FindTickets(ctx context.Context, f TicketFilter) ([]*Ticket, error)
	FindTicketIDs(ctx context.Context, f TicketFilter) ([]int64, error)
	// CountTicketsByStatus counts a community's tickets in each status.
	CountTicketsByStatus(ctx context.Context, communityID int64) (map[TicketStatus]int, error)
}

// TicketStore writes tickets.
type TicketStore interface {
	TicketReader
	// LockTicket locks a ticket's row until the transaction ends, so that
	// concurrent writers of one ticket take turns and each reads what the
	// one before left. Every change of an existing ticket locks it before
	// reading it. It reports CodeNotFound for a ticket that does not exist.
	LockTicket(ctx context.Context, communityID, id int64) error
	CreateTicket(ctx context.Context, t *Ticket) error
	UpdateTicket(ctx context.Context, communityID, id int64, u TicketUpdate) error
	// SetTicketFieldValue sets one custom field value; an empty value clears it.
	SetTicketFieldValue(ctx context.Context, communityID, ticketID, fieldID int64, value string) error
}

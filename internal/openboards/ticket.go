package openboards

import (
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

// Reply is a message in a ticket's thread, from a teammate or the customer.
type Reply struct {
	ID            int64
	TicketID      int64
	CommunityID   int64
	AuthorID      string
	Author        *User // filled on reads
	ParentReplyID *int64
	Level         int
	Message       string
	HTMLMessage   string
	IsByTeam      bool
	IsDraft       bool
	IsHidden      bool
	Tags          []string
	Attachments   []Attachment
	CCEmails      []string
	ToEmails      []string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ReplyUpdate holds the changes to a reply; nil fields stay as they are.
type ReplyUpdate struct {
	Message     *string
	HTMLMessage *string
	IsDraft     *bool
	Attachments *[]Attachment
	Tags        *[]string
	UpdatedAt   time.Time
}

// Note is an internal remark on a ticket, visible to teammates only.
type Note struct {
	ID               int64
	TicketID         int64
	CommunityID      int64
	AuthorID         string
	Author           *User // filled on reads
	Message          string
	HTMLMessage      *string
	Attachments      []Attachment
	MentionedUserIDs []string
	MentionedUsers   []User // filled on reads
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Tag is a label known to a community.
type Tag struct {
	ID          int64
	CommunityID int64
	Name        string
}

// Category groups tickets; categories form a tree.
type Category struct {
	ID          int64
	CommunityID int64
	ParentID    *int64
	Name        string
	AutoArchive bool
	CanBeChosen bool
	IsHidden    bool
	IsMuted     bool
	Children    []*Category // filled by BuildCategoryTree
}

// BuildCategoryTree links flat categories into trees and returns the roots,
// keeping the input order among siblings. Categories whose parent is not in
// the list become roots.
func BuildCategoryTree(all []*Category) []*Category {
	byID := make(map[int64]*Category, len(all))
	for _, c := range all {
		c.Children = []*Category{}
		byID[c.ID] = c
	}
	var roots []*Category
	for _, c := range all {
		if c.ParentID != nil {
			if p, ok := byID[*c.ParentID]; ok {
				p.Children = append(p.Children, c)
				continue
			}
		}
		roots = append(roots, c)
	}
	return roots
}

// WidgetSchedule says when a support widget is staffed.
type WidgetSchedule struct {
	WidgetID    int64
	CommunityID int64
	TimePeriod  int
	Times       []ScheduleTime
	CustomTimes *CustomTimes
}

// Widget time periods.
const (
	PeriodEveryDay = 1
	PeriodWeekdays = 2
	PeriodCustom   = 3
)

// ScheduleTime is one staffed range of a day, "hh:mm:ss" to "hh:mm:ss".
type ScheduleTime struct {
	StartAt string `json:"startAt"`
	EndAt   string `json:"endAt"`
}

// CustomTimes holds a per-weekday schedule.
type CustomTimes struct {
	Monday    []ScheduleTime `json:"monday"`
	Tuesday   []ScheduleTime `json:"tuesday"`
	Wednesday []ScheduleTime `json:"wednesday"`
	Thursday  []ScheduleTime `json:"thursday"`
	Friday    []ScheduleTime `json:"friday"`
	Saturday  []ScheduleTime `json:"saturday"`
	Sunday    []ScheduleTime `json:"sunday"`
}

// Days returns the weekday ranges by lower-case English day name.
func (c *CustomTimes) Days() []struct {
	Name  string
	Times []ScheduleTime
} {
	return []struct {
		Name  string
		Times []ScheduleTime
	}{
		{"monday", c.Monday}, {"tuesday", c.Tuesday}, {"wednesday", c.Wednesday},
		{"thursday", c.Thursday}, {"friday", c.Friday}, {"saturday", c.Saturday}, {"sunday", c.Sunday},
	}
}

package openboards

import (
	"context"
	"math"
	"time"
)

// Ticket sources of conversations. A conversation is a ticket with source
// SourceChat; its detailed source says which channel opened it.
const (
	SourceChat            = "chat"
	DetailedSourceChatAPI = "api"         // the External Chat API
	DetailedSourceWebsite = "web_website" // the support widget
)

// IsConversation reports whether t is a conversation.
func (t *Ticket) IsConversation() bool { return t.Source == SourceChat }

// Conversation is the chat state of a ticket that is a conversation: the
// External Chat API's view of it. Its messages are the ticket's sent
// replies, its author the ticket's, and it is closed when the ticket is
// completed.
type Conversation struct {
	TicketID       int64
	CommunityID    int64
	InitialPageURL *string
	LatestPageURL  *string
	// IsAssignedToBot says a bot answers the client; false once a person
	// has taken over (or when no bot was ever enabled).
	IsAssignedToBot bool
	Feedback        *Feedback // nil until the client gives it
	// QueueSeq is the conversation's place in its community's queue, taken
	// when it first waits there and kept after, so a conversation that
	// goes back to the queue (unassigned, reopened) keeps its turn; 0
	// until then. Queued says it waits now.
	QueueSeq int64
	Queued   bool
	QueuedAt *time.Time // when it last began to wait
	// HandledAt is when a teammate first took it; ClosedAt when it was
	// last closed (nil while open).
	HandledAt *time.Time
	ClosedAt  *time.Time
	UpdatedAt time.Time
}

// ModifiedAt is when conversation c of ticket t last changed: its ticket or
// its chat state, whichever is later.
func (c *Conversation) ModifiedAt(t *Ticket) time.Time {
	if c.UpdatedAt.After(t.UpdatedAt) {
		return c.UpdatedAt
	}
	return t.UpdatedAt
}

// Feedback is a client's verdict on a conversation.
type Feedback struct {
	IsPositive bool
	Text       string
}

// WaitsInQueue reports whether a conversation in the state given waits in
// its community's queue: open (or pending), held by no bot and assigned to
// nobody.
func WaitsInQueue(t *Ticket, c *Conversation) bool {
	return (t.Status == TicketOpen || t.Status == TicketPending) && !c.IsAssignedToBot && t.AssigneeID == nil
}

// QueueInfo is a conversation's place in the queue: Position is 1-based,
// NotQueued once someone (a teammate or a bot) handles it; WaitTime is the
// estimated wait in minutes, nil when there is no basis for one.
type QueueInfo struct {
	Position int
	WaitTime *int
}

// NotQueued is the queue position of a conversation that does not wait.
const NotQueued = -1

// QueueStats is what a wait estimate is made from: the recent handling
// times of the community's conversations and the chat capacity of the
// teammates online now.
type QueueStats struct {
	// Handled is how many recent conversations AverageHandling is the
	// mean handling time (taken to closed) of; 0 when none.
	Handled         int
	AverageHandling time.Duration
	// Slots is the total chat capacity of the teammates online; Free the
	// part of it not taken by open conversations assigned to them.
	Slots int
	Free  int
}

// EstimateWait returns the minutes a conversation at queue position
// position (1-based) is likely to wait: none while a free slot is there for
// it, else its place beyond the free slots times the average handling time,
// spread over every slot online. nil when nobody is online or no
// conversation was handled recently.
func EstimateWait(position int, s QueueStats) *int {
	if position < 1 || s.Slots <= 0 || s.Handled == 0 {
		return nil
	}
	ahead := position - max(s.Free, 0)
	if ahead <= 0 {
		zero := 0
		return &zero
	}
	m := int(math.Ceil(float64(ahead) * s.AverageHandling.Minutes() / float64(s.Slots)))
	return &m
}

// Wait estimates look at the conversations closed in the last
// QueueStatsWindow; a teammate not seen for PresenceTimeout counts as away.
const (
	QueueStatsWindow = 24 * time.Hour
	PresenceTimeout  = 5 * time.Minute
)

// FindQueueInfo returns conversation cv's place in its queue at now, with
// the wait estimate.
func FindQueueInfo(ctx context.Context, r ConversationReader, cv *Conversation, now time.Time) (QueueInfo, error) {
	if !cv.Queued {
		return QueueInfo{Position: NotQueued}, nil
	}
	before, err := r.CountQueuedBefore(ctx, cv.CommunityID, cv.QueueSeq)
	if err != nil {
		return QueueInfo{}, err
	}
	stats, err := r.FindQueueStats(ctx, cv.CommunityID, now.Add(-QueueStatsWindow), now.Add(-PresenceTimeout))
	if err != nil {
		return QueueInfo{}, err
	}
	info := QueueInfo{Position: before + 1}
	info.WaitTime = EstimateWait(info.Position, stats)
	return info, nil
}

// Same reports whether q and o say the same.
func (q QueueInfo) Same(o QueueInfo) bool {
	return q.Position == o.Position && (q.WaitTime == nil) == (o.WaitTime == nil) && (q.WaitTime == nil || *q.WaitTime == *o.WaitTime)
}

// QueueTreeBits bounds the places of a community's queue: 2^32 - 1
// conversations may wait there over its lifetime.
const QueueTreeBits = 32

// MaxQueueSeq is the last place a queue gives out.
const MaxQueueSeq = 1<<QueueTreeBits - 1

// QueueTreeUpdateNodes returns the nodes of the Fenwick tree over queue
// places whose count changes when the conversation at place seq starts or
// stops waiting.
func QueueTreeUpdateNodes(seq int64) []int64 {
	var out []int64
	for i := seq; i > 0 && i <= MaxQueueSeq; i += i & -i {
		out = append(out, i)
	}
	return out
}

// QueueTreePrefixNodes returns the nodes whose counts sum to the number of
// conversations waiting at places 1 to seq.
func QueueTreePrefixNodes(seq int64) []int64 {
	var out []int64
	for i := min(seq, MaxQueueSeq); i > 0; i -= i & -i {
		out = append(out, i)
	}
	return out
}

// Online reports whether p takes chats at now: online and seen within
// PresenceTimeout.
func (p *Presence) Online(now time.Time) bool {
	return p.Status == PresenceOnline && now.Sub(p.SeenAt) < PresenceTimeout
}

// ChatLoad is a teammate's presence with the conversations they hold:
// those assigned to them that are open or pending.
type ChatLoad struct {
	Presence
	Holding int
	// LastAssigned is when a conversation was last assigned to them
	// automatically; zero when never.
	LastAssigned time.Time
}

// Free is how many more conversations the teammate takes.
func (l ChatLoad) Free() int { return max(l.Capacity-l.Holding, 0) }

// PresenceStatus says whether a teammate takes live chats.
type PresenceStatus string

// The presence statuses.
const (
	PresenceOnline PresenceStatus = "online"
	PresenceAway   PresenceStatus = "away"
)

// DefaultChatCapacity is how many conversations a teammate takes at once
// unless they say otherwise; MaxChatCapacity bounds what they may say.
const (
	DefaultChatCapacity = 4
	MaxChatCapacity     = 50
)

// Presence is a teammate's availability for live chat.
type Presence struct {
	CommunityID int64
	UserID      string
	Status      PresenceStatus
	Capacity    int
	SeenAt      time.Time // the last sign of activity
}

// MessageOrder is the order conversation messages are listed in.
type MessageOrder int

const (
	// NewestFirst lists the latest messages first.
	NewestFirst MessageOrder = iota
	// OldestFirst lists the earliest messages first.
	OldestFirst
)

// MaxClientMessageIDLen bounds the ids clients give their messages.
const MaxClientMessageIDLen = 100

// ConversationReader reads conversations.
type ConversationReader interface {
	// FindConversation returns the chat state of a ticket; CodeNotFound
	// when the ticket is not a conversation of the community.
	FindConversation(ctx context.Context, communityID, ticketID int64) (*Conversation, error)
	// FindConversationMessages lists the sent replies of a ticket by
	// their creation time (then id), in order, skipping skip.
	FindConversationMessages(ctx context.Context, communityID, ticketID int64, order MessageOrder, skip, take int) ([]*Reply, error)
	// CountQueuedBefore returns how many of the community's conversations
	// wait in its queue at places before seq.
	CountQueuedBefore(ctx context.Context, communityID, seq int64) (int, error)
	// FindQueued lists the conversations waiting in the community's queue,
	// first in line first, at most limit.
	FindQueued(ctx context.Context, communityID int64, limit int) ([]*Conversation, error)
	// FindQueueStats returns the basis of wait estimates at now: the
	// handling times of the conversations closed since since (the latest
	// 100 at most) and the capacity of the teammates online, counting as
	// online those seen since seenSince.
	FindQueueStats(ctx context.Context, communityID int64, since, seenSince time.Time) (QueueStats, error)
	// FindMessageByClientID returns the id of the reply a client's
	// message id names in a ticket; CodeNotFound when none.
	FindMessageByClientID(ctx context.Context, communityID, ticketID int64, clientID string) (int64, error)
	// FindReplyMails lists the ids of a ticket's replies that wait to be
	// sent by e-mail, oldest first.
	FindReplyMails(ctx context.Context, communityID, ticketID int64) ([]int64, error)
	// FindPresence returns a teammate's presence; CodeNotFound when they
	// never set one.
	FindPresence(ctx context.Context, communityID int64, userID string) (*Presence, error)
	// FindChatLoads returns every teammate's presence (away, with
	// DefaultChatCapacity, for one who never set it) and how many open or
	// pending conversations they are assigned, by name.
	FindChatLoads(ctx context.Context, communityID int64) ([]ChatLoad, error)
	// FindChatSettings returns a community's chat settings (the defaults
	// when it never set them).
	FindChatSettings(ctx context.Context, communityID int64) (*ChatSettings, error)
	// FindAutoAssigning lists the ids of the communities that assign
	// conversations automatically.
	FindAutoAssigning(ctx context.Context) ([]int64, error)
}

// ConversationStore writes conversations.
type ConversationStore interface {
	ConversationReader
	CreateConversation(ctx context.Context, c *Conversation) error
	// UpdateConversation stores every field of c but its ticket and
	// community.
	UpdateConversation(ctx context.Context, c *Conversation) error
	// NextQueueSeq hands out the community's next queue place.
	NextQueueSeq(ctx context.Context, communityID int64) (int64, error)
	// AddQueued adds delta (1 or -1) to the count of conversations waiting
	// at place seq.
	AddQueued(ctx context.Context, communityID, seq int64, delta int) error
	// CreateMessageClientID records that a client's message id names a
	// reply of a ticket.
	CreateMessageClientID(ctx context.Context, communityID, ticketID int64, clientID string, replyID int64) error
	// CreateReplyMail marks a reply to be sent by e-mail.
	CreateReplyMail(ctx context.Context, r *Reply) error
	// SetPresence stores a teammate's presence.
	SetPresence(ctx context.Context, p *Presence) error
	// SetChatSettings stores a community's chat settings.
	SetChatSettings(ctx context.Context, s *ChatSettings) error
	// LockQueue holds the community's queue until the transaction ends,
	// so that automatic assignments of one community happen one at a time
	// (on every node). A queue that never had a place is created.
	LockQueue(ctx context.Context, communityID int64) error
	// MarkAutoAssigned records that a conversation was just assigned to a
	// teammate automatically, at at.
	MarkAutoAssigned(ctx context.Context, communityID int64, userID string, at time.Time) error
}

// ChatSettings are how a community runs live chat.
type ChatSettings struct {
	CommunityID int64
	// AutoAssign assigns waiting conversations to the teammates online
	// with room; otherwise teammates take them from the queue.
	AutoAssign bool
}

package ticket

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"openboards/internal/live"
	"openboards/internal/openboards"
)

// Writer makes the changes of one write transaction of a community's
// tickets. Its methods are the building blocks that Service and the other
// services that create or change tickets (chat, the widget, e-mail) share,
// so that a change, its log entries, its webhook events and its live events
// are written once and the same way whatever the channel.
//
// A Writer is valid only inside the function given to Service.InTx. Its
// methods take already validated input: they check what the store needs,
// not what a client sent.
type Writer struct {
	tx     openboards.Tx
	cm     *openboards.Community
	now    time.Time
	events Recorder
	queued []live.Event
}

// Tx returns the transaction the Writer writes in, for the reads and the
// writes that have no building block.
func (w *Writer) Tx() openboards.Tx { return w.tx }

// Community returns the community the transaction changes.
func (w *Writer) Community() *openboards.Community { return w.cm }

// Now returns the time of the transaction: every row it writes carries it.
func (w *Writer) Now() time.Time { return w.now }

// LockTicket locks a ticket for the rest of the transaction and reads it.
// Every change of an existing ticket starts here, so that two changes of
// one ticket take turns and the second reads what the first left.
func (w *Writer) LockTicket(ctx context.Context, id int64) (*openboards.Ticket, error) {
	if err := w.tx.LockTicket(ctx, w.cm.ID, id); err != nil {
		return nil, err
	}
	return w.tx.FindTicketByID(ctx, w.cm.ID, id)
}

// Record records the webhook event of change c in the transaction.
func (w *Writer) Record(ctx context.Context, c openboards.Change) error {
	return w.events.Record(ctx, w.tx, w.cm, c, w.now)
}

// BatchRecorder is a Recorder that records several changes of one ticket,
// made by one step, reading what they share once.
type BatchRecorder interface {
	RecordAll(ctx context.Context, tx openboards.Tx, cm *openboards.Community, cs []openboards.Change, at time.Time) error
}

// recordAll records the events of changes cs of one ticket, in order.
func (w *Writer) recordAll(ctx context.Context, cs []openboards.Change) error {
	if b, ok := w.events.(BatchRecorder); ok {
		return b.RecordAll(ctx, w.tx, w.cm, cs, w.now)
	}
	for _, c := range cs {
		if err := w.Record(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// Queue adds a live event to publish once the transaction has committed.
// A zero CommunityID is the Writer's community.
func (w *Writer) Queue(e live.Event) {
	if e.CommunityID == 0 {
		e.CommunityID = w.cm.ID
	}
	w.queued = append(w.queued, e)
}

// Queued returns the live events queued so far, in order.
func (w *Writer) Queued() []live.Event { return w.queued }

// queue queues a live event of ticket ticketID, with data as its detail
// (nil for none).
func (w *Writer) queue(typ live.Type, ticketID int64, userID string, data any) {
	e := live.Event{Type: typ, TicketID: ticketID, UserID: userID}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			panic("ticket: live event data: " + err.Error()) // only maps of plain values are passed
		}
		e.Data = b
	}
	w.Queue(e)
}

// Entry is a ticket log entry: who did what to which ticket. Text may name
// users, categories and tags with {User:id}, {Category:id} and {Tag:id}
// placeholders, which Included resolves.
type Entry struct {
	Ticket   *openboards.Ticket
	UserID   string
	Type     string // one of openboards.ActionTypes
	Text     string
	Included openboards.IncludedItems
}

// Log appends e to its ticket's log.
func (w *Writer) Log(ctx context.Context, e Entry) error {
	inc := e.Included
	if inc.Categories == nil {
		inc.Categories = []openboards.CategoryRef{}
	}
	if inc.Tags == nil {
		inc.Tags = []openboards.Tag{}
	}
	if inc.Users == nil {
		inc.Users = []openboards.User{}
	}
	return w.tx.AppendLogEntry(ctx, &openboards.LogEntry{
		TicketID:     e.Ticket.ID,
		CommunityID:  e.Ticket.CommunityID,
		UserID:       e.UserID,
		ActionType:   e.Type,
		ActionString: e.Text,
		Included:     inc,
		CreatedAt:    w.now,
	})
}

// NewTicket is a ticket to create, its content validated and its people
// resolved.
type NewTicket struct {
	Title       string
	Message     string // plain text
	HTMLMessage string // sanitised HTML
	// Author is the customer (or teammate) the ticket is from; required.
	Author *openboards.User
	// Source and DetailedSource say how the ticket came in (for example
	// openboards.SourceAPI and openboards.DetailedSourceAPI); required.
	Source         string
	DetailedSource string
	// Channel names the channel of the surface the ticket came through,
	// for example a chat channel; empty when the surface has only one.
	Channel      string
	SourceName   *string
	Sentiment    *string
	CategoryID   *int64
	Assignee     *openboards.User // nil: unassigned
	CC           []string
	Tags         []string // cleaned names (openboards.CleanTags)
	Attachments  []openboards.Attachment
	CustomFields []openboards.FieldValue
	// ActorID is who the log names as having assigned the ticket; empty
	// means the community's API user.
	ActorID string
}

// CreateTicket stores a new open ticket with its tags, logs its creation
// (and its assignment), records the ticket_creation event and queues
// live.TicketCreated.
func (w *Writer) CreateTicket(ctx context.Context, in NewTicket) (*openboards.Ticket, error) {
	if in.Author == nil {
		return nil, errors.New("ticket: create ticket: no author")
	}
	if in.Source == "" || in.DetailedSource == "" {
		return nil, errors.New("ticket: create ticket: no source or detailed source")
	}
	t := &openboards.Ticket{
		CommunityID:    w.cm.ID,
		Title:          in.Title,
		Message:        in.Message,
		HTMLMessage:    in.HTMLMessage,
		AuthorID:       in.Author.ID,
		CategoryID:     in.CategoryID,
		Status:         openboards.TicketOpen,
		Sentiment:      in.Sentiment,
		Source:         in.Source,
		DetailedSource: in.DetailedSource,
		Channel:        in.Channel,
		SourceName:     in.SourceName,
		CC:             in.CC,
		Attachments:    in.Attachments,
		CustomFields:   in.CustomFields,
		CreatedAt:      w.now,
		LastActivityAt: w.now,
		UpdatedAt:      w.now,
	}
	if t.CustomFields == nil {
		t.CustomFields = []openboards.FieldValue{}
	}
	if in.Assignee != nil {
		t.AssigneeID = &in.Assignee.ID
	}
	if len(in.Tags) > 0 {
		tags, err := w.tx.UpsertTags(ctx, w.cm.ID, in.Tags)
		if err != nil {
			return nil, err
		}
		t.Tags = tagNamesOf(tags)
	}
	if err := w.tx.CreateTicket(ctx, t); err != nil {
		return nil, err
	}
	if err := w.Log(ctx, Entry{Ticket: t, UserID: in.Author.ID, Type: openboards.ActionTicketCreated, Text: "created the ticket"}); err != nil {
		return nil, err
	}
	if in.Assignee != nil {
		actor := in.ActorID
		if actor == "" {
			actor = w.cm.APIUserID
		}
		if err := w.Log(ctx, assigneeEntry(t, actor, nil, in.Assignee)); err != nil {
			return nil, err
		}
	}
	if err := w.Record(ctx, openboards.Change{Type: openboards.EventTicketCreation, TicketID: t.ID}); err != nil {
		return nil, err
	}
	w.queue(live.TicketCreated, t.ID, in.Author.ID, nil)
	return t, nil
}

// SetStatus moves ticket t (read with LockTicket) to status st on behalf of
// actorID, logs it, records the ticket_status_change event and queues
// live.StatusChanged. Setting the status a ticket has does nothing.
func (w *Writer) SetStatus(ctx context.Context, t *openboards.Ticket, actorID string, st openboards.TicketStatus) error {
	if t.Status == st {
		return nil
	}
	u := touch(w.now)
	u.Status = &st
	if err := w.tx.UpdateTicket(ctx, t.CommunityID, t.ID, u); err != nil {
		return err
	}
	return w.statusChanged(ctx, t, actorID, st)
}

// statusChanged logs, records and queues the move of t to st, which the
// store already holds, and sets t.Status.
func (w *Writer) statusChanged(ctx context.Context, t *openboards.Ticket, actorID string, st openboards.TicketStatus) error {
	prev := t.Status
	if err := w.Log(ctx, statusEntry(t, actorID, prev, st)); err != nil {
		return err
	}
	if err := w.Record(ctx, openboards.Change{Type: openboards.EventTicketStatusChange, TicketID: t.ID, PreviousStatus: prev}); err != nil {
		return err
	}
	w.queue(live.StatusChanged, t.ID, actorID, map[string]string{"from": string(prev), "to": string(st)})
	t.Status = st
	return w.conversationStatusChanged(ctx, t, prev)
}

// SetAssignee assigns ticket t (read with LockTicket) to teammate next, or
// unassigns it when next is nil, on behalf of actorID; logs it and queues
// live.AssigneeChanged. Keeping the assignee a ticket has does nothing.
func (w *Writer) SetAssignee(ctx context.Context, t *openboards.Ticket, actorID string, next *openboards.User) error {
	current := ""
	if t.AssigneeID != nil {
		current = *t.AssigneeID
	}
	if (next == nil && current == "") || (next != nil && next.ID == current) {
		return nil
	}
	u := touch(w.now)
	var id *string
	if next != nil {
		id = &next.ID
	}
	u.AssigneeID = &id
	if err := w.tx.UpdateTicket(ctx, t.CommunityID, t.ID, u); err != nil {
		return err
	}
	if err := w.Log(ctx, assigneeEntry(t, actorID, t.Assignee, next)); err != nil {
		return err
	}
	w.queue(live.AssigneeChanged, t.ID, actorID, map[string]*string{"assigneeId": id})
	t.AssigneeID, t.Assignee = id, next
	return w.conversationMoved(ctx, t)
}

// ReplyOptions are the effects on its ticket of sending a reply.
type ReplyOptions struct {
	// Complete sets the ticket completed.
	Complete bool
	// KeepStatus skips the automatic status move (a teammate's reply sets
	// an open ticket pending, a customer's reply reopens it).
	KeepStatus bool
	// CreatedAt, when set, is the time the message was written (a chat
	// client may give one, up to a little in the future); zero is now.
	CreatedAt time.Time
}

// AddReply stores reply r to ticket t (read with LockTicket) and logs it.
// r.Author is required; the Writer sets its ticket, community, times, team
// flag and (for a teammate's reply) its recipients. A draft only queues
// live.TicketChanged. A sent reply also counts in the ticket's replyCount
// and activity time, moves its status as opts say, records the
// reply_creation event (and the status change) and queues
// live.MessageAdded (and live.StatusChanged).
func (w *Writer) AddReply(ctx context.Context, t *openboards.Ticket, r *openboards.Reply, opts ReplyOptions) error {
	if r.Author == nil {
		return errors.New("ticket: add reply: no author")
	}
	r.TicketID, r.CommunityID, r.AuthorID = t.ID, t.CommunityID, r.Author.ID
	r.CreatedAt, r.UpdatedAt = w.now, w.now
	if !opts.CreatedAt.IsZero() {
		r.CreatedAt = opts.CreatedAt
	}
	r.IsByTeam = r.Author.Status != openboards.StatusClient
	if r.Tags == nil {
		r.Tags = []string{}
	}
	if r.Attachments == nil {
		r.Attachments = []openboards.Attachment{}
	}
	r.ToEmails, r.CCEmails = []string{}, []string{}
	if r.IsByTeam {
		if t.Author != nil && t.Author.Email != nil {
			r.ToEmails = []string{*t.Author.Email}
		}
		r.CCEmails = t.CC
	}
	if err := w.tx.CreateReply(ctx, r); err != nil {
		return err
	}
	if r.IsDraft {
		if err := w.Log(ctx, Entry{Ticket: t, UserID: r.AuthorID, Type: openboards.ActionReplyCreated, Text: "saved a draft reply"}); err != nil {
			return err
		}
		w.queue(live.TicketChanged, t.ID, r.AuthorID, nil)
		return nil
	}
	if err := w.Log(ctx, Entry{Ticket: t, UserID: r.AuthorID, Type: openboards.ActionReplyCreated, Text: "sent a reply"}); err != nil {
		return err
	}
	return w.sent(ctx, t, r, r.Author, opts)
}

// sent applies the effects of reply r being sent on its ticket t (count,
// activity time and status), records the events (the reply's creation,
// then the status change it caused) and queues their live events.
func (w *Writer) sent(ctx context.Context, t *openboards.Ticket, r *openboards.Reply, author *openboards.User, opts ReplyOptions) error {
	now := w.now
	u := touch(now)
	u.ReplyCountDiff = 1
	u.LastActivityAt = &now
	next := t.Status
	switch {
	case opts.Complete:
		next = openboards.TicketCompleted
	case opts.KeepStatus:
	case author.Status == openboards.StatusClient:
		next = openboards.TicketOpen
	case t.IsConversation():
		// A live chat stays open while the team and its bots answer:
		// nobody waits on the client between two messages.
	case t.Status == openboards.TicketOpen:
		next = openboards.TicketPending
	}
	if next != t.Status {
		u.Status = &next
	}
	if err := w.tx.UpdateTicket(ctx, t.CommunityID, t.ID, u); err != nil {
		return err
	}
	// A conversation's message raises conversation_message_added too; the
	// two are recorded together, so the ticket is read once for both.
	changes := []openboards.Change{{Type: openboards.EventReplyCreation, TicketID: t.ID, Reply: r}}
	if c, ok, err := w.conversationMessage(ctx, t, r, t.Status); err != nil {
		return err
	} else if ok {
		changes = append(changes, c)
	}
	if err := w.recordAll(ctx, changes); err != nil {
		return err
	}
	w.queue(live.MessageAdded, t.ID, author.ID, map[string]int64{"replyId": r.ID})
	if next != t.Status {
		return w.statusChanged(ctx, t, author.ID, next)
	}
	return nil
}

// AddNote stores note n (n.Author, content and mentions validated) on
// ticket t (read with LockTicket), logs it, records the note_creation event
// and queues live.MessageAdded. The Writer sets the note's ticket,
// community and times.
func (w *Writer) AddNote(ctx context.Context, t *openboards.Ticket, n *openboards.Note) error {
	if n.Author == nil {
		return errors.New("ticket: add note: no author")
	}
	n.TicketID, n.CommunityID, n.AuthorID = t.ID, t.CommunityID, n.Author.ID
	n.CreatedAt, n.UpdatedAt = w.now, w.now
	if err := w.tx.CreateNote(ctx, n); err != nil {
		return err
	}
	if err := w.Log(ctx, mentionEntry(t, n.AuthorID, openboards.ActionNoteCreated, "added a note", n)); err != nil {
		return err
	}
	if err := w.Record(ctx, openboards.Change{Type: openboards.EventNoteCreation, TicketID: t.ID, Note: n}); err != nil {
		return err
	}
	w.queue(live.MessageAdded, t.ID, n.AuthorID, map[string]int64{"noteId": n.ID})
	return nil
}

package ticket

import (
	"context"
	"errors"

	"openboards/internal/live"
	"openboards/internal/openboards"
)

// This file holds the building blocks that keep a conversation (a ticket
// with source chat) in step with its ticket: whatever surface moves the
// ticket (the Ticket API, the inbox, chat), its place in the queue, its
// handling and closing times and its chat events follow in the same
// transaction.

// NewConversation is a conversation to open: its ticket (Source is set to
// chat; DetailedSource says which channel), the page the client is on and
// whether a bot answers first.
type NewConversation struct {
	Ticket     NewTicket
	PageURL    *string
	BotEnabled bool
}

// CreateConversation stores a new open conversation with its ticket, puts
// it at the end of the queue unless a bot or an assignee holds it, and
// records ticket_creation then conversation_created.
func (w *Writer) CreateConversation(ctx context.Context, in NewConversation) (*openboards.Ticket, *openboards.Conversation, error) {
	in.Ticket.Source = openboards.SourceChat
	t, err := w.CreateTicket(ctx, in.Ticket)
	if err != nil {
		return nil, nil, err
	}
	cv := &openboards.Conversation{TicketID: t.ID, CommunityID: t.CommunityID,
		InitialPageURL: in.PageURL, LatestPageURL: in.PageURL, IsAssignedToBot: in.BotEnabled, UpdatedAt: w.now}
	if _, err := w.syncQueue(ctx, t, cv); err != nil {
		return nil, nil, err
	}
	if err := w.tx.CreateConversation(ctx, cv); err != nil {
		return nil, nil, err
	}
	if err := w.Record(ctx, openboards.Change{Type: openboards.EventConversationCreated, TicketID: t.ID}); err != nil {
		return nil, nil, err
	}
	return t, cv, nil
}

// SaveConversation stores cv, the chat state of conversation t (read with
// LockTicket), after a change of its own (a takeover, feedback, the page),
// moving it into or out of the queue as the change says, and queues
// live.TicketChanged.
func (w *Writer) SaveConversation(ctx context.Context, t *openboards.Ticket, cv *openboards.Conversation) error {
	if _, err := w.syncQueue(ctx, t, cv); err != nil {
		return err
	}
	cv.UpdatedAt = w.now
	if err := w.tx.UpdateConversation(ctx, cv); err != nil {
		return err
	}
	w.queue(live.TicketChanged, t.ID, "", nil)
	return nil
}

// conversationMoved brings the chat state of t in line with a change of
// its status or assignee that the store already holds. It does nothing for
// a ticket that is not a conversation.
func (w *Writer) conversationMoved(ctx context.Context, t *openboards.Ticket) error {
	if !t.IsConversation() {
		return nil
	}
	cv, err := w.tx.FindConversation(ctx, t.CommunityID, t.ID)
	if openboards.ErrorCode(err) == openboards.CodeNotFound {
		return nil // a chat ticket brought in without chat state
	}
	if err != nil {
		return err
	}
	changed, err := w.syncQueue(ctx, t, cv)
	if err != nil || !changed {
		return err
	}
	cv.UpdatedAt = w.now
	return w.tx.UpdateConversation(ctx, cv)
}

// syncQueue puts cv into the queue or takes it out as t and cv now say
// (see openboards.WaitsInQueue), and notes when it was first handled and
// when it closed. A conversation entering the queue for the first time
// takes the next place; one coming back keeps its place. It reports
// whether cv changed; the caller stores it.
func (w *Writer) syncQueue(ctx context.Context, t *openboards.Ticket, cv *openboards.Conversation) (bool, error) {
	changed := false
	if want := openboards.WaitsInQueue(t, cv); want != cv.Queued {
		if want && cv.QueueSeq == 0 {
			seq, err := w.tx.NextQueueSeq(ctx, t.CommunityID)
			if err != nil {
				return false, err
			}
			cv.QueueSeq = seq
		}
		delta := -1
		if want {
			delta = 1
			now := w.now
			cv.QueuedAt = &now
		}
		if err := w.tx.AddQueued(ctx, t.CommunityID, cv.QueueSeq, delta); err != nil {
			return false, err
		}
		cv.Queued, changed = want, true
		w.queue(live.QueueChanged, t.ID, "", map[string]bool{"queued": want})
	}
	if t.AssigneeID != nil && cv.HandledAt == nil {
		now := w.now
		cv.HandledAt, changed = &now, true
	}
	switch closed := t.Status == openboards.TicketCompleted; {
	case closed && cv.ClosedAt == nil:
		now := w.now
		cv.ClosedAt, changed = &now, true
	case !closed && cv.ClosedAt != nil:
		cv.ClosedAt, changed = nil, true
	}
	return changed, nil
}

// conversationStatusChanged records the chat events of conversation t
// moving from status prev to t.Status: conversation_status_changed, and
// conversation_closed when it closed.
func (w *Writer) conversationStatusChanged(ctx context.Context, t *openboards.Ticket, prev openboards.TicketStatus) error {
	if !t.IsConversation() {
		return nil
	}
	if err := w.conversationMoved(ctx, t); err != nil {
		return err
	}
	if err := w.Record(ctx, openboards.Change{Type: openboards.EventConversationStatusChanged, TicketID: t.ID, PreviousStatus: prev}); err != nil {
		return err
	}
	if t.Status == openboards.TicketCompleted {
		return w.Record(ctx, openboards.Change{Type: openboards.EventConversationClosed, TicketID: t.ID, PreviousStatus: prev})
	}
	return nil
}

// conversationMessage returns the conversation_message_added change of
// reply r sent to t, if t is a conversation whose status before the reply
// was prev, for the caller to record. A teammate's reply to a closed
// conversation no longer reaches a live chat: it is marked to go to the
// client by e-mail.
func (w *Writer) conversationMessage(ctx context.Context, t *openboards.Ticket, r *openboards.Reply, prev openboards.TicketStatus) (openboards.Change, bool, error) {
	if !t.IsConversation() {
		return openboards.Change{}, false, nil
	}
	if prev == openboards.TicketCompleted && r.Author != nil && r.Author.Status == openboards.StatusTeam {
		if err := w.tx.CreateReplyMail(ctx, r); err != nil {
			return openboards.Change{}, false, err
		}
	}
	return openboards.Change{Type: openboards.EventConversationMessageAdded, TicketID: t.ID, Reply: r}, true, nil
}

// AddEarlierMessage stores r, a message of conversation t (read with
// LockTicket) that happened elsewhere before (r.CreatedAt set by the
// caller): it counts among the ticket's messages but changes neither its
// status nor its activity time, raises no webhook event and reaches no bot.
// It queues live.MessageAdded for the inbox.
func (w *Writer) AddEarlierMessage(ctx context.Context, t *openboards.Ticket, r *openboards.Reply) error {
	if r.Author == nil || r.CreatedAt.IsZero() {
		return errors.New("ticket: add earlier message: no author or time")
	}
	r.TicketID, r.CommunityID, r.AuthorID = t.ID, t.CommunityID, r.Author.ID
	r.UpdatedAt = w.now
	r.IsByTeam = r.Author.Status != openboards.StatusClient
	r.Tags, r.Attachments, r.ToEmails, r.CCEmails = []string{}, []openboards.Attachment{}, []string{}, []string{}
	if err := w.tx.CreateReply(ctx, r); err != nil {
		return err
	}
	u := touch(w.now)
	u.ReplyCountDiff = 1
	if err := w.tx.UpdateTicket(ctx, t.CommunityID, t.ID, u); err != nil {
		return err
	}
	t.ReplyCount++
	if err := w.Log(ctx, Entry{Ticket: t, UserID: r.AuthorID, Type: openboards.ActionReplyCreated, Text: "added an earlier message"}); err != nil {
		return err
	}
	w.queue(live.MessageAdded, t.ID, r.AuthorID, map[string]int64{"replyId": r.ID})
	return nil
}

// The lookups other surfaces that create tickets share, with the errors
// the Ticket API gives.

// ChosenCategory returns the id of category id, which tickets may use, or
// an invalid-input error naming field.
func ChosenCategory(ctx context.Context, tx openboards.Reader, communityID int64, field string, id int64) (*int64, error) {
	cat, err := chosenCategory(ctx, tx, communityID, field, id)
	if err != nil {
		return nil, err
	}
	return &cat.ID, nil
}

// Assignable returns the teammate id names if tickets may be assigned to
// them, or an invalid-input error naming field.
func Assignable(ctx context.Context, tx openboards.Reader, communityID int64, field, id string) (*openboards.User, error) {
	return assignable(ctx, tx, communityID, field, id)
}

// FieldValues validates custom field values of a new ticket, naming them
// under field in errors.
func FieldValues(ctx context.Context, tx openboards.Reader, communityID int64, field string, in []FieldValueInput) ([]openboards.FieldValue, error) {
	return ticketFieldValues(ctx, tx, communityID, field, in)
}

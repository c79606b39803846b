package ticket

import (
	"context"
	"slices"
	"strconv"

	"openboards/internal/live"
	"openboards/internal/openboards"
)

// CreateReplyInput is a new reply as a client submits it.
type CreateReplyInput struct {
	Author                         openboards.UserRef
	Message                        string
	IsHTML                         bool
	IsDraft                        bool
	IsTicketNeededToBeCompleted    bool
	SuppressTicketStatusAutoupdate bool
	ParentReplyID                  *int64
	Attachments                    []AttachmentInput
}

// CreateReply adds a reply to a ticket. A sent (non-draft) reply counts in
// the ticket's replyCount and activity time and moves its status: a
// teammate's reply sets an open ticket to pending, a customer's reply
// reopens it, and isTicketNeededToBeCompleted completes it; the automatic
// moves are skipped with suppressTicketStatusAutoupdate.
func (s *Service) CreateReply(ctx context.Context, cm *openboards.Community, ticketID int64, in CreateReplyInput) (*openboards.Reply, error) {
	text, html, err := body("message", in.Message, in.IsHTML)
	if err != nil {
		return nil, err
	}
	atts, err := attachments("attachments", in.Attachments)
	if err != nil {
		return nil, err
	}
	if text == "" && len(atts) == 0 {
		return nil, openboards.Errorf(openboards.CodeInvalid, "message: a reply needs a message or an attachment")
	}
	if in.Author.IsZero() {
		return nil, openboards.Errorf(openboards.CodeInvalid, "author: required (give id, email or customIdentifier)")
	}
	var r *openboards.Reply
	err = s.InTx(ctx, cm, func(w *Writer) error {
		tx := w.Tx()
		t, err := w.LockTicket(ctx, ticketID)
		if err != nil {
			return err
		}
		author, err := resolveUser(ctx, tx, cm.ID, "author", in.Author)
		if err != nil {
			return err
		}
		if author.Status == openboards.StatusTeam && author.Role == openboards.RoleReadOnlyUser {
			return openboards.Errorf(openboards.CodeForbidden, "author: read-only users cannot reply")
		}
		r = &openboards.Reply{Author: author, Message: text, HTMLMessage: html, IsDraft: in.IsDraft, Attachments: atts}
		if in.ParentReplyID != nil {
			parent, err := tx.FindReplyByID(ctx, cm.ID, ticketID, *in.ParentReplyID)
			if openboards.ErrorCode(err) == openboards.CodeNotFound {
				return openboards.Errorf(openboards.CodeInvalid, "parentReplyId: reply %d not found on ticket %d", *in.ParentReplyID, ticketID)
			}
			if err != nil {
				return err
			}
			r.ParentReplyID, r.Level = &parent.ID, parent.Level+1
		}
		return w.AddReply(ctx, t, r, ReplyOptions{Complete: in.IsTicketNeededToBeCompleted, KeepStatus: in.SuppressTicketStatusAutoupdate})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// UpdateReplyInput edits a reply; nil fields stay. Publishing a draft
// (IsDraft false) sends it, with the effects CreateReply describes.
type UpdateReplyInput struct {
	Message                        *string
	IsHTML                         bool
	IsDraft                        *bool
	Attachments                    *[]AttachmentInput
	IsTicketNeededToBeCompleted    bool
	SuppressTicketStatusAutoupdate bool
}

// UpdateReply edits a reply and logs the edit.
func (s *Service) UpdateReply(ctx context.Context, cm *openboards.Community, ticketID, replyID int64, in UpdateReplyInput) (*openboards.Reply, error) {
	u := openboards.ReplyUpdate{IsDraft: in.IsDraft}
	if in.Message != nil {
		text, html, err := body("message", *in.Message, in.IsHTML)
		if err != nil {
			return nil, err
		}
		u.Message, u.HTMLMessage = &text, &html
	}
	if in.Attachments != nil {
		atts, err := attachments("attachments", *in.Attachments)
		if err != nil {
			return nil, err
		}
		u.Attachments = &atts
	}
	var out *openboards.Reply
	err := s.InTx(ctx, cm, func(w *Writer) error {
		tx := w.Tx()
		t, err := w.LockTicket(ctx, ticketID)
		if err != nil {
			return err
		}
		r, err := tx.FindReplyByID(ctx, cm.ID, ticketID, replyID)
		if err != nil {
			return err
		}
		if in.IsDraft != nil && *in.IsDraft && !r.IsDraft {
			return openboards.Errorf(openboards.CodeInvalid, "isDraft: a sent reply cannot become a draft")
		}
		msg, atts := r.Message, len(r.Attachments)
		if u.Message != nil {
			msg = *u.Message
		}
		if u.Attachments != nil {
			atts = len(*u.Attachments)
		}
		if msg == "" && atts == 0 {
			return openboards.Errorf(openboards.CodeInvalid, "message: a reply needs a message or an attachment")
		}
		u := u
		u.UpdatedAt = w.Now()
		if err := tx.UpdateReply(ctx, cm.ID, ticketID, replyID, u); err != nil {
			return err
		}
		publish := r.IsDraft && in.IsDraft != nil && !*in.IsDraft
		text := "edited a reply"
		if publish {
			text = "sent a reply"
		}
		if err := w.Log(ctx, Entry{Ticket: t, UserID: cm.APIUserID, Type: openboards.ActionReplyUpdated, Text: text}); err != nil {
			return err
		}
		if out, err = tx.FindReplyByID(ctx, cm.ID, ticketID, replyID); err != nil {
			return err
		}
		switch {
		case publish:
			return w.sent(ctx, t, out, r.Author, ReplyOptions{Complete: in.IsTicketNeededToBeCompleted, KeepStatus: in.SuppressTicketStatusAutoupdate})
		case !out.IsDraft:
			if err := w.Record(ctx, openboards.Change{Type: openboards.EventReplyUpdate, TicketID: ticketID, Reply: out}); err != nil {
				return err
			}
		}
		w.queue(live.MessageChanged, ticketID, cm.APIUserID, map[string]int64{"replyId": replyID})
		return nil
	})
	return out, err
}

// DeleteReply removes a reply and logs it; a sent reply no longer counts.
func (s *Service) DeleteReply(ctx context.Context, cm *openboards.Community, ticketID, replyID int64) error {
	return s.InTx(ctx, cm, func(w *Writer) error {
		tx, now := w.Tx(), w.Now()
		t, err := w.LockTicket(ctx, ticketID)
		if err != nil {
			return err
		}
		r, err := tx.FindReplyByID(ctx, cm.ID, ticketID, replyID)
		if err != nil {
			return err
		}
		if err := tx.DeleteReply(ctx, cm.ID, ticketID, replyID); err != nil {
			return err
		}
		u := touch(now)
		if !r.IsDraft {
			u.ReplyCountDiff = -1
		}
		if err := tx.UpdateTicket(ctx, cm.ID, ticketID, u); err != nil {
			return err
		}
		if err := w.Log(ctx, Entry{Ticket: t, UserID: cm.APIUserID, Type: openboards.ActionReplyDeleted, Text: "deleted a reply"}); err != nil {
			return err
		}
		if !r.IsDraft {
			if err := w.Record(ctx, openboards.Change{Type: openboards.EventReplyDeletion, TicketID: ticketID, Reply: r}); err != nil {
				return err
			}
		}
		w.queue(live.MessageChanged, ticketID, cm.APIUserID, map[string]int64{"replyId": replyID})
		return nil
	})
}

// SetReplyTags replaces a reply's tags and logs the change.
func (s *Service) SetReplyTags(ctx context.Context, cm *openboards.Community, ticketID, replyID int64, names []string) error {
	names, err := openboards.CleanTags("tags", names)
	if err != nil {
		return err
	}
	return s.InTx(ctx, cm, func(w *Writer) error {
		tx, now := w.Tx(), w.Now()
		t, err := w.LockTicket(ctx, ticketID)
		if err != nil {
			return err
		}
		r, err := tx.FindReplyByID(ctx, cm.ID, ticketID, replyID)
		if err != nil {
			return err
		}
		tags, err := tx.UpsertTags(ctx, cm.ID, names)
		if err != nil {
			return err
		}
		next := tagNamesOf(tags)
		if slices.Equal(r.Tags, next) {
			return nil
		}
		if err := tx.UpdateReply(ctx, cm.ID, ticketID, replyID, openboards.ReplyUpdate{Tags: &next, UpdatedAt: now}); err != nil {
			return err
		}
		if err := w.Log(ctx, tagsEntry(t, cm.APIUserID, openboards.ActionReplyTagsChanged, "a reply", tags)); err != nil {
			return err
		}
		w.queue(live.MessageChanged, ticketID, cm.APIUserID, map[string]int64{"replyId": replyID})
		if r.IsDraft {
			return nil
		}
		if r, err = tx.FindReplyByID(ctx, cm.ID, ticketID, replyID); err != nil {
			return err
		}
		return w.Record(ctx, openboards.Change{Type: openboards.EventReplyUpdate, TicketID: ticketID, Reply: r})
	})
}

// NoteInput is a note as a client writes it.
type NoteInput struct {
	Author         openboards.UserRef
	Message        string
	IsHTML         bool
	Attachments    []AttachmentInput
	MentionedUsers []openboards.UserRef
}

// noteBody validates the content of a note.
func noteBody(ctx context.Context, tx openboards.Reader, communityID int64, n *openboards.Note, in NoteInput) error {
	text, html, err := body("message", in.Message, in.IsHTML)
	if err != nil {
		return err
	}
	n.Message, n.HTMLMessage = text, nil
	if in.IsHTML {
		n.HTMLMessage = &html
	}
	if n.Attachments, err = attachments("attachments", in.Attachments); err != nil {
		return err
	}
	if text == "" && len(n.Attachments) == 0 {
		return openboards.Errorf(openboards.CodeInvalid, "message: a note needs a message or an attachment")
	}
	if len(in.MentionedUsers) > maxListLen {
		return openboards.Errorf(openboards.CodeInvalid, "mentionedUsers: more than %d users", maxListLen)
	}
	n.MentionedUserIDs = []string{}
	n.MentionedUsers = []openboards.User{}
	seen := map[string]bool{}
	for i, ref := range in.MentionedUsers {
		u, err := teammate(ctx, tx, communityID, "mentionedUsers["+strconv.Itoa(i)+"]", ref)
		if err != nil {
			return err
		}
		if !seen[u.ID] {
			seen[u.ID] = true
			n.MentionedUserIDs = append(n.MentionedUserIDs, u.ID)
			n.MentionedUsers = append(n.MentionedUsers, *u)
		}
	}
	return nil
}

func mentionEntry(t *openboards.Ticket, userID, typ, verb string, n *openboards.Note) Entry {
	e := Entry{Ticket: t, UserID: userID, Type: typ, Text: verb}
	for i, u := range n.MentionedUsers {
		if i == 0 {
			e.Text += " mentioning "
		} else {
			e.Text += ", "
		}
		e.Text += userPlaceholder(u.ID)
	}
	e.Included.Users = n.MentionedUsers
	return e
}

// CreateNote adds an internal note, written by a teammate, to a ticket.
func (s *Service) CreateNote(ctx context.Context, cm *openboards.Community, ticketID int64, in NoteInput) (*openboards.Note, error) {
	if in.Author.IsZero() {
		return nil, openboards.Errorf(openboards.CodeInvalid, "author: required (give id, email or customIdentifier)")
	}
	var n *openboards.Note
	err := s.InTx(ctx, cm, func(w *Writer) error {
		tx := w.Tx()
		t, err := w.LockTicket(ctx, ticketID)
		if err != nil {
			return err
		}
		author, err := teammate(ctx, tx, cm.ID, "author", in.Author)
		if err != nil {
			return err
		}
		n = &openboards.Note{Author: author}
		if err := noteBody(ctx, tx, cm.ID, n, in); err != nil {
			return err
		}
		return w.AddNote(ctx, t, n)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// UpdateNote replaces the content of a note; its author stays.
func (s *Service) UpdateNote(ctx context.Context, cm *openboards.Community, ticketID, noteID int64, in NoteInput) (*openboards.Note, error) {
	var n *openboards.Note
	err := s.InTx(ctx, cm, func(w *Writer) error {
		tx, in := w.Tx(), in // a retried transaction starts from the request
		t, err := w.LockTicket(ctx, ticketID)
		if err != nil {
			return err
		}
		if n, err = tx.FindNoteByID(ctx, cm.ID, ticketID, noteID); err != nil {
			return err
		}
		// PATCH semantics: what the request leaves out stays as it is.
		if in.Message == "" {
			in.Message, in.IsHTML = n.Message, n.HTMLMessage != nil
			if n.HTMLMessage != nil {
				in.Message = *n.HTMLMessage
			}
		}
		if in.Attachments == nil {
			for _, a := range n.Attachments {
				in.Attachments = append(in.Attachments, AttachmentInput{URL: a.URL, Name: a.Name})
			}
		}
		if in.MentionedUsers == nil {
			for _, id := range n.MentionedUserIDs {
				in.MentionedUsers = append(in.MentionedUsers, openboards.UserRef{ID: id})
			}
		}
		actor := cm.APIUserID
		if !in.Author.IsZero() {
			u, err := teammate(ctx, tx, cm.ID, "author", in.Author)
			if err != nil {
				return err
			}
			actor = u.ID
		}
		if err := noteBody(ctx, tx, cm.ID, n, in); err != nil {
			return err
		}
		n.UpdatedAt = w.Now()
		if err := tx.UpdateNote(ctx, n); err != nil {
			return err
		}
		if err := w.Log(ctx, mentionEntry(t, actor, openboards.ActionNoteUpdated, "edited a note", n)); err != nil {
			return err
		}
		if err := w.Record(ctx, openboards.Change{Type: openboards.EventNoteUpdate, TicketID: ticketID, Note: n}); err != nil {
			return err
		}
		w.queue(live.MessageChanged, ticketID, actor, map[string]int64{"noteId": noteID})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// DeleteNote removes a note and logs it.
func (s *Service) DeleteNote(ctx context.Context, cm *openboards.Community, ticketID, noteID int64) error {
	return s.InTx(ctx, cm, func(w *Writer) error {
		tx := w.Tx()
		t, err := w.LockTicket(ctx, ticketID)
		if err != nil {
			return err
		}
		n, err := tx.FindNoteByID(ctx, cm.ID, ticketID, noteID)
		if err != nil {
			return err
		}
		if err := tx.DeleteNote(ctx, cm.ID, ticketID, noteID); err != nil {
			return err
		}
		if err := w.Log(ctx, Entry{Ticket: t, UserID: cm.APIUserID, Type: openboards.ActionNoteDeleted, Text: "deleted a note"}); err != nil {
			return err
		}
		if err := w.Record(ctx, openboards.Change{Type: openboards.EventNoteDeletion, TicketID: ticketID, Note: n}); err != nil {
			return err
		}
		w.queue(live.MessageChanged, ticketID, cm.APIUserID, map[string]int64{"noteId": noteID})
		return nil
	})
}

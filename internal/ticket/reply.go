package ticket

import (
	"context"
	"slices"
	"strconv"
	"time"

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
	now := s.clock()
	r := &openboards.Reply{
		TicketID: ticketID, CommunityID: cm.ID, Message: text, HTMLMessage: html, IsDraft: in.IsDraft,
		Attachments: atts, Tags: []string{}, CreatedAt: now, UpdatedAt: now,
	}
	err = s.store.InTx(ctx, func(tx openboards.Tx) error {
		t, err := lockTicket(ctx, tx, cm.ID, ticketID)
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
		r.Author, r.AuthorID = author, author.ID
		r.IsByTeam = author.Status != openboards.StatusClient
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
		r.ToEmails, r.CCEmails = []string{}, []string{}
		if r.IsByTeam {
			if t.Author.Email != nil {
				r.ToEmails = []string{*t.Author.Email}
			}
			r.CCEmails = t.CC
		}
		if err := tx.CreateReply(ctx, r); err != nil {
			return err
		}
		if r.IsDraft {
			return entry{ticket: t, userID: author.ID, typ: openboards.ActionReplyCreated, text: "saved a draft reply"}.write(ctx, tx, now)
		}
		if err := (entry{ticket: t, userID: author.ID, typ: openboards.ActionReplyCreated, text: "sent a reply"}).write(ctx, tx, now); err != nil {
			return err
		}
		return s.sent(ctx, tx, cm, t, r, author, in.IsTicketNeededToBeCompleted, in.SuppressTicketStatusAutoupdate, now)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// sent applies the effects of reply r being sent on its ticket (count,
// activity time and status) and records the events: the reply's creation,
// then the status change it caused.
func (s *Service) sent(ctx context.Context, tx openboards.Tx, cm *openboards.Community, t *openboards.Ticket, r *openboards.Reply, author *openboards.User, complete, suppress bool, now time.Time) error {
	u := touch(now)
	u.ReplyCountDiff = 1
	u.LastActivityAt = &now
	next := t.Status
	switch {
	case complete:
		next = openboards.TicketCompleted
	case suppress:
	case author.Status == openboards.StatusClient:
		next = openboards.TicketOpen
	case t.Status == openboards.TicketOpen:
		next = openboards.TicketPending
	}
	if next != t.Status {
		u.Status = &next
	}
	if err := tx.UpdateTicket(ctx, t.CommunityID, t.ID, u); err != nil {
		return err
	}
	if err := s.record(ctx, tx, cm, openboards.Change{Type: openboards.EventReplyCreation, TicketID: t.ID, Reply: r}, now); err != nil {
		return err
	}
	if next != t.Status {
		if err := statusEntry(t, author.ID, t.Status, next).write(ctx, tx, now); err != nil {
			return err
		}
		return s.record(ctx, tx, cm, openboards.Change{Type: openboards.EventTicketStatusChange, TicketID: t.ID, PreviousStatus: t.Status}, now)
	}
	return nil
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
	now := s.clock()
	u := openboards.ReplyUpdate{UpdatedAt: now, IsDraft: in.IsDraft}
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
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		t, err := lockTicket(ctx, tx, cm.ID, ticketID)
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
		if err := tx.UpdateReply(ctx, cm.ID, ticketID, replyID, u); err != nil {
			return err
		}
		publish := r.IsDraft && in.IsDraft != nil && !*in.IsDraft
		text := "edited a reply"
		if publish {
			text = "sent a reply"
		}
		if err := (entry{ticket: t, userID: cm.APIUserID, typ: openboards.ActionReplyUpdated, text: text}).write(ctx, tx, now); err != nil {
			return err
		}
		if out, err = tx.FindReplyByID(ctx, cm.ID, ticketID, replyID); err != nil {
			return err
		}
		switch {
		case publish:
			return s.sent(ctx, tx, cm, t, out, r.Author, in.IsTicketNeededToBeCompleted, in.SuppressTicketStatusAutoupdate, now)
		case !out.IsDraft:
			return s.record(ctx, tx, cm, openboards.Change{Type: openboards.EventReplyUpdate, TicketID: ticketID, Reply: out}, now)
		}
		return nil
	})
	return out, err
}

// DeleteReply removes a reply and logs it; a sent reply no longer counts.
func (s *Service) DeleteReply(ctx context.Context, cm *openboards.Community, ticketID, replyID int64) error {
	now := s.clock()
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		t, err := lockTicket(ctx, tx, cm.ID, ticketID)
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
		if err := (entry{ticket: t, userID: cm.APIUserID, typ: openboards.ActionReplyDeleted, text: "deleted a reply"}).write(ctx, tx, now); err != nil {
			return err
		}
		if r.IsDraft {
			return nil
		}
		return s.record(ctx, tx, cm, openboards.Change{Type: openboards.EventReplyDeletion, TicketID: ticketID, Reply: r}, now)
	})
}

// SetReplyTags replaces a reply's tags and logs the change.
func (s *Service) SetReplyTags(ctx context.Context, cm *openboards.Community, ticketID, replyID int64, names []string) error {
	names, err := openboards.CleanTags("tags", names)
	if err != nil {
		return err
	}
	now := s.clock()
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		t, err := lockTicket(ctx, tx, cm.ID, ticketID)
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
		if err := tagsEntry(t, cm.APIUserID, openboards.ActionReplyTagsChanged, "a reply", tags).write(ctx, tx, now); err != nil {
			return err
		}
		if r.IsDraft {
			return nil
		}
		if r, err = tx.FindReplyByID(ctx, cm.ID, ticketID, replyID); err != nil {
			return err
		}
		return s.record(ctx, tx, cm, openboards.Change{Type: openboards.EventReplyUpdate, TicketID: ticketID, Reply: r}, now)
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

func mentionEntry(t *openboards.Ticket, userID, typ, verb string, n *openboards.Note) entry {
	e := entry{ticket: t, userID: userID, typ: typ, text: verb}
	for i, u := range n.MentionedUsers {
		if i == 0 {
			e.text += " mentioning "
		} else {
			e.text += ", "
		}
		e.text += userPlaceholder(u.ID)
	}
	e.inc.Users = n.MentionedUsers
	return e
}

// CreateNote adds an internal note, written by a teammate, to a ticket.
func (s *Service) CreateNote(ctx context.Context, cm *openboards.Community, ticketID int64, in NoteInput) (*openboards.Note, error) {
	if in.Author.IsZero() {
		return nil, openboards.Errorf(openboards.CodeInvalid, "author: required (give id, email or customIdentifier)")
	}
	now := s.clock()
	n := &openboards.Note{TicketID: ticketID, CommunityID: cm.ID, CreatedAt: now, UpdatedAt: now}
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		t, err := lockTicket(ctx, tx, cm.ID, ticketID)
		if err != nil {
			return err
		}
		author, err := teammate(ctx, tx, cm.ID, "author", in.Author)
		if err != nil {
			return err
		}
		n.Author, n.AuthorID = author, author.ID
		if err := noteBody(ctx, tx, cm.ID, n, in); err != nil {
			return err
		}
		if err := tx.CreateNote(ctx, n); err != nil {
			return err
		}
		if err := mentionEntry(t, author.ID, openboards.ActionNoteCreated, "added a note", n).write(ctx, tx, now); err != nil {
			return err
		}
		return s.record(ctx, tx, cm, openboards.Change{Type: openboards.EventNoteCreation, TicketID: ticketID, Note: n}, now)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// UpdateNote replaces the content of a note; its author stays.
func (s *Service) UpdateNote(ctx context.Context, cm *openboards.Community, ticketID, noteID int64, in NoteInput) (*openboards.Note, error) {
	now := s.clock()
	var n *openboards.Note
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		t, err := lockTicket(ctx, tx, cm.ID, ticketID)
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
		n.UpdatedAt = now
		if err := tx.UpdateNote(ctx, n); err != nil {
			return err
		}
		if err := mentionEntry(t, actor, openboards.ActionNoteUpdated, "edited a note", n).write(ctx, tx, now); err != nil {
			return err
		}
		return s.record(ctx, tx, cm, openboards.Change{Type: openboards.EventNoteUpdate, TicketID: ticketID, Note: n}, now)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// DeleteNote removes a note and logs it.
func (s *Service) DeleteNote(ctx context.Context, cm *openboards.Community, ticketID, noteID int64) error {
	now := s.clock()
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		t, err := lockTicket(ctx, tx, cm.ID, ticketID)
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
		if err := (entry{ticket: t, userID: cm.APIUserID, typ: openboards.ActionNoteDeleted, text: "deleted a note"}).write(ctx, tx, now); err != nil {
			return err
		}
		return s.record(ctx, tx, cm, openboards.Change{Type: openboards.EventNoteDeletion, TicketID: ticketID, Note: n}, now)
	})
}

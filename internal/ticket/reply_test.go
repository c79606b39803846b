package ticket_test

import (
	"testing"
	"time"

	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

// reply sends (or saves) a reply through the service.
func (b *bundle) reply(t *testing.T, ticketID int64, in ticket.CreateReplyInput) *openboards.Reply {
	t.Helper()
	if in.Message == "" {
		in.Message = "Thanks"
	}
	r, err := b.svc.CreateReply(b.ctx, b.cm, ticketID, in)
	if err != nil {
		t.Fatalf("CreateReply: %v", err)
	}
	return r
}

func (b *bundle) setStatus(t *testing.T, ticketID int64, status string) {
	t.Helper()
	if err := b.svc.UpdateTicketStatus(b.ctx, b.cm, ticketID, status); err != nil {
		t.Fatal(err)
	}
}

func TestCreateReply(t *testing.T) {
	t.Parallel()
	byMember := openboards.UserRef{Email: "member@example.com"}
	byCustomer := openboards.UserRef{CustomIdentifier: "cust-1"}
	// Each case sends one reply to a ticket in status from and expects the
	// ticket's status to be want afterwards.
	for _, tt := range []struct {
		name string
		from openboards.TicketStatus
		in   ticket.CreateReplyInput
		want openboards.TicketStatus
	}{
		{"TeamOnOpen", openboards.TicketOpen, ticket.CreateReplyInput{Author: byMember}, openboards.TicketPending},
		{"TeamOnPending", openboards.TicketPending, ticket.CreateReplyInput{Author: byMember}, openboards.TicketPending},
		{"TeamOnCompleted", openboards.TicketCompleted, ticket.CreateReplyInput{Author: byMember}, openboards.TicketCompleted},
		{"CustomerOnPending", openboards.TicketPending, ticket.CreateReplyInput{Author: byCustomer}, openboards.TicketOpen},
		{"CustomerOnCompleted", openboards.TicketCompleted, ticket.CreateReplyInput{Author: byCustomer}, openboards.TicketOpen},
		{"CustomerOnArchived", openboards.TicketArchived, ticket.CreateReplyInput{Author: byCustomer}, openboards.TicketOpen},
		{"Complete", openboards.TicketOpen, ticket.CreateReplyInput{Author: byMember, IsTicketNeededToBeCompleted: true}, openboards.TicketCompleted},
		{"CompleteBeatsSuppress", openboards.TicketOpen, ticket.CreateReplyInput{Author: byMember, IsTicketNeededToBeCompleted: true, SuppressTicketStatusAutoupdate: true}, openboards.TicketCompleted},
		{"SuppressTeam", openboards.TicketOpen, ticket.CreateReplyInput{Author: byMember, SuppressTicketStatusAutoupdate: true}, openboards.TicketOpen},
		{"SuppressCustomer", openboards.TicketPending, ticket.CreateReplyInput{Author: byCustomer, SuppressTicketStatusAutoupdate: true}, openboards.TicketPending},
		{"VendorOnOpen", openboards.TicketOpen, ticket.CreateReplyInput{Author: openboards.UserRef{Email: "vendor@example.com"}}, openboards.TicketPending},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			tk := b.newTicket(t, ticket.CreateTicketInput{})
			if tt.from != openboards.TicketOpen {
				b.setStatus(t, tk.ID, string(tt.from))
			}
			before := b.log(t, tk.ID)
			b.clock.advance(time.Hour)
			b.reply(t, tk.ID, tt.in)
			got := b.ticket(t, tk.ID)
			now := b.clock.stored()
			if got.Status != tt.want || got.ReplyCount != 1 || !got.LastActivityAt.Equal(now) || !got.UpdatedAt.Equal(now) || got.HasDraft {
				t.Fatalf("ticket: status %s, replyCount %d, activity %v, updated %v, hasDraft %v; want %s, 1, %v, %v, false",
					got.Status, got.ReplyCount, got.LastActivityAt, got.UpdatedAt, got.HasDraft, tt.want, now, now)
			}
			author := b.member.ID
			switch tt.in.Author {
			case byCustomer:
				author = b.customer.ID
			case openboards.UserRef{Email: "vendor@example.com"}:
				author = b.vendor.ID
			}
			want := []logged{{openboards.ActionReplyCreated, author, "sent a reply"}}
			if tt.want != tt.from {
				want = append([]logged{{openboards.ActionTicketStatusChanged, author,
					`changed the status from "` + tt.from.Label() + `" to "` + tt.want.Label() + `"`}}, want...)
			}
			diff(t, "new log entries", append(want, before...), b.log(t, tk.ID))
		})
	}
	t.Run("Fields", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{CC: []string{"boss@example.com"}})
		b.clock.advance(time.Minute)
		team := b.reply(t, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.member.ID}, Message: "<p>Hello <i>Carl</i></p>", IsHTML: true,
			Attachments: []ticket.AttachmentInput{{URL: "https://example.com/manual.pdf", Name: "Manual"}}})
		got, err := b.store.FindReplyByID(b.ctx, b.cm.ID, tk.ID, team.ID)
		if err != nil {
			t.Fatal(err)
		}
		now := b.clock.stored()
		diff(t, "team reply", &openboards.Reply{ID: team.ID, TicketID: tk.ID, CommunityID: b.cm.ID, AuthorID: b.member.ID, Author: b.member,
			Message: "Hello Carl", HTMLMessage: "<p>Hello <i>Carl</i></p>", IsByTeam: true,
			Attachments: []openboards.Attachment{{URL: "https://example.com/manual.pdf", Name: "Manual"}},
			ToEmails:    []string{"customer@example.com"}, CCEmails: []string{"boss@example.com"}, CreatedAt: now, UpdatedAt: now}, got)

		customer := b.reply(t, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{Email: "customer@example.com"}, Message: "<b>ok</b>"})
		got, err = b.store.FindReplyByID(b.ctx, b.cm.ID, tk.ID, customer.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.IsByTeam || len(got.ToEmails) != 0 || len(got.CCEmails) != 0 || got.Message != "<b>ok</b>" || got.HTMLMessage != "&lt;b&gt;ok&lt;/b&gt;" {
			t.Fatalf("customer reply %+v", got)
		}
		if n := b.ticket(t, tk.ID).ReplyCount; n != 2 {
			t.Fatalf("replyCount %d, want 2", n)
		}
	})
	t.Run("Draft", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		b.clock.advance(time.Hour)
		r := b.reply(t, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.member.ID}, IsDraft: true, IsTicketNeededToBeCompleted: true})
		got := b.ticket(t, tk.ID)
		if got.Status != openboards.TicketOpen || got.ReplyCount != 0 || !got.HasDraft || !got.LastActivityAt.Equal(tk.LastActivityAt) {
			t.Fatalf("after a draft: status %s, replyCount %d, hasDraft %v, activity %v", got.Status, got.ReplyCount, got.HasDraft, got.LastActivityAt)
		}
		diff(t, "log", []logged{
			{openboards.ActionReplyCreated, b.member.ID, "saved a draft reply"},
			{openboards.ActionTicketCreated, b.customer.ID, "created the ticket"},
		}, b.log(t, tk.ID))

		// Publishing sends it.
		b.clock.advance(time.Hour)
		out, err := b.svc.UpdateReply(b.ctx, b.cm, tk.ID, r.ID, ticket.UpdateReplyInput{IsDraft: ptr(false)})
		if err != nil {
			t.Fatal(err)
		}
		now := b.clock.stored()
		if out.IsDraft || !out.UpdatedAt.Equal(now) || out.Message != r.Message {
			t.Fatalf("published reply %+v", out)
		}
		got = b.ticket(t, tk.ID)
		if got.Status != openboards.TicketPending || got.ReplyCount != 1 || got.HasDraft || !got.LastActivityAt.Equal(now) {
			t.Fatalf("after publishing: status %s, replyCount %d, hasDraft %v, activity %v", got.Status, got.ReplyCount, got.HasDraft, got.LastActivityAt)
		}
		diff(t, "log", []logged{
			{openboards.ActionTicketStatusChanged, b.member.ID, `changed the status from "Open" to "Pending"`},
			{openboards.ActionReplyUpdated, b.cm.APIUserID, "sent a reply"},
			{openboards.ActionReplyCreated, b.member.ID, "saved a draft reply"},
			{openboards.ActionTicketCreated, b.customer.ID, "created the ticket"},
		}, b.log(t, tk.ID))

		// A sent reply stays sent; publishing twice changes nothing more.
		_, err = b.svc.UpdateReply(b.ctx, b.cm, tk.ID, r.ID, ticket.UpdateReplyInput{IsDraft: ptr(true)})
		wantErr(t, err, openboards.CodeInvalid, "isDraft: a sent reply cannot become a draft")
		if _, err := b.svc.UpdateReply(b.ctx, b.cm, tk.ID, r.ID, ticket.UpdateReplyInput{IsDraft: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if got := b.ticket(t, tk.ID); got.ReplyCount != 1 {
			t.Fatalf("publishing twice counted twice: replyCount %d", got.ReplyCount)
		}
	})
	t.Run("Parent", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		other := b.newTicket(t, ticket.CreateTicketInput{})
		r1 := b.reply(t, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.member.ID}})
		r2 := b.reply(t, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.customer.ID}, ParentReplyID: &r1.ID})
		r3 := b.reply(t, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.member.ID}, ParentReplyID: &r2.ID})
		for _, c := range []struct {
			r      *openboards.Reply
			parent *int64
			level  int
		}{{r1, nil, 0}, {r2, &r1.ID, 1}, {r3, &r2.ID, 2}} {
			got, err := b.store.FindReplyByID(b.ctx, b.cm.ID, tk.ID, c.r.ID)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, "parent", c.parent, got.ParentReplyID)
			if got.Level != c.level {
				t.Fatalf("reply %d: level %d, want %d", c.r.ID, got.Level, c.level)
			}
		}
		_, err := b.svc.CreateReply(b.ctx, b.cm, other.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.member.ID}, Message: "x", ParentReplyID: &r1.ID})
		wantErr(t, err, openboards.CodeInvalid, "parentReplyId: reply")
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		_, err := b.svc.CreateReply(b.ctx, b.cm, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.reader.ID}, Message: "hi"})
		wantErr(t, err, openboards.CodeForbidden, "author: read-only users cannot reply")
		diff(t, "ticket", tk, b.ticket(t, tk.ID))
		if replies, err := b.store.FindReplies(b.ctx, b.cm.ID, tk.ID, 0, 10); err != nil || len(replies) != 0 {
			t.Fatalf("replies after a refused reply: %v, %v", replies, err)
		}
		if n := len(b.log(t, tk.ID)); n != 1 {
			t.Fatalf("a refused reply logged: %d entries", n)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		for _, tt := range []struct {
			in   ticket.CreateReplyInput
			code openboards.Code
			msg  string
		}{
			{ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.member.ID}, Message: "  "}, openboards.CodeInvalid, "message: a reply needs a message or an attachment"},
			{ticket.CreateReplyInput{Message: "hi"}, openboards.CodeInvalid, "author: required"},
			{ticket.CreateReplyInput{Author: openboards.UserRef{Email: "nobody@example.com"}, Message: "hi"}, openboards.CodeInvalid, "author: "},
			{ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.outsider.ID}, Message: "hi"}, openboards.CodeInvalid, "author: "},
			{ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.member.ID}, Message: "hi", Attachments: []ticket.AttachmentInput{{URL: "file:///etc/passwd"}}},
				openboards.CodeInvalid, "attachments[0].url: "},
			{ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.member.ID}, Message: "hi", ParentReplyID: ptr(int64(999))}, openboards.CodeInvalid, "parentReplyId: "},
		} {
			_, err := b.svc.CreateReply(b.ctx, b.cm, tk.ID, tt.in)
			wantErr(t, err, tt.code, tt.msg)
		}
		_, err := b.svc.CreateReply(b.ctx, b.other, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.outsider.ID}, Message: "hi"})
		wantErr(t, err, openboards.CodeNotFound, "")
		diff(t, "ticket", tk, b.ticket(t, tk.ID))
		// An attachment alone is a reply.
		b.reply(t, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.member.ID}, Message: " ",
			Attachments: []ticket.AttachmentInput{{URL: "https://example.com/x.png"}}})
	})
}

func TestUpdateReply(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tk := b.newTicket(t, ticket.CreateTicketInput{})
	r := b.reply(t, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.member.ID}, Message: "<p>First</p>", IsHTML: true,
		Attachments: []ticket.AttachmentInput{{URL: "https://example.com/a.txt"}}})
	before := b.ticket(t, tk.ID)
	b.clock.advance(time.Minute)
	out, err := b.svc.UpdateReply(b.ctx, b.cm, tk.ID, r.ID, ticket.UpdateReplyInput{Message: ptr("Second <draft>")})
	if err != nil {
		t.Fatal(err)
	}
	now := b.clock.stored()
	if out.Message != "Second <draft>" || out.HTMLMessage != "Second &lt;draft&gt;" || len(out.Attachments) != 1 || !out.UpdatedAt.Equal(now) || !out.CreatedAt.Equal(r.CreatedAt) {
		t.Fatalf("edited reply %+v", out)
	}
	out, err = b.svc.UpdateReply(b.ctx, b.cm, tk.ID, r.ID, ticket.UpdateReplyInput{Attachments: &[]ticket.AttachmentInput{}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Message != "Second <draft>" || len(out.Attachments) != 0 {
		t.Fatalf("reply after removing attachments %+v", out)
	}
	_, err = b.svc.UpdateReply(b.ctx, b.cm, tk.ID, r.ID, ticket.UpdateReplyInput{Message: ptr("")})
	wantErr(t, err, openboards.CodeInvalid, "message: a reply needs a message or an attachment")
	_, err = b.svc.UpdateReply(b.ctx, b.cm, tk.ID, r.ID+1, ticket.UpdateReplyInput{Message: ptr("x")})
	wantErr(t, err, openboards.CodeNotFound, "")
	// Editing a sent reply is not a new reply.
	got := b.ticket(t, tk.ID)
	if got.ReplyCount != before.ReplyCount || got.Status != before.Status || !got.LastActivityAt.Equal(before.LastActivityAt) {
		t.Fatalf("an edit changed the ticket: %+v", got)
	}
	diff(t, "log", []logged{
		{openboards.ActionReplyUpdated, b.cm.APIUserID, "edited a reply"},
		{openboards.ActionReplyUpdated, b.cm.APIUserID, "edited a reply"},
	}, b.log(t, tk.ID)[:2])
}

func TestDeleteReply(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tk := b.newTicket(t, ticket.CreateTicketInput{})
	sent := b.reply(t, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.member.ID}})
	child := b.reply(t, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.customer.ID}, ParentReplyID: &sent.ID})
	draft := b.reply(t, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.member.ID}, IsDraft: true})
	if n := b.ticket(t, tk.ID).ReplyCount; n != 2 {
		t.Fatalf("replyCount %d, want 2", n)
	}
	if err := b.svc.DeleteReply(b.ctx, b.cm, tk.ID, draft.ID); err != nil {
		t.Fatal(err)
	}
	if got := b.ticket(t, tk.ID); got.ReplyCount != 2 || got.HasDraft {
		t.Fatalf("after deleting the draft: replyCount %d, hasDraft %v; want 2, false", got.ReplyCount, got.HasDraft)
	}
	if err := b.svc.DeleteReply(b.ctx, b.cm, tk.ID, sent.ID); err != nil {
		t.Fatal(err)
	}
	if n := b.ticket(t, tk.ID).ReplyCount; n != 1 {
		t.Fatalf("after deleting a sent reply: replyCount %d, want 1", n)
	}
	got, err := b.store.FindReplyByID(b.ctx, b.cm.ID, tk.ID, child.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ParentReplyID != nil {
		t.Fatalf("the child of a deleted reply still names parent %d", *got.ParentReplyID)
	}
	diff(t, "log", logged{openboards.ActionReplyDeleted, b.cm.APIUserID, "deleted a reply"}, b.log(t, tk.ID)[0])
	wantErr(t, b.svc.DeleteReply(b.ctx, b.cm, tk.ID, sent.ID), openboards.CodeNotFound, "")
	wantErr(t, b.svc.DeleteReply(b.ctx, b.other, tk.ID, child.ID), openboards.CodeNotFound, "")
	if n := b.ticket(t, tk.ID).ReplyCount; n != 1 {
		t.Fatalf("refused deletes changed replyCount to %d", n)
	}
}

func TestNotes(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		b.clock.advance(time.Minute)
		n, err := b.svc.CreateNote(b.ctx, b.cm, tk.ID, ticket.NoteInput{
			Author:  openboards.UserRef{Email: "ADMIN@example.com"},
			Message: "Please check", Attachments: []ticket.AttachmentInput{{URL: "https://example.com/log.txt"}},
			MentionedUsers: []openboards.UserRef{{ID: b.member.ID}, {Email: "vendor@example.com"}, {ID: b.member.ID}},
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.store.FindNoteByID(b.ctx, b.cm.ID, tk.ID, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		now := b.clock.stored()
		diff(t, "note", &openboards.Note{ID: n.ID, TicketID: tk.ID, CommunityID: b.cm.ID, AuthorID: b.admin.ID, Author: b.admin,
			Message: "Please check", Attachments: []openboards.Attachment{{URL: "https://example.com/log.txt", Name: "log.txt"}},
			MentionedUserIDs: []string{b.member.ID, b.vendor.ID}, MentionedUsers: []openboards.User{*b.member, *b.vendor},
			CreatedAt: now, UpdatedAt: now}, got)
		diff(t, "log", logged{openboards.ActionNoteCreated, b.admin.ID, "added a note mentioning " + userPH(b.member) + ", " + userPH(b.vendor)}, b.log(t, tk.ID)[0])
		diff(t, "included users", []openboards.User{*b.member, *b.vendor}, b.lastLog(t, tk.ID).Included.Users)
		// A note is not a reply.
		diff(t, "ticket", tk, b.ticket(t, tk.ID))

		html, err := b.svc.CreateNote(b.ctx, b.cm, tk.ID, ticket.NoteInput{Author: openboards.UserRef{ID: b.reader.ID}, Message: "<p>Seen <script>x</script></p>", IsHTML: true})
		if err != nil {
			t.Fatal(err)
		}
		if html.Message != "Seen" || html.HTMLMessage == nil || *html.HTMLMessage != "<p>Seen </p>" {
			t.Fatalf("HTML note: message %q, HTML %v", html.Message, html.HTMLMessage)
		}
		diff(t, "log", logged{openboards.ActionNoteCreated, b.reader.ID, "added a note"}, b.log(t, tk.ID)[0])
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		for _, tt := range []struct {
			in  ticket.NoteInput
			msg string
		}{
			{ticket.NoteInput{Message: "x"}, "author: required"},
			{ticket.NoteInput{Author: openboards.UserRef{ID: b.customer.ID}, Message: "x"}, "author: user " + b.customer.ID + " is not a teammate"},
			{ticket.NoteInput{Author: openboards.UserRef{ID: b.cm.APIUserID}, Message: "x"}, "is not a teammate"},
			{ticket.NoteInput{Author: openboards.UserRef{ID: b.outsider.ID}, Message: "x"}, "author: "},
			{ticket.NoteInput{Author: openboards.UserRef{ID: b.member.ID}, Message: " "}, "message: a note needs a message or an attachment"},
			{ticket.NoteInput{Author: openboards.UserRef{ID: b.member.ID}, Message: "x", MentionedUsers: []openboards.UserRef{{ID: b.admin.ID}, {Email: "customer@example.com"}}},
				"mentionedUsers[1]: user " + b.customer.ID + " is not a teammate"},
			{ticket.NoteInput{Author: openboards.UserRef{ID: b.member.ID}, Message: "x", MentionedUsers: []openboards.UserRef{{ID: "nope"}}}, "mentionedUsers[0].id: "},
		} {
			_, err := b.svc.CreateNote(b.ctx, b.cm, tk.ID, tt.in)
			wantErr(t, err, openboards.CodeInvalid, tt.msg)
		}
		if notes, err := b.store.FindNotes(b.ctx, b.cm.ID, tk.ID, 0, 10); err != nil || len(notes) != 0 {
			t.Fatalf("refused notes were stored: %v, %v", notes, err)
		}
		if n := len(b.log(t, tk.ID)); n != 1 {
			t.Fatalf("refused notes logged: %d entries", n)
		}
	})
	t.Run("UpdateKeepsWhatIsNotGiven", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		n, err := b.svc.CreateNote(b.ctx, b.cm, tk.ID, ticket.NoteInput{Author: openboards.UserRef{ID: b.admin.ID},
			Message: "<p>Original</p>", IsHTML: true, Attachments: []ticket.AttachmentInput{{URL: "https://example.com/a.txt", Name: "A"}},
			MentionedUsers: []openboards.UserRef{{ID: b.member.ID}}})
		if err != nil {
			t.Fatal(err)
		}
		find := func() *openboards.Note {
			t.Helper()
			got, err := b.store.FindNoteByID(b.ctx, b.cm.ID, tk.ID, n.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		want := find()

		// Only attachments: the message (still HTML) and the mentions stay.
		b.clock.advance(time.Minute)
		if _, err := b.svc.UpdateNote(b.ctx, b.cm, tk.ID, n.ID, ticket.NoteInput{Attachments: []ticket.AttachmentInput{{URL: "https://example.com/b.txt", Name: "B"}}}); err != nil {
			t.Fatal(err)
		}
		want.Attachments = []openboards.Attachment{{URL: "https://example.com/b.txt", Name: "B"}}
		want.UpdatedAt = b.clock.stored()
		diff(t, "after changing attachments", want, find())
		diff(t, "log", logged{openboards.ActionNoteUpdated, b.cm.APIUserID, "edited a note mentioning " + userPH(b.member)}, b.log(t, tk.ID)[0])

		// Only the message, by a named teammate: attachments and mentions stay,
		// and so does the author.
		b.clock.advance(time.Minute)
		if _, err := b.svc.UpdateNote(b.ctx, b.cm, tk.ID, n.ID, ticket.NoteInput{Author: openboards.UserRef{ID: b.vendor.ID}, Message: "Plain now"}); err != nil {
			t.Fatal(err)
		}
		want.Message, want.HTMLMessage, want.UpdatedAt = "Plain now", nil, b.clock.stored()
		diff(t, "after changing the message", want, find())
		diff(t, "log", logged{openboards.ActionNoteUpdated, b.vendor.ID, "edited a note mentioning " + userPH(b.member)}, b.log(t, tk.ID)[0])

		// An empty list of mentions clears them.
		b.clock.advance(time.Minute)
		if _, err := b.svc.UpdateNote(b.ctx, b.cm, tk.ID, n.ID, ticket.NoteInput{MentionedUsers: []openboards.UserRef{}}); err != nil {
			t.Fatal(err)
		}
		want.MentionedUserIDs, want.MentionedUsers, want.UpdatedAt = nil, nil, b.clock.stored()
		diff(t, "after clearing mentions", want, find())

		// Refused edits change nothing.
		_, err = b.svc.UpdateNote(b.ctx, b.cm, tk.ID, n.ID, ticket.NoteInput{MentionedUsers: []openboards.UserRef{{ID: b.customer.ID}}})
		wantErr(t, err, openboards.CodeInvalid, "mentionedUsers[0]: ")
		_, err = b.svc.UpdateNote(b.ctx, b.cm, tk.ID, n.ID, ticket.NoteInput{Author: openboards.UserRef{ID: b.customer.ID}, Message: "x"})
		wantErr(t, err, openboards.CodeInvalid, "author: ")
		_, err = b.svc.UpdateNote(b.ctx, b.cm, tk.ID, n.ID+1, ticket.NoteInput{Message: "x"})
		wantErr(t, err, openboards.CodeNotFound, "")
		diff(t, "after refused edits", want, find())
	})
	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		n, err := b.svc.CreateNote(b.ctx, b.cm, tk.ID, ticket.NoteInput{Author: openboards.UserRef{ID: b.admin.ID}, Message: "x"})
		if err != nil {
			t.Fatal(err)
		}
		wantErr(t, b.svc.DeleteNote(b.ctx, b.other, tk.ID, n.ID), openboards.CodeNotFound, "")
		if err := b.svc.DeleteNote(b.ctx, b.cm, tk.ID, n.ID); err != nil {
			t.Fatal(err)
		}
		_, err = b.store.FindNoteByID(b.ctx, b.cm.ID, tk.ID, n.ID)
		wantErr(t, err, openboards.CodeNotFound, "")
		diff(t, "log", logged{openboards.ActionNoteDeleted, b.cm.APIUserID, "deleted a note"}, b.log(t, tk.ID)[0])
		wantErr(t, b.svc.DeleteNote(b.ctx, b.cm, tk.ID, n.ID), openboards.CodeNotFound, "")
		if n := len(b.log(t, tk.ID)); n != 3 {
			t.Fatalf("log has %d entries, want 3", n)
		}
	})
}

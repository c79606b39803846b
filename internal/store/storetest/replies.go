package storetest

import (
	"openboards/internal/openboards"
	"slices"
	"testing"
)

func testReplies(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		customer := b.user(b.cm1, userOpts{Name: "Ada", Email: "ada@example.com"})
		tom := b.teammate(b.cm1, "Tom")
		tk := b.ticket(b.cm1, customer, &openboards.Ticket{})
		otherTicket := b.ticket(b.cm1, customer, &openboards.Ticket{})
		r1 := b.reply(tom, tk, &openboards.Reply{Message: "Hi", HTMLMessage: "<p>Hi</p>", IsByTeam: true, IsHidden: true,
			Tags: []string{"t1"}, Attachments: []openboards.Attachment{{URL: "https://example.com/f.txt", Name: "f.txt"}},
			CCEmails: []string{"cc@example.com"}, ToEmails: []string{"ada@example.com"}, CreatedAt: at(1), UpdatedAt: at(2)})
		r2 := b.reply(customer, tk, &openboards.Reply{ParentReplyID: &r1.ID, Level: 1})
		r3 := b.reply(tom, tk, &openboards.Reply{ParentReplyID: &r2.ID, Level: 2, IsByTeam: true})
		b.reply(tom, otherTicket, &openboards.Reply{})
		if r1.ID == 0 || r1.ID == r2.ID {
			t.Fatalf("ids %d and %d", r1.ID, r2.ID)
		}
		want1 := *r1
		want1.Author = tom
		got, err := b.store.FindReplyByID(b.ctx, b.cm1.ID, tk.ID, r1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "reply", &want1, got)
		want2, want3 := *r2, *r3
		want2.Author, want3.Author = customer, tom
		list, err := b.store.FindReplies(b.ctx, b.cm1.ID, tk.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "replies oldest first", []*openboards.Reply{&want1, &want2, &want3}, list)
		list, err = b.store.FindReplies(b.ctx, b.cm1.ID, tk.ID, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "page of replies", []*openboards.Reply{&want2}, list)
		_, err = b.store.FindReplyByID(b.ctx, b.cm1.ID, otherTicket.ID, r1.ID)
		wantCode(t, err, openboards.CodeNotFound)
	})
	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		tom := b.teammate(b.cm1, "Tom")
		tk := b.ticket(b.cm1, tom, &openboards.Ticket{})
		r := b.reply(tom, tk, &openboards.Reply{IsByTeam: true, IsDraft: true, Tags: []string{"old"}})
		want := *r
		want.Author = tom
		update := func(what string, u openboards.ReplyUpdate) {
			t.Helper()
			b.tx(func(tx openboards.Tx) error { return tx.UpdateReply(b.ctx, b.cm1.ID, tk.ID, r.ID, u) })
			got, err := b.store.FindReplyByID(b.ctx, b.cm1.ID, tk.ID, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, what, &want, got)
		}
		if !b.findTicket(b.cm1, tk.ID).HasDraft {
			t.Fatal("HasDraft is false with a draft reply")
		}
		want.UpdatedAt = at(20)
		update("UpdatedAt only", openboards.ReplyUpdate{UpdatedAt: at(20)})
		want.Message, want.HTMLMessage, want.UpdatedAt = "New", "<b>New</b>", at(21)
		update("message", openboards.ReplyUpdate{Message: ptr("New"), HTMLMessage: ptr("<b>New</b>"), UpdatedAt: at(21)})
		want.Attachments, want.UpdatedAt = []openboards.Attachment{{URL: "https://example.com/x", Name: "x", IsContentPart: true}}, at(22)
		update("attachments", openboards.ReplyUpdate{Attachments: &want.Attachments, UpdatedAt: at(22)})
		want.Tags, want.UpdatedAt = []string{"a", "B"}, at(23)
		update("tags", openboards.ReplyUpdate{Tags: &[]string{"a", "B"}, UpdatedAt: at(23)})
		want.IsDraft, want.UpdatedAt = false, at(24)
		update("published", openboards.ReplyUpdate{IsDraft: ptr(false), UpdatedAt: at(24)})
		if b.findTicket(b.cm1, tk.ID).HasDraft {
			t.Fatal("HasDraft is true after the draft was published")
		}
		err := b.try(func(tx openboards.Tx) error {
			return tx.UpdateReply(b.ctx, b.cm1.ID, tk.ID, r.ID+100, openboards.ReplyUpdate{UpdatedAt: at(25)})
		})
		wantCode(t, err, openboards.CodeNotFound)
	})
	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		tom := b.teammate(b.cm1, "Tom")
		tk := b.ticket(b.cm1, tom, &openboards.Ticket{})
		r1 := b.reply(tom, tk, &openboards.Reply{})
		r2 := b.reply(tom, tk, &openboards.Reply{ParentReplyID: &r1.ID, Level: 1})
		r3 := b.reply(tom, tk, &openboards.Reply{ParentReplyID: &r2.ID, Level: 2})
		draft := b.reply(tom, tk, &openboards.Reply{IsDraft: true})
		b.tx(func(tx openboards.Tx) error { return tx.DeleteReply(b.ctx, b.cm1.ID, tk.ID, r1.ID) })
		_, err := b.store.FindReplyByID(b.ctx, b.cm1.ID, tk.ID, r1.ID)
		wantCode(t, err, openboards.CodeNotFound)
		got, err := b.store.FindReplyByID(b.ctx, b.cm1.ID, tk.ID, r2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ParentReplyID != nil || got.Level != 1 {
			t.Fatalf("child of a deleted reply: parent %v, level %d; want no parent, level 1", got.ParentReplyID, got.Level)
		}
		got, err = b.store.FindReplyByID(b.ctx, b.cm1.ID, tk.ID, r3.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ParentReplyID == nil || *got.ParentReplyID != r2.ID {
			t.Fatalf("grandchild lost its parent: %v", got.ParentReplyID)
		}
		b.tx(func(tx openboards.Tx) error { return tx.DeleteReply(b.ctx, b.cm1.ID, tk.ID, draft.ID) })
		if b.findTicket(b.cm1, tk.ID).HasDraft {
			t.Fatal("HasDraft is true after the draft was deleted")
		}
		err = b.try(func(tx openboards.Tx) error { return tx.DeleteReply(b.ctx, b.cm1.ID, tk.ID, r1.ID) })
		wantCode(t, err, openboards.CodeNotFound)
	})
}

func testNotes(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		amy, tom, zed := b.teammate(b.cm1, "Amy"), b.teammate(b.cm1, "Tom"), b.teammate(b.cm1, "Zed")
		tk := b.ticket(b.cm1, amy, &openboards.Ticket{})
		n1 := &openboards.Note{TicketID: tk.ID, CommunityID: b.cm1.ID, AuthorID: amy.ID, Message: "Look", HTMLMessage: ptr("<p>Look</p>"),
			Attachments:      []openboards.Attachment{{URL: "https://example.com/n", Name: "n"}},
			MentionedUserIDs: []string{zed.ID, tom.ID}, CreatedAt: at(1), UpdatedAt: at(1)}
		n2 := &openboards.Note{TicketID: tk.ID, CommunityID: b.cm1.ID, AuthorID: tom.ID, Message: "Plain", CreatedAt: at(2), UpdatedAt: at(2)}
		b.tx(func(tx openboards.Tx) error {
			if err := tx.CreateNote(b.ctx, n1); err != nil {
				return err
			}
			return tx.CreateNote(b.ctx, n2)
		})
		if n1.ID == 0 || n1.ID == n2.ID {
			t.Fatalf("ids %d and %d", n1.ID, n2.ID)
		}
		want1, want2 := *n1, *n2
		want1.Author, want1.MentionedUsers = amy, []openboards.User{*zed, *tom}
		want2.Author = tom
		got, err := b.store.FindNoteByID(b.ctx, b.cm1.ID, tk.ID, n1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "note", &want1, got)
		list, err := b.store.FindNotes(b.ctx, b.cm1.ID, tk.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "notes oldest first", []*openboards.Note{&want1, &want2}, list)
		list, err = b.store.FindNotes(b.ctx, b.cm1.ID, tk.ID, 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "page of notes", []*openboards.Note{&want2}, list)

		upd := *n1
		upd.Message, upd.HTMLMessage, upd.Attachments, upd.MentionedUserIDs, upd.UpdatedAt = "Edited", nil, nil, []string{amy.ID}, at(5)
		b.tx(func(tx openboards.Tx) error { return tx.UpdateNote(b.ctx, &upd) })
		want1 = upd
		want1.Author, want1.MentionedUsers = amy, []openboards.User{*amy}
		got, err = b.store.FindNoteByID(b.ctx, b.cm1.ID, tk.ID, n1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "updated note", &want1, got)

		b.tx(func(tx openboards.Tx) error { return tx.DeleteNote(b.ctx, b.cm1.ID, tk.ID, n1.ID) })
		_, err = b.store.FindNoteByID(b.ctx, b.cm1.ID, tk.ID, n1.ID)
		wantCode(t, err, openboards.CodeNotFound)
		list, err = b.store.FindNotes(b.ctx, b.cm1.ID, tk.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "notes after delete", []*openboards.Note{&want2}, list)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		amy := b.teammate(b.cm1, "Amy")
		tk := b.ticket(b.cm1, amy, &openboards.Ticket{})
		other := b.ticket(b.cm1, amy, &openboards.Ticket{})
		n := &openboards.Note{TicketID: tk.ID, CommunityID: b.cm1.ID, AuthorID: amy.ID, Message: "x", CreatedAt: at(1), UpdatedAt: at(1)}
		b.tx(func(tx openboards.Tx) error { return tx.CreateNote(b.ctx, n) })
		_, err := b.store.FindNoteByID(b.ctx, b.cm1.ID, other.ID, n.ID)
		wantCode(t, err, openboards.CodeNotFound)
		err = b.try(func(tx openboards.Tx) error {
			upd := *n
			upd.ID = n.ID + 100
			return tx.UpdateNote(b.ctx, &upd)
		})
		wantCode(t, err, openboards.CodeNotFound)
		err = b.try(func(tx openboards.Tx) error { return tx.DeleteNote(b.ctx, b.cm1.ID, other.ID, n.ID) })
		wantCode(t, err, openboards.CodeNotFound)
		if _, err := b.store.FindNoteByID(b.ctx, b.cm1.ID, tk.ID, n.ID); err != nil {
			t.Fatalf("a delete on another ticket removed the note: %v", err)
		}
	})
}

func testLogEntries(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		customer := b.user(b.cm1, userOpts{Name: "Ada", Email: "ada@example.com", CustomIdentifier: "ada"})
		tom := b.teammate(b.cm1, "Tom")
		api, err := b.store.FindUserByID(b.ctx, b.cm1.ID, b.cm1.APIUserID)
		if err != nil {
			t.Fatal(err)
		}
		tk := b.ticket(b.cm1, customer, &openboards.Ticket{})
		other := b.ticket(b.cm1, customer, &openboards.Ticket{})
		entry := func(user *openboards.User, typ, text string, inc openboards.IncludedItems, i int) *openboards.LogEntry {
			return &openboards.LogEntry{TicketID: tk.ID, CommunityID: b.cm1.ID, UserID: user.ID, ActionType: typ, ActionString: text, Included: inc, CreatedAt: at(i)}
		}
		e1 := entry(customer, openboards.ActionTicketCreated, "created the ticket", openboards.IncludedItems{}, 1)
		e2 := entry(api, openboards.ActionTicketAssignedToUser, "changed ticket assignee to {User:"+tom.ID+"}",
			openboards.IncludedItems{Users: []openboards.User{*tom, *customer}}, 2)
		e3 := entry(api, openboards.ActionTicketCategoryChanged, "changed the category from {Category:1} to {Category:2}",
			openboards.IncludedItems{Categories: []openboards.CategoryRef{{ID: 1, Name: "Old"}, {ID: 2, Name: "New \"one\""}}}, 3)
		e4 := entry(tom, openboards.ActionTicketTagsChanged, "changed the tags of the ticket to {Tag:7}, {Tag:8}",
			openboards.IncludedItems{Tags: []openboards.Tag{{ID: 7, CommunityID: b.cm1.ID, Name: "a"}, {ID: 8, CommunityID: b.cm1.ID, Name: "ü"}}}, 4)
		onOther := &openboards.LogEntry{TicketID: other.ID, CommunityID: b.cm1.ID, UserID: tom.ID, ActionType: openboards.ActionTicketRead,
			ActionString: "read the ticket", CreatedAt: at(5)}
		b.tx(func(tx openboards.Tx) error {
			for _, e := range []*openboards.LogEntry{e1, e2, e3, e4, onOther} {
				if err := tx.CreateLogEntry(b.ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if e1.ID == 0 || e1.ID == e2.ID {
			t.Fatalf("ids %d and %d", e1.ID, e2.ID)
		}
		want := func(e *openboards.LogEntry, u *openboards.User) *openboards.LogEntry {
			w := *e
			w.User = u
			return &w
		}
		w1, w2, w3, w4 := want(e1, customer), want(e2, api), want(e3, api), want(e4, tom)
		for _, tt := range []struct {
			name       string
			types      []string
			skip, take int
			want       []*openboards.LogEntry
		}{
			{"All", nil, 0, 10, []*openboards.LogEntry{w4, w3, w2, w1}},
			{"EmptyTypes", []string{}, 0, 10, []*openboards.LogEntry{w4, w3, w2, w1}},
			{"Types", []string{openboards.ActionTicketTagsChanged, openboards.ActionTicketAssignedToUser}, 0, 10, []*openboards.LogEntry{w4, w2}},
			{"UnknownType", []string{"nothing"}, 0, 10, nil},
			{"Page", nil, 1, 2, []*openboards.LogEntry{w3, w2}},
			{"TypesPage", []string{openboards.ActionTicketTagsChanged, openboards.ActionTicketCreated}, 1, 1, []*openboards.LogEntry{w1}},
		} {
			got, err := b.store.FindLogEntries(b.ctx, b.cm1.ID, tk.ID, tt.types, tt.skip, tt.take)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, tt.name, tt.want, got)
		}
	})
	t.Run("Append", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		customer := b.user(b.cm1, userOpts{Name: "Ada", Email: "ada@example.com"})
		tk := b.ticket(b.cm1, customer, &openboards.Ticket{})
		entry := func(typ string, i int) *openboards.LogEntry {
			return &openboards.LogEntry{TicketID: tk.ID, CommunityID: b.cm1.ID, UserID: customer.ID, ActionType: typ,
				ActionString: typ, CreatedAt: at(i)}
		}
		types := func(es []*openboards.LogEntry) []string {
			var out []string
			for _, e := range es {
				out = append(out, e.ActionType)
			}
			return out
		}
		// Appended entries are in the log for the transaction's own reads,
		// in order with the statements around them, and after commit.
		b.tx(func(tx openboards.Tx) error {
			if err := tx.AppendLogEntry(b.ctx, entry(openboards.ActionTicketCreated, 1)); err != nil {
				return err
			}
			if err := tx.CreateLogEntry(b.ctx, entry(openboards.ActionTicketRead, 2)); err != nil {
				return err
			}
			if err := tx.AppendLogEntry(b.ctx, entry(openboards.ActionTicketTagsChanged, 3)); err != nil {
				return err
			}
			got, err := tx.FindLogEntries(b.ctx, b.cm1.ID, tk.ID, nil, 0, 10)
			if err != nil {
				return err
			}
			if want := []string{openboards.ActionTicketTagsChanged, openboards.ActionTicketRead, openboards.ActionTicketCreated}; !slices.Equal(types(got), want) {
				t.Errorf("inside the transaction: %v, want %v", types(got), want)
			}
			return tx.AppendLogEntry(b.ctx, entry(openboards.ActionTicketStatusChanged, 4))
		})
		got, err := b.store.FindLogEntries(b.ctx, b.cm1.ID, tk.ID, nil, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{openboards.ActionTicketStatusChanged, openboards.ActionTicketTagsChanged, openboards.ActionTicketRead, openboards.ActionTicketCreated}
		if !slices.Equal(types(got), want) {
			t.Errorf("after commit: %v, want %v", types(got), want)
		}

		// An entry that cannot be stored fails the transaction, which
		// leaves nothing behind, wherever the backend sends it.
		err = b.store.InTx(b.ctx, func(tx openboards.Tx) error {
			if err := tx.AppendLogEntry(b.ctx, entry(openboards.ActionTicketRead, 5)); err != nil {
				return err
			}
			bad := entry(openboards.ActionTicketRead, 6)
			bad.UserID = "no such user"
			return tx.AppendLogEntry(b.ctx, bad)
		})
		if err == nil {
			t.Fatal("appending an entry by an unknown user committed")
		}
		if got, err = b.store.FindLogEntries(b.ctx, b.cm1.ID, tk.ID, nil, 0, 10); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(types(got), want) {
			t.Errorf("after the failed transaction: %v, want %v", types(got), want)
		}
	})
}

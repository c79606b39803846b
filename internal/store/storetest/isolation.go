package storetest

import (
	"errors"
	"fmt"
	"openboards/internal/openboards"
	"sync"
	"testing"
	"time"
)

// testIsolation checks that one community's objects are invisible to
// another: finds report CodeNotFound, lists leave them out, and updates and
// deletes report CodeNotFound and change nothing.
func testIsolation(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	cm1, cm2 := b.cm1.ID, b.cm2.ID
	ctx := b.ctx

	// Everything below belongs to cm1.
	author := b.user(b.cm1, userOpts{Name: "Ada", Email: "ada@example.com", CustomIdentifier: "ada"})
	tom := b.teammate(b.cm1, "Tom")
	b.teammate(b.cm2, "Other")
	group := &openboards.UserGroup{CommunityID: cm1, Name: "Team", CreatedAt: at(1)}
	b.tx(func(tx openboards.Tx) error {
		if err := tx.CreateUserGroup(ctx, group); err != nil {
			return err
		}
		return tx.AddUserGroupMembers(ctx, cm1, group.ID, []string{tom.ID})
	})
	parent := b.category(b.cm1, &openboards.Category{Name: "Parent", CanBeChosen: true})
	cat := b.category(b.cm1, &openboards.Category{Name: "Child", ParentID: &parent.ID, CanBeChosen: true})
	field := b.field(b.cm1, &openboards.CustomField{Name: "F"})
	b.tx(func(tx openboards.Tx) error {
		_, err := tx.UpsertTags(ctx, cm1, []string{"tag"})
		return err
	})
	tk := b.ticket(b.cm1, author, &openboards.Ticket{CategoryID: &cat.ID, AssigneeID: &tom.ID,
		CustomFields: []openboards.FieldValue{{FieldID: field.ID, Value: "v"}}})
	reply := b.reply(tom, tk, &openboards.Reply{IsByTeam: true})
	note := &openboards.Note{TicketID: tk.ID, CommunityID: cm1, AuthorID: tom.ID, Message: "n", CreatedAt: at(1), UpdatedAt: at(1)}
	entry := &openboards.LogEntry{TicketID: tk.ID, CommunityID: cm1, UserID: author.ID, ActionType: openboards.ActionTicketCreated,
		ActionString: "created the ticket", CreatedAt: at(1)}
	widget := &openboards.WidgetSchedule{CommunityID: cm1, TimePeriod: openboards.PeriodEveryDay,
		Times: []openboards.ScheduleTime{{StartAt: "08:00:00", EndAt: "09:00:00"}}}
	token := &openboards.RefreshToken{CommunityID: cm1, Name: "default", Hash: []byte("isolation-hash-0123"), CreatedAt: at(1)}
	b.tx(func(tx openboards.Tx) error {
		if err := tx.CreateNote(ctx, note); err != nil {
			return err
		}
		if err := tx.CreateLogEntry(ctx, entry); err != nil {
			return err
		}
		if err := tx.PutWidgetSchedule(ctx, widget); err != nil {
			return err
		}
		return tx.CreateRefreshToken(ctx, token)
	})
	before := b.findTicket(b.cm1, tk.ID)
	faq := b.faqInstance(b.cm1, "Help")
	faqCat := b.faqCategory(faq, &openboards.FaqCategory{Title: "Cat", IsPublished: true})
	faqTag := &openboards.FaqTag{CommunityID: cm1, InstanceID: faq.ID, Name: "tag"}
	b.tx(func(tx openboards.Tx) error { return tx.CreateFaqTag(ctx, faqTag) })
	faqTopic := b.faqTopic(faqCat, &openboards.FaqTopic{Title: "Refunds", Text: "refund", IsPublished: true, TagIDs: []int64{faqTag.ID}})
	b.vote(faqTopic, "v", true)
	b.view(faqTopic, 1)
	faqCatBefore, faqTopicBefore := b.findFaqCategory(b.cm1, faqCat.ID), b.findFaqTopic(b.cm1, faqTopic.ID)

	t.Run("Find", func(t *testing.T) {
		for name, find := range map[string]func(r openboards.Reader) error{
			"FindUserByID": func(r openboards.Reader) error { _, err := r.FindUserByID(ctx, cm2, author.ID); return err },
			"FindUserByEmail": func(r openboards.Reader) error {
				_, err := r.FindUserByEmail(ctx, cm2, "ada@example.com")
				return err
			},
			"FindUserByCustomIdentifier": func(r openboards.Reader) error {
				_, err := r.FindUserByCustomIdentifier(ctx, cm2, "ada")
				return err
			},
			"FindUserGroupByID":   func(r openboards.Reader) error { _, err := r.FindUserGroupByID(ctx, cm2, group.ID); return err },
			"FindCategoryByID":    func(r openboards.Reader) error { _, err := r.FindCategoryByID(ctx, cm2, cat.ID); return err },
			"FindCustomFieldByID": func(r openboards.Reader) error { _, err := r.FindCustomFieldByID(ctx, cm2, field.ID); return err },
			"FindTicketByID":      func(r openboards.Reader) error { _, err := r.FindTicketByID(ctx, cm2, tk.ID); return err },
			"FindReplyByID":       func(r openboards.Reader) error { _, err := r.FindReplyByID(ctx, cm2, tk.ID, reply.ID); return err },
			"FindNoteByID":        func(r openboards.Reader) error { _, err := r.FindNoteByID(ctx, cm2, tk.ID, note.ID); return err },
			"FindFaqInstance":     func(r openboards.Reader) error { _, err := r.FindFaqInstance(ctx, cm2, faq.ID); return err },
			"FindFaqCategory":     func(r openboards.Reader) error { _, err := r.FindFaqCategory(ctx, cm2, faqCat.ID); return err },
			"FindFaqTopic":        func(r openboards.Reader) error { _, err := r.FindFaqTopic(ctx, cm2, faqTopic.ID); return err },
		} {
			if err := find(b.store); openboards.ErrorCode(err) != openboards.CodeNotFound {
				t.Errorf("%s: got %v, want code %q", name, err, openboards.CodeNotFound)
			}
			// The same inside a transaction.
			b.tx(func(tx openboards.Tx) error {
				if err := find(tx); openboards.ErrorCode(err) != openboards.CodeNotFound {
					t.Errorf("%s in a transaction: got %v, want code %q", name, err, openboards.CodeNotFound)
				}
				return nil
			})
		}
	})
	t.Run("List", func(t *testing.T) {
		empty := func(name string, n int, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if n != 0 {
				t.Errorf("%s: got %d of another community's objects", name, n)
			}
		}
		users, err := b.store.FindUsersByIDs(ctx, cm2, []string{author.ID, tom.ID})
		empty("FindUsersByIDs", len(users), err)
		mates, err := b.store.FindTeammates(ctx, cm2, nil)
		if err != nil || len(mates) != 1 || mates[0].Name != "Other" {
			t.Errorf("FindTeammates: %v, %v; want only Other", mates, err)
		}
		mates, err = b.store.FindTeammates(ctx, cm2, &group.ID)
		empty("FindTeammates in group", len(mates), err)
		groups, err := b.store.FindUserGroups(ctx, cm2)
		empty("FindUserGroups", len(groups), err)
		members, err := b.store.FindUserGroupMemberIDs(ctx, cm2, group.ID)
		empty("FindUserGroupMemberIDs", len(members), err)
		cats, err := b.store.FindCategories(ctx, cm2)
		empty("FindCategories", len(cats), err)
		n, err := b.store.CountCategoryChildren(ctx, cm2, parent.ID)
		empty("CountCategoryChildren", n, err)
		fields, err := b.store.FindCustomFields(ctx, cm2)
		empty("FindCustomFields", len(fields), err)
		tags, err := b.store.FindTags(ctx, cm2)
		empty("FindTags", len(tags), err)
		tickets, err := b.store.FindTickets(ctx, openboards.TicketFilter{CommunityID: cm2, Take: 10})
		empty("FindTickets", len(tickets), err)
		ids, err := b.store.FindTicketIDs(ctx, openboards.TicketFilter{CommunityID: cm2, TicketIDs: []int64{tk.ID}, Take: 10})
		empty("FindTicketIDs", len(ids), err)
		replies, err := b.store.FindReplies(ctx, cm2, tk.ID, 0, 10)
		empty("FindReplies", len(replies), err)
		notes, err := b.store.FindNotes(ctx, cm2, tk.ID, 0, 10)
		empty("FindNotes", len(notes), err)
		entries, err := b.store.FindLogEntries(ctx, cm2, tk.ID, nil, 0, 10)
		empty("FindLogEntries", len(entries), err)
		widgets, err := b.store.FindWidgetSchedules(ctx, cm2, nil)
		empty("FindWidgetSchedules", len(widgets), err)
		widgets, err = b.store.FindWidgetSchedules(ctx, cm2, &widget.WidgetID)
		empty("FindWidgetSchedules by id", len(widgets), err)
		tokens, err := b.store.FindRefreshTokens(ctx, cm2)
		empty("FindRefreshTokens", len(tokens), err)
		instances, err := b.store.FindFaqInstances(ctx, cm2)
		empty("FindFaqInstances", len(instances), err)
		faqCats, err := b.store.FindFaqCategories(ctx, cm2, faq.ID, "", false)
		empty("FindFaqCategories", len(faqCats), err)
		faqTags, err := b.store.FindFaqTags(ctx, cm2, faq.ID)
		empty("FindFaqTags", len(faqTags), err)
		faqTopics, n, err := b.store.FindFaqTopics(ctx, openboards.FaqTopicFilter{CommunityID: cm2, InstanceID: faq.ID, Take: 10})
		empty("FindFaqTopics", len(faqTopics)+n, err)
		for _, text := range []string{"refund", "refnd"} {
			hits, n, err := b.store.SearchFaqTopics(ctx, openboards.FaqSearch{FaqTopicFilter: openboards.FaqTopicFilter{CommunityID: cm2, InstanceID: faq.ID, Take: 10}, Text: text})
			empty("SearchFaqTopics "+text, len(hits)+n, err)
		}
	})
	t.Run("Write", func(t *testing.T) {
		for name, write := range map[string]func(tx openboards.Tx) error{
			"UpdateUser": func(tx openboards.Tx) error {
				u := *author
				u.CommunityID, u.Name = cm2, "Stolen"
				return tx.UpdateUser(ctx, &u)
			},
			"UpdateUserGroup": func(tx openboards.Tx) error {
				return tx.UpdateUserGroup(ctx, &openboards.UserGroup{ID: group.ID, CommunityID: cm2, Name: "Stolen"})
			},
			"RemoveUserGroupMember": func(tx openboards.Tx) error { return tx.RemoveUserGroupMember(ctx, cm2, group.ID, tom.ID) },
			"DeleteUserGroup":       func(tx openboards.Tx) error { return tx.DeleteUserGroup(ctx, cm2, group.ID) },
			"UpdateCategory": func(tx openboards.Tx) error {
				return tx.UpdateCategory(ctx, &openboards.Category{ID: cat.ID, CommunityID: cm2, Name: "Stolen"})
			},
			"DeleteCategory": func(tx openboards.Tx) error { return tx.DeleteCategory(ctx, cm2, cat.ID) },
			"UpdateCustomField": func(tx openboards.Tx) error {
				return tx.UpdateCustomField(ctx, &openboards.CustomField{ID: field.ID, CommunityID: cm2, Name: "Stolen", Type: openboards.FieldText})
			},
			"DeleteCustomField": func(tx openboards.Tx) error { return tx.DeleteCustomField(ctx, cm2, field.ID) },
			"UpdateTicket": func(tx openboards.Tx) error {
				return tx.UpdateTicket(ctx, cm2, tk.ID, openboards.TicketUpdate{Status: ptr(openboards.TicketArchived), ReplyCountDiff: 5, UpdatedAt: at(50)})
			},
			"UpdateReply": func(tx openboards.Tx) error {
				return tx.UpdateReply(ctx, cm2, tk.ID, reply.ID, openboards.ReplyUpdate{Message: ptr("Stolen"), UpdatedAt: at(50)})
			},
			"DeleteReply": func(tx openboards.Tx) error { return tx.DeleteReply(ctx, cm2, tk.ID, reply.ID) },
			"UpdateNote": func(tx openboards.Tx) error {
				n := *note
				n.CommunityID, n.Message = cm2, "Stolen"
				return tx.UpdateNote(ctx, &n)
			},
			"DeleteNote": func(tx openboards.Tx) error { return tx.DeleteNote(ctx, cm2, tk.ID, note.ID) },
			"PutWidgetSchedule": func(tx openboards.Tx) error {
				return tx.PutWidgetSchedule(ctx, &openboards.WidgetSchedule{WidgetID: widget.WidgetID, CommunityID: cm2, TimePeriod: openboards.PeriodCustom,
					CustomTimes: &openboards.CustomTimes{}})
			},
			"DeleteWidgetSchedule": func(tx openboards.Tx) error { return tx.DeleteWidgetSchedule(ctx, cm2, widget.WidgetID) },
			"RevokeRefreshToken":   func(tx openboards.Tx) error { return tx.RevokeRefreshToken(ctx, cm2, token.ID, at(50)) },
			"UpdateFaqInstance": func(tx openboards.Tx) error {
				u := *faq
				u.CommunityID, u.Name = cm2, "Stolen"
				return tx.UpdateFaqInstance(ctx, &u)
			},
			"DeleteFaqInstance": func(tx openboards.Tx) error { return tx.DeleteFaqInstance(ctx, cm2, faq.ID) },
			"CreateFaqCategory": func(tx openboards.Tx) error {
				return tx.CreateFaqCategory(ctx, &openboards.FaqCategory{CommunityID: cm2, InstanceID: faq.ID, Title: "Stolen", Language: "en"})
			},
			"UpdateFaqCategory": func(tx openboards.Tx) error {
				u := *faqCat
				u.CommunityID, u.Title = cm2, "Stolen"
				return tx.UpdateFaqCategory(ctx, &u)
			},
			"DeleteFaqCategory": func(tx openboards.Tx) error { return tx.DeleteFaqCategory(ctx, cm2, faqCat.ID) },
			"CreateFaqTag": func(tx openboards.Tx) error {
				return tx.CreateFaqTag(ctx, &openboards.FaqTag{CommunityID: cm2, InstanceID: faq.ID, Name: "stolen"})
			},
			"DeleteFaqTag": func(tx openboards.Tx) error { return tx.DeleteFaqTag(ctx, cm2, faqTag.ID) },
			"CreateFaqTopic": func(tx openboards.Tx) error {
				return tx.CreateFaqTopic(ctx, &openboards.FaqTopic{CommunityID: cm2, CategoryID: faqCat.ID, Title: "Stolen", Text: "x",
					Language: "en", TemplateType: "default", IsPublished: true})
			},
			"UpdateFaqTopic": func(tx openboards.Tx) error {
				u := *faqTopic
				u.CommunityID, u.Title = cm2, "Stolen"
				return tx.UpdateFaqTopic(ctx, &u)
			},
			"DeleteFaqTopic": func(tx openboards.Tx) error { return tx.DeleteFaqTopic(ctx, cm2, faqTopic.ID) },
			"PutFaqVote": func(tx openboards.Tx) error {
				return tx.PutFaqVote(ctx, &openboards.FaqVote{CommunityID: cm2, TopicID: faqTopic.ID, Voter: "w", IsUseful: false, CreatedAt: at(50)})
			},
			"AddFaqView": func(tx openboards.Tx) error { return tx.AddFaqView(ctx, cm2, faqTopic.ID) },
		} {
			if code := openboards.ErrorCode(b.try(write)); code != openboards.CodeNotFound {
				t.Errorf("%s on another community's object: got code %q, want %q", name, code, openboards.CodeNotFound)
			}
		}

		// Nothing changed.
		diff(t, "ticket", before, b.findTicket(b.cm1, tk.ID))
		check := func(name string, err error) {
			t.Helper()
			if err != nil {
				t.Errorf("%s after writes from another community: %v", name, err)
			}
		}
		u, err := b.store.FindUserByID(ctx, cm1, author.ID)
		check("user", err)
		if err == nil && u.Name != "Ada" {
			t.Errorf("user renamed to %q", u.Name)
		}
		g, err := b.store.FindUserGroupByID(ctx, cm1, group.ID)
		check("group", err)
		if err == nil && g.Name != "Team" {
			t.Errorf("group renamed to %q", g.Name)
		}
		members, err := b.store.FindUserGroupMemberIDs(ctx, cm1, group.ID)
		check("group members", err)
		diff(t, "group members", []string{tom.ID}, members)
		c, err := b.store.FindCategoryByID(ctx, cm1, cat.ID)
		check("category", err)
		if err == nil && c.Name != "Child" {
			t.Errorf("category renamed to %q", c.Name)
		}
		f, err := b.store.FindCustomFieldByID(ctx, cm1, field.ID)
		check("custom field", err)
		if err == nil && f.Name != "F" {
			t.Errorf("custom field renamed to %q", f.Name)
		}
		r, err := b.store.FindReplyByID(ctx, cm1, tk.ID, reply.ID)
		check("reply", err)
		if err == nil && r.Message != reply.Message {
			t.Errorf("reply changed to %q", r.Message)
		}
		n, err := b.store.FindNoteByID(ctx, cm1, tk.ID, note.ID)
		check("note", err)
		if err == nil && n.Message != "n" {
			t.Errorf("note changed to %q", n.Message)
		}
		ws, err := b.store.FindWidgetSchedules(ctx, cm1, &widget.WidgetID)
		check("widget", err)
		diff(t, "widget", []*openboards.WidgetSchedule{widget}, ws)
		diff(t, "faq category", faqCatBefore, b.findFaqCategory(b.cm1, faqCat.ID))
		diff(t, "faq topic", faqTopicBefore, b.findFaqTopic(b.cm1, faqTopic.ID))
		if in, err := b.store.FindFaqInstance(ctx, cm1, faq.ID); err != nil || in.Name != "Help" {
			t.Errorf("faq instance after writes from another community: %v, %v", in, err)
		}
		if tags, err := b.store.FindFaqTags(ctx, cm1, faq.ID); err != nil || len(tags) != 1 {
			t.Errorf("faq tags after writes from another community: %v, %v", tags, err)
		}
		rt, err := b.store.FindRefreshTokenByID(ctx, token.ID)
		check("refresh token", err)
		if err == nil && rt.RevokedAt != nil {
			t.Error("another community revoked the refresh token")
		}
	})
}

// testIDsNotReused checks that deleting the newest object of a kind does
// not free its id for the next one: clients keep ids.
func testIDsNotReused(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	ctx, cm := b.ctx, b.cm1.ID
	tom := b.teammate(b.cm1, "Tom")
	tk := b.ticket(b.cm1, tom, &openboards.Ticket{})
	for _, kind := range []struct {
		name   string
		create func(tx openboards.Tx) (int64, error)
		delete func(tx openboards.Tx, id int64) error
	}{
		{"UserGroup", func(tx openboards.Tx) (int64, error) {
			g := &openboards.UserGroup{CommunityID: cm, Name: fmt.Sprintf("Group %d", b.next()), CreatedAt: at(1)}
			err := tx.CreateUserGroup(ctx, g)
			return g.ID, err
		}, func(tx openboards.Tx, id int64) error { return tx.DeleteUserGroup(ctx, cm, id) }},
		{"Category", func(tx openboards.Tx) (int64, error) {
			c := &openboards.Category{CommunityID: cm, Name: "C", CanBeChosen: true}
			err := tx.CreateCategory(ctx, c)
			return c.ID, err
		}, func(tx openboards.Tx, id int64) error { return tx.DeleteCategory(ctx, cm, id) }},
		{"CustomField", func(tx openboards.Tx) (int64, error) {
			f := &openboards.CustomField{CommunityID: cm, Name: "F", Type: openboards.FieldText}
			err := tx.CreateCustomField(ctx, f)
			return f.ID, err
		}, func(tx openboards.Tx, id int64) error { return tx.DeleteCustomField(ctx, cm, id) }},
		{"Reply", func(tx openboards.Tx) (int64, error) {
			r := &openboards.Reply{CommunityID: cm, TicketID: tk.ID, AuthorID: tom.ID, Message: "r", HTMLMessage: "r", CreatedAt: at(1), UpdatedAt: at(1)}
			err := tx.CreateReply(ctx, r)
			return r.ID, err
		}, func(tx openboards.Tx, id int64) error { return tx.DeleteReply(ctx, cm, tk.ID, id) }},
		{"Note", func(tx openboards.Tx) (int64, error) {
			n := &openboards.Note{CommunityID: cm, TicketID: tk.ID, AuthorID: tom.ID, Message: "n", CreatedAt: at(1), UpdatedAt: at(1)}
			err := tx.CreateNote(ctx, n)
			return n.ID, err
		}, func(tx openboards.Tx, id int64) error { return tx.DeleteNote(ctx, cm, tk.ID, id) }},
		{"WidgetSchedule", func(tx openboards.Tx) (int64, error) {
			w := &openboards.WidgetSchedule{CommunityID: cm, TimePeriod: openboards.PeriodCustom, CustomTimes: &openboards.CustomTimes{}}
			err := tx.PutWidgetSchedule(ctx, w)
			return w.WidgetID, err
		}, func(tx openboards.Tx, id int64) error { return tx.DeleteWidgetSchedule(ctx, cm, id) }},
	} {
		var first, second int64
		b.tx(func(tx openboards.Tx) error {
			var err error
			first, err = kind.create(tx)
			return err
		})
		b.tx(func(tx openboards.Tx) error { return kind.delete(tx, first) })
		b.tx(func(tx openboards.Tx) error {
			var err error
			second, err = kind.create(tx)
			return err
		})
		if second <= first {
			t.Errorf("%s: after deleting id %d the next one got id %d", kind.name, first, second)
		}
	}
}

func testTransactions(t *testing.T, newStore NewStore) {
	t.Run("Rollback", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		existing := b.user(b.cm1, userOpts{Email: "taken@example.com"})
		cm := &openboards.Community{Name: "Rolled back", ClientID: openboards.NewID(), APIUserID: openboards.NewID(), CreatedAt: at(1)}
		u := &openboards.User{ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: "Ghost", Email: ptr("ghost@example.com"), Status: openboards.StatusClient, CreatedAt: at(1)}
		tk := &openboards.Ticket{}
		err := b.store.InTx(b.ctx, func(tx openboards.Tx) error {
			if err := tx.CreateCommunity(b.ctx, cm); err != nil {
				return err
			}
			if err := tx.CreateUser(b.ctx, u); err != nil {
				return err
			}
			if err := tx.PutSetting(b.ctx, "ghost", []byte("x")); err != nil {
				return err
			}
			if _, err := tx.UpsertTags(b.ctx, b.cm1.ID, []string{"ghost"}); err != nil {
				return err
			}
			*tk = openboards.Ticket{CommunityID: b.cm1.ID, Title: "Ghost", AuthorID: u.ID, Status: openboards.TicketOpen,
				Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI, CreatedAt: at(1), LastActivityAt: at(1), UpdatedAt: at(1)}
			if err := tx.CreateTicket(b.ctx, tk); err != nil {
				return err
			}
			upd := *existing
			upd.Name = "Renamed"
			if err := tx.UpdateUser(b.ctx, &upd); err != nil {
				return err
			}
			return fmt.Errorf("giving up: %w", errBoom)
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("InTx returned %v, want fn's error", err)
		}
		_, err = b.store.FindCommunityByName(b.ctx, cm.Name)
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.FindUserByID(b.ctx, b.cm1.ID, u.ID)
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.Setting(b.ctx, "ghost")
		wantCode(t, err, openboards.CodeNotFound)
		if tags, err := b.store.FindTags(b.ctx, b.cm1.ID); err != nil || len(tags) != 0 {
			t.Fatalf("tags after rollback: %v, %v", tags, err)
		}
		if ids, err := b.store.FindTicketIDs(b.ctx, openboards.TicketFilter{CommunityID: b.cm1.ID, Take: 10}); err != nil || len(ids) != 0 {
			t.Fatalf("tickets after rollback: %v, %v", ids, err)
		}
		got, err := b.store.FindUserByID(b.ctx, b.cm1.ID, existing.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "user updated in a rolled back transaction", existing, got)
	})
	t.Run("RollbackAfterStoreError", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		b.user(b.cm1, userOpts{Email: "taken@example.com"})
		first := &openboards.User{ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: "First", Email: ptr("first@example.com"), Status: openboards.StatusClient, CreatedAt: at(1)}
		err := b.store.InTx(b.ctx, func(tx openboards.Tx) error {
			if err := tx.CreateUser(b.ctx, first); err != nil {
				return err
			}
			return tx.CreateUser(b.ctx, &openboards.User{ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: "Dup",
				Email: ptr("TAKEN@example.com"), Status: openboards.StatusClient, CreatedAt: at(1)})
		})
		wantCode(t, err, openboards.CodeConflict)
		_, err = b.store.FindUserByID(b.ctx, b.cm1.ID, first.ID)
		wantCode(t, err, openboards.CodeNotFound)
		// The store still takes writes.
		b.user(b.cm1, userOpts{Email: "first@example.com"})
	})
	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		const n = 50
		fails := func(i int) bool { return i%3 == 0 }
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = b.store.InTx(b.ctx, func(tx openboards.Tx) error {
					if err := tx.PutSetting(b.ctx, fmt.Sprintf("key-%02d", i), []byte{byte(i)}); err != nil {
						return err
					}
					if err := tx.CreateUser(b.ctx, &openboards.User{ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: fmt.Sprintf("User %02d", i),
						Email: ptr(fmt.Sprintf("user%02d@example.com", i)), Status: openboards.StatusClient, CreatedAt: at(i)}); err != nil {
						return err
					}
					if fails(i) {
						return fmt.Errorf("write %d: %w", i, errBoom)
					}
					return nil
				})
			})
		}
		close(start)
		wg.Wait()
		for i := range n {
			if fails(i) {
				if !errors.Is(errs[i], errBoom) {
					t.Errorf("write %d: InTx returned %v, want fn's error", i, errs[i])
				}
			} else if errs[i] != nil {
				t.Errorf("write %d: %v", i, errs[i])
			}
			_, errSetting := b.store.Setting(b.ctx, fmt.Sprintf("key-%02d", i))
			_, errUser := b.store.FindUserByEmail(b.ctx, b.cm1.ID, fmt.Sprintf("user%02d@example.com", i))
			for what, err := range map[string]error{"setting": errSetting, "user": errUser} {
				switch {
				case fails(i) && openboards.ErrorCode(err) != openboards.CodeNotFound:
					t.Errorf("write %d failed, but its %s is there (%v)", i, what, err)
				case !fails(i) && err != nil:
					t.Errorf("write %d committed, but its %s is missing: %v", i, what, err)
				}
			}
		}
	})
}

// testTimes checks that times come back as the same instant, to the
// 100 ns, whatever location they were given in.
func testTimes(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	zone := time.FixedZone("UTC+05:30", 5*3600+30*60)
	for _, tm := range []time.Time{
		time.Unix(0, 100).UTC(),
		time.Date(1999, 12, 31, 23, 59, 59, 999999900, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 100, zone),
		time.Date(2099, 1, 2, 3, 4, 5, 678900000, time.UTC),
		time.Now().Truncate(100 * time.Nanosecond),
	} {
		tm = tm.Truncate(100 * time.Nanosecond)
		u := &openboards.User{ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: "T", Status: openboards.StatusClient, CreatedAt: tm}
		tk := &openboards.Ticket{}
		b.tx(func(tx openboards.Tx) error {
			if err := tx.CreateUser(b.ctx, u); err != nil {
				return err
			}
			*tk = openboards.Ticket{CommunityID: b.cm1.ID, Title: "T", AuthorID: u.ID, Status: openboards.TicketOpen,
				Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI, CreatedAt: tm, LastActivityAt: tm, UpdatedAt: tm}
			return tx.CreateTicket(b.ctx, tk)
		})
		got, err := b.store.FindUserByID(b.ctx, b.cm1.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(tm) {
			t.Errorf("user CreatedAt: got %v, want %v", got.CreatedAt, tm)
		}
		gt := b.findTicket(b.cm1, tk.ID)
		if !gt.CreatedAt.Equal(tm) || !gt.LastActivityAt.Equal(tm) || !gt.UpdatedAt.Equal(tm) {
			t.Errorf("ticket times: got %v, %v, %v; want %v", gt.CreatedAt, gt.LastActivityAt, gt.UpdatedAt, tm)
		}
		// The instant is a filter bound to the 100 ns.
		for _, f := range []openboards.TicketFilter{
			{From: &tm, To: &tm},
			{From: ptr(tm.Add(-100 * time.Nanosecond)), To: ptr(tm.Add(100 * time.Nanosecond))},
		} {
			f.CommunityID, f.TicketIDs, f.Take = b.cm1.ID, []int64{tk.ID}, 1
			ids, err := b.store.FindTicketIDs(b.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, fmt.Sprintf("filter %v to %v", f.From, f.To), []int64{tk.ID}, ids)
		}
		ids, err := b.store.FindTicketIDs(b.ctx, openboards.TicketFilter{CommunityID: b.cm1.ID, TicketIDs: []int64{tk.ID},
			From: ptr(tm.Add(100 * time.Nanosecond)), Take: 1})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "filter from just after", []int64{}, ids)
	}
}

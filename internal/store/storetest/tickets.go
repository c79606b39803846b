package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"openboards/internal/openboards"
	"testing"
	"time"
)

func testTickets(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		author := b.user(b.cm1, userOpts{Name: "Ada", Email: "ada@example.com"})
		assignee := b.teammate(b.cm1, "Tom")
		cat := b.category(b.cm1, &openboards.Category{Name: "Billing", CanBeChosen: true})
		f1 := b.field(b.cm1, &openboards.CustomField{Name: "Order"})
		f2 := b.field(b.cm1, &openboards.CustomField{Name: "Amount", Type: openboards.FieldNumber})
		in := &openboards.Ticket{
			CommunityID: b.cm1.ID, Title: "Refund please", Message: "Please refund\norder 42", HTMLMessage: "<p>Please refund<br>order 42</p>",
			AuthorID: author.ID, CategoryID: &cat.ID, AssigneeID: &assignee.ID, Status: openboards.TicketPending,
			Sentiment: ptr("complaint"), Source: "email", DetailedSource: "email_ticket", SourceName: ptr("Shop"),
			OriginalLink: ptr("https://example.com/t/1"), CC: []string{"cc1@example.com", "cc2@example.com"},
			Tags:         []string{"refund", "VIP"},
			Attachments:  []openboards.Attachment{{URL: "https://example.com/a.pdf", Name: "a.pdf"}, {URL: "https://example.com/i.png", Name: "i.png", IsContentPart: true}},
			CustomFields: []openboards.FieldValue{{FieldID: f2.ID, Value: "19.99"}, {FieldID: f1.ID, Value: "A-42"}},
			ReplyCount:   3, CreatedAt: at(1), LastActivityAt: at(2), UpdatedAt: at(3),
		}
		b.tx(func(tx openboards.Tx) error {
			if err := tx.CreateTicket(b.ctx, in); err != nil {
				return err
			}
			if _, err := tx.FindTicketByID(b.ctx, b.cm1.ID, in.ID); err != nil {
				t.Errorf("the ticket is not visible inside its transaction: %v", err)
			}
			return nil
		})
		if in.ID == 0 {
			t.Fatal("CreateTicket did not set the id")
		}
		want := *in
		want.Author, want.Assignee = author, assignee
		want.Category = &openboards.CategoryRef{ID: cat.ID, Name: "Billing"}
		want.CustomFields = []openboards.FieldValue{{FieldID: f1.ID, Value: "A-42"}, {FieldID: f2.ID, Value: "19.99"}}
		got := b.findTicket(b.cm1, in.ID)
		diff(t, "ticket", &want, got)
		list, err := b.store.FindTickets(b.ctx, openboards.TicketFilter{CommunityID: b.cm1.ID, Take: 10})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "listed ticket", []*openboards.Ticket{&want}, list)

		// The least a ticket needs.
		bare := &openboards.Ticket{CommunityID: b.cm1.ID, Title: "", Message: "", HTMLMessage: "", AuthorID: author.ID,
			Status: openboards.TicketOpen, Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI,
			CreatedAt: at(4), LastActivityAt: at(4), UpdatedAt: at(4)}
		b.tx(func(tx openboards.Tx) error { return tx.CreateTicket(b.ctx, bare) })
		wantBare := *bare
		wantBare.Author = author
		diff(t, "bare ticket", &wantBare, b.findTicket(b.cm1, bare.ID))
	})
	t.Run("AwkwardText", func(t *testing.T) {
		// Text that looks like the packing of short values (lengths,
		// colons, -1 for NULL), empty text and multi-byte characters
		// survive the ticket read, as do flags and a missing category.
		t.Parallel()
		b := setup(t, newStore)
		author := &openboards.User{ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: "3:abc-1:", Email: ptr("-1:@example.com"),
			CustomIdentifier: ptr(""), Image: ptr("2:ü"), PhoneNumber: ptr("::"), IsBot: true, Status: openboards.StatusClient, CreatedAt: at(5)}
		b.tx(func(tx openboards.Tx) error { return tx.CreateUser(b.ctx, author) })
		in := &openboards.Ticket{CommunityID: b.cm1.ID, Title: "1:", Message: "-1:", HTMLMessage: "<p>-1:</p>", AuthorID: author.ID,
			Status: openboards.TicketOpen, Sentiment: ptr(""), Source: "12:", DetailedSource: "ß:ß", Channel: "9", SourceName: ptr("-1"),
			CreatedAt: at(6), LastActivityAt: at(6), UpdatedAt: at(6)}
		b.tx(func(tx openboards.Tx) error {
			if err := tx.CreateTicket(b.ctx, in); err != nil {
				return err
			}
			_, err := tx.(interface {
				Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
			}).Exec(b.ctx, `UPDATE tickets SET is_muted = ?, is_hidden = ?, is_sensitive = ? WHERE id = ?`, true, true, true, in.ID)
			return err
		})
		want := *in
		want.Author = author
		want.IsMuted, want.IsHidden, want.IsSensitive = true, true, true
		diff(t, "ticket", &want, b.findTicket(b.cm1, in.ID))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		_, err := b.store.FindTicketByID(b.ctx, b.cm1.ID, 12345)
		wantCode(t, err, openboards.CodeNotFound)
		err = b.try(func(tx openboards.Tx) error {
			return tx.UpdateTicket(b.ctx, b.cm1.ID, 12345, openboards.TicketUpdate{UpdatedAt: at(1)})
		})
		wantCode(t, err, openboards.CodeNotFound)
	})
	t.Run("Filter", func(t *testing.T) { t.Parallel(); testTicketFilter(t, setup(t, newStore)) })
	t.Run("OrderTies", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		author := b.user(b.cm1, userOpts{})
		t1 := b.ticket(b.cm1, author, &openboards.Ticket{CreatedAt: at(1), LastActivityAt: at(5)})
		t2 := b.ticket(b.cm1, author, &openboards.Ticket{CreatedAt: at(1), LastActivityAt: at(5)})
		for order, want := range map[string][]int64{
			openboards.OrderLastActivityDesc: {t2.ID, t1.ID},
			openboards.OrderLastActivityAsc:  {t1.ID, t2.ID},
			openboards.OrderCreationDesc:     {t2.ID, t1.ID},
			openboards.OrderCreationAsc:      {t1.ID, t2.ID},
		} {
			got, err := b.store.FindTicketIDs(b.ctx, openboards.TicketFilter{CommunityID: b.cm1.ID, OrderBy: order, Take: 10})
			if err != nil {
				t.Fatal(err)
			}
			diff(t, order, want, got)
		}
	})
	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		author := b.user(b.cm1, userOpts{})
		tom := b.teammate(b.cm1, "Tom")
		cat := b.category(b.cm1, &openboards.Category{Name: "Billing", CanBeChosen: true})
		tk := b.ticket(b.cm1, author, &openboards.Ticket{Tags: []string{"a"}, CreatedAt: at(1), LastActivityAt: at(5), UpdatedAt: at(5)})
		want := b.findTicket(b.cm1, tk.ID)

		update := func(u openboards.TicketUpdate) {
			t.Helper()
			b.tx(func(tx openboards.Tx) error { return tx.UpdateTicket(b.ctx, b.cm1.ID, tk.ID, u) })
		}
		check := func(what string) {
			t.Helper()
			diff(t, what, want, b.findTicket(b.cm1, tk.ID))
		}

		// Only UpdatedAt.
		update(openboards.TicketUpdate{UpdatedAt: at(6)})
		want.UpdatedAt = at(6)
		check("UpdatedAt")

		update(openboards.TicketUpdate{Status: ptr(openboards.TicketCompleted), UpdatedAt: at(7)})
		want.Status, want.UpdatedAt = openboards.TicketCompleted, at(7)
		check("Status")

		update(openboards.TicketUpdate{CategoryID: ptr(&cat.ID), UpdatedAt: at(8)})
		want.CategoryID, want.Category, want.UpdatedAt = &cat.ID, &openboards.CategoryRef{ID: cat.ID, Name: cat.Name}, at(8)
		check("set CategoryID")

		update(openboards.TicketUpdate{AssigneeID: ptr(&tom.ID), UpdatedAt: at(9)})
		want.AssigneeID, want.Assignee, want.UpdatedAt = &tom.ID, tom, at(9)
		check("set AssigneeID")

		update(openboards.TicketUpdate{Tags: &[]string{"x", "Y"}, UpdatedAt: at(10)})
		want.Tags, want.UpdatedAt = []string{"x", "Y"}, at(10)
		check("Tags")

		update(openboards.TicketUpdate{ReplyCountDiff: 2, UpdatedAt: at(11)})
		update(openboards.TicketUpdate{ReplyCountDiff: -1, UpdatedAt: at(11)})
		want.ReplyCount, want.UpdatedAt = 1, at(11)
		check("ReplyCountDiff")

		update(openboards.TicketUpdate{LastActivityAt: ptr(at(12)), UpdatedAt: at(12)})
		want.LastActivityAt, want.UpdatedAt = at(12), at(12)
		check("LastActivityAt forward")

		// Activity never moves backwards.
		update(openboards.TicketUpdate{LastActivityAt: ptr(at(3)), UpdatedAt: at(13)})
		want.UpdatedAt = at(13)
		check("LastActivityAt backward")

		var noCategory *int64
		var noAssignee *string
		update(openboards.TicketUpdate{CategoryID: &noCategory, AssigneeID: &noAssignee, Tags: &[]string{}, UpdatedAt: at(14)})
		want.CategoryID, want.Category, want.AssigneeID, want.Assignee, want.Tags, want.UpdatedAt = nil, nil, nil, nil, nil, at(14)
		check("cleared")
	})
	t.Run("SetTicketFieldValue", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		author := b.user(b.cm1, userOpts{})
		f1 := b.field(b.cm1, &openboards.CustomField{Name: "One"})
		f2 := b.field(b.cm1, &openboards.CustomField{Name: "Two"})
		tk := b.ticket(b.cm1, author, &openboards.Ticket{CustomFields: []openboards.FieldValue{{FieldID: f1.ID, Value: "a"}}})
		other := b.ticket(b.cm1, author, &openboards.Ticket{CustomFields: []openboards.FieldValue{{FieldID: f1.ID, Value: "z"}}})
		set := func(fieldID int64, v string) {
			t.Helper()
			b.tx(func(tx openboards.Tx) error { return tx.SetTicketFieldValue(b.ctx, b.cm1.ID, tk.ID, fieldID, v) })
		}
		values := func() []openboards.FieldValue {
			t.Helper()
			return b.findTicket(b.cm1, tk.ID).CustomFields
		}
		set(f2.ID, "b")
		diff(t, "set", []openboards.FieldValue{{FieldID: f1.ID, Value: "a"}, {FieldID: f2.ID, Value: "b"}}, values())
		set(f1.ID, "c")
		diff(t, "replaced", []openboards.FieldValue{{FieldID: f1.ID, Value: "c"}, {FieldID: f2.ID, Value: "b"}}, values())
		set(f1.ID, "")
		diff(t, "cleared", []openboards.FieldValue{{FieldID: f2.ID, Value: "b"}}, values())
		set(f1.ID, "") // clearing what is not set is not an error
		diff(t, "cleared twice", []openboards.FieldValue{{FieldID: f2.ID, Value: "b"}}, values())
		diff(t, "other ticket", []openboards.FieldValue{{FieldID: f1.ID, Value: "z"}}, b.findTicket(b.cm1, other.ID).CustomFields)
		ids, err := b.store.FindTicketIDs(b.ctx, openboards.TicketFilter{CommunityID: b.cm1.ID, CustomFields: []openboards.FieldValue{{FieldID: f2.ID, Value: "b"}}, Take: 10})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "filter on the new value", []int64{tk.ID}, ids)
	})
}

func testTicketFilter(t *testing.T, b *bundle) {
	author := b.user(b.cm1, userOpts{})
	catA := b.category(b.cm1, &openboards.Category{Name: "A", CanBeChosen: true})
	catB := b.category(b.cm1, &openboards.Category{Name: "B", CanBeChosen: true})
	f := b.field(b.cm1, &openboards.CustomField{Name: "F"})
	g := b.field(b.cm1, &openboards.CustomField{Name: "G"})
	fv := func(field *openboards.CustomField, v string) openboards.FieldValue {
		return openboards.FieldValue{FieldID: field.ID, Value: v}
	}
	t1 := b.ticket(b.cm1, author, &openboards.Ticket{CategoryID: &catA.ID, Status: openboards.TicketOpen, Source: "api",
		CreatedAt: at(1), LastActivityAt: at(10), CustomFields: []openboards.FieldValue{fv(f, "x"), fv(g, "1")}})
	t2 := b.ticket(b.cm1, author, &openboards.Ticket{CategoryID: &catB.ID, Status: openboards.TicketPending, Source: "email",
		CreatedAt: at(2), LastActivityAt: at(5), CustomFields: []openboards.FieldValue{fv(f, "x"), fv(g, "2")}})
	t3 := b.ticket(b.cm1, author, &openboards.Ticket{Status: openboards.TicketOpen, Source: "api",
		CreatedAt: at(3), LastActivityAt: at(7), CustomFields: []openboards.FieldValue{fv(f, "y")}})
	t4 := b.ticket(b.cm1, author, &openboards.Ticket{Status: openboards.TicketCompleted, Source: "email",
		CreatedAt: at(4), LastActivityAt: at(6)})
	// A ticket of the other community matching every filter below.
	foreignAuthor := b.user(b.cm2, userOpts{})
	foreign := b.ticket(b.cm2, foreignAuthor, &openboards.Ticket{Status: openboards.TicketOpen, Source: "api",
		CreatedAt: at(2), LastActivityAt: at(8)})

	status := func(s openboards.TicketStatus) *openboards.TicketStatus { return &s }
	tests := []struct {
		name string
		f    openboards.TicketFilter
		want []*openboards.Ticket
	}{
		{"All", openboards.TicketFilter{}, []*openboards.Ticket{t1, t3, t4, t2}},
		{"Category", openboards.TicketFilter{CategorySet: true, CategoryID: &catA.ID}, []*openboards.Ticket{t1}},
		{"Uncategorised", openboards.TicketFilter{CategorySet: true}, []*openboards.Ticket{t3, t4}},
		{"CategoryIDWithoutCategorySet", openboards.TicketFilter{CategoryID: &catA.ID}, []*openboards.Ticket{t1, t3, t4, t2}},
		{"Status", openboards.TicketFilter{Status: status(openboards.TicketOpen)}, []*openboards.Ticket{t1, t3}},
		{"StatusNone", openboards.TicketFilter{Status: status(openboards.TicketArchived)}, nil},
		{"Source", openboards.TicketFilter{Source: ptr("email")}, []*openboards.Ticket{t4, t2}},
		{"From", openboards.TicketFilter{From: ptr(at(2))}, []*openboards.Ticket{t3, t4, t2}},
		{"To", openboards.TicketFilter{To: ptr(at(2))}, []*openboards.Ticket{t1, t2}},
		{"FromTo", openboards.TicketFilter{From: ptr(at(2)), To: ptr(at(3))}, []*openboards.Ticket{t3, t2}},
		{"FromToSameInstant", openboards.TicketFilter{From: ptr(at(3)), To: ptr(at(3))}, []*openboards.Ticket{t3}},
		{"FromJustAfter", openboards.TicketFilter{From: ptr(at(3).Add(100 * time.Nanosecond))}, []*openboards.Ticket{t4}},
		{"TicketIDsNil", openboards.TicketFilter{TicketIDs: nil}, []*openboards.Ticket{t1, t3, t4, t2}},
		{"TicketIDsEmpty", openboards.TicketFilter{TicketIDs: []int64{}}, nil},
		{"TicketIDs", openboards.TicketFilter{TicketIDs: []int64{t2.ID, t3.ID, foreign.ID, 12345}}, []*openboards.Ticket{t3, t2}},
		{"CustomField", openboards.TicketFilter{CustomFields: []openboards.FieldValue{fv(f, "x")}}, []*openboards.Ticket{t1, t2}},
		{"CustomFieldsAnd", openboards.TicketFilter{CustomFields: []openboards.FieldValue{fv(f, "x"), fv(g, "2")}}, []*openboards.Ticket{t2}},
		{"CustomFieldsNoMatch", openboards.TicketFilter{CustomFields: []openboards.FieldValue{fv(f, "y"), fv(g, "1")}}, nil},
		{"Combined", openboards.TicketFilter{Status: status(openboards.TicketOpen), Source: ptr("api"), CategorySet: true, From: ptr(at(2))}, []*openboards.Ticket{t3}},
		{"OrderLastActivityDesc", openboards.TicketFilter{OrderBy: openboards.OrderLastActivityDesc}, []*openboards.Ticket{t1, t3, t4, t2}},
		{"OrderLastActivityAsc", openboards.TicketFilter{OrderBy: openboards.OrderLastActivityAsc}, []*openboards.Ticket{t2, t4, t3, t1}},
		{"OrderCreationDesc", openboards.TicketFilter{OrderBy: openboards.OrderCreationDesc}, []*openboards.Ticket{t4, t3, t2, t1}},
		{"OrderCreationAsc", openboards.TicketFilter{OrderBy: openboards.OrderCreationAsc}, []*openboards.Ticket{t1, t2, t3, t4}},
		{"Page", openboards.TicketFilter{OrderBy: openboards.OrderCreationAsc, Skip: 1, Take: 2}, []*openboards.Ticket{t2, t3}},
		{"PageLast", openboards.TicketFilter{OrderBy: openboards.OrderCreationAsc, Skip: 3, Take: 2}, []*openboards.Ticket{t4}},
		{"PagePastEnd", openboards.TicketFilter{Skip: 4, Take: 2}, nil},
		{"PageFiltered", openboards.TicketFilter{Source: ptr("email"), Skip: 1, Take: 1}, []*openboards.Ticket{t2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			f.CommunityID = b.cm1.ID
			if f.Take == 0 {
				f.Take = 50
			}
			want := []int64{}
			for _, tk := range tt.want {
				want = append(want, tk.ID)
			}
			ids, err := b.store.FindTicketIDs(b.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, "FindTicketIDs", want, ids)
			tickets, err := b.store.FindTickets(b.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			got := []int64{}
			for _, tk := range tickets {
				got = append(got, tk.ID)
			}
			diff(t, "FindTickets", want, got)
		})
	}
	t.Run("ListedEqualsFound", func(t *testing.T) {
		tickets, err := b.store.FindTickets(b.ctx, openboards.TicketFilter{CommunityID: b.cm1.ID, Take: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range tickets {
			diff(t, fmt.Sprintf("ticket %d", got.ID), b.findTicket(b.cm1, got.ID), got)
		}
	})
}

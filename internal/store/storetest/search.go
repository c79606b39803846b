package storetest

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"

	"openboards/internal/openboards"
)

// testTicketSearch covers the inbox's filters: words in title or message
// (whole words, any letter case, punctuation ignored), a tag, and
// the assignee; the full-text index follows edits of the text.
func testTicketSearch(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	cm, other := b.community("search"), b.community("elsewhere")
	customer, agent := b.user(cm, userOpts{}), b.teammate(cm, "Agent")
	b.ticket(cm, customer, &openboards.Ticket{Title: "Printer on fire", Message: "It burns", Tags: []string{"VIP", "hardware"}})
	paper := b.ticket(cm, customer, &openboards.Ticket{Title: "Paper jam", Message: "The printer eats 100% of my paper_sheets", Tags: []string{"vip-ish"}, AssigneeID: &agent.ID})
	b.ticket(cm, customer, &openboards.Ticket{Title: "Lost password", Message: "Café crème, naïve question"})
	b.ticket(other, b.user(other, userOpts{}), &openboards.Ticket{Title: "Printer elsewhere"})

	titles := func(f openboards.TicketFilter) []string {
		t.Helper()
		f.CommunityID, f.Take = cm.ID, 50
		ts, err := b.store.FindTickets(b.ctx, f)
		if err != nil {
			t.Fatalf("FindTickets(%+v): %v", f, err)
		}
		var out []string
		for _, x := range ts {
			out = append(out, x.Title)
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		f    openboards.TicketFilter
		want []string
	}{
		{openboards.TicketFilter{Text: "printer"}, []string{"Paper jam", "Printer on fire"}},
		{openboards.TicketFilter{Text: "PRINTER fire"}, []string{"Printer on fire"}},
		{openboards.TicketFilter{Text: "prin"}, nil}, // whole words only
		{openboards.TicketFilter{Text: "100%"}, []string{"Paper jam"}},
		{openboards.TicketFilter{Text: "sheets"}, []string{"Paper jam"}},
		{openboards.TicketFilter{Text: "rinter"}, nil},
		{openboards.TicketFilter{Text: `" * & : -`}, []string{"Lost password", "Paper jam", "Printer on fire"}}, // no words: no filter
		{openboards.TicketFilter{Text: `"printer" OR fire`}, nil},                                               // syntax is words too
		{openboards.TicketFilter{Text: "crème"}, []string{"Lost password"}},
		{openboards.TicketFilter{Tag: "vip"}, []string{"Printer on fire"}},
		{openboards.TicketFilter{Tag: "VIP-ish"}, []string{"Paper jam"}},
		{openboards.TicketFilter{AssigneeSet: true, AssigneeID: &agent.ID}, []string{"Paper jam"}},
		{openboards.TicketFilter{AssigneeSet: true, Text: "printer"}, []string{"Printer on fire"}},
	} {
		if got := titles(c.f); !slices.Equal(got, c.want) {
			t.Errorf("text %q tag %q assignee %v: got %q, want %q", c.f.Text, c.f.Tag, c.f.AssigneeSet, got, c.want)
		}
	}
	// The index follows an edit of the text.
	b.tx(func(tx openboards.Tx) error {
		_, err := tx.(interface {
			Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
		}).Exec(b.ctx, `UPDATE tickets SET title = 'Toner empty' WHERE id = ?`, paper.ID)
		return err
	})
	if got := titles(openboards.TicketFilter{Text: "toner"}); !slices.Equal(got, []string{"Toner empty"}) {
		t.Errorf("after an edit, toner: got %q", got)
	}
	if got := titles(openboards.TicketFilter{Text: "jam"}); got != nil {
		t.Errorf("after an edit, jam: got %q", got)
	}

	// A ticket edited, or deleted, in the transaction that created it is
	// found by its final text only; one that a failed transaction created
	// is not found at all.
	exec := func(tx openboards.Tx, query string, args ...any) error {
		_, err := tx.(interface {
			Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
		}).Exec(b.ctx, query, args...)
		return err
	}
	newTicket := func(title string) *openboards.Ticket {
		return &openboards.Ticket{CommunityID: cm.ID, AuthorID: customer.ID, Title: title, Message: "Hello", HTMLMessage: "<p>Hello</p>",
			Status: openboards.TicketOpen, Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI,
			CreatedAt: at(900), LastActivityAt: at(900), UpdatedAt: at(900)}
	}
	b.tx(func(tx openboards.Tx) error {
		edited, gone := newTicket("Fresh ink"), newTicket("Ghost ticket")
		if err := tx.CreateTicket(b.ctx, edited); err != nil {
			return err
		}
		if err := tx.CreateTicket(b.ctx, gone); err != nil {
			return err
		}
		if err := exec(tx, `UPDATE tickets SET title = 'Cyan cartridge' WHERE id = ?`, edited.ID); err != nil {
			return err
		}
		return exec(tx, `DELETE FROM tickets WHERE id = ?`, gone.ID)
	})
	failed := errors.New("the write fails after creating a ticket")
	if err := b.store.InTx(b.ctx, func(tx openboards.Tx) error {
		if err := tx.CreateTicket(b.ctx, newTicket("Phantom stapler")); err != nil {
			return err
		}
		return failed
	}); !errors.Is(err, failed) {
		t.Fatalf("failing write: got %v, want %v", err, failed)
	}
	for _, c := range []struct {
		text string
		want []string
	}{
		{"cyan", []string{"Cyan cartridge"}},
		{"fresh", nil},
		{"ghost", nil},
		{"phantom", nil},
	} {
		if got := titles(openboards.TicketFilter{Text: c.text}); !slices.Equal(got, c.want) {
			t.Errorf("after writes in one transaction, %s: got %q, want %q", c.text, got, c.want)
		}
	}
}

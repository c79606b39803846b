package storetest

import (
	"context"
	"database/sql"
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
}

package inbox_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

// TestSearchAndFilters narrows the list by words in the title or message,
// by tag and by assignee, keeping the filters in the status tabs.
func TestSearchAndFilters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fire := h.newTicket(h.acme, "Printer on fire", "It burns")
	paper := h.newTicket(h.acme, "Paper jam", "The printer eats 100% of my paper_sheets")
	h.newTicket(h.acme, "Lost password", "Help")
	h.newTicket(h.other, "Printer elsewhere", "Not acme's")
	if err := h.tickets.SetTicketTags(h.ctx, h.acme, fire, []string{"VIP", "hardware"}); err != nil {
		t.Fatal(err)
	}
	if err := h.tickets.SetTicketTags(h.ctx, h.acme, paper, []string{"vip-ish"}); err != nil {
		t.Fatal(err)
	}
	if err := h.tickets.UpdateTicketAssignee(h.ctx, h.acme, paper, &h.member.ID, nil); err != nil {
		t.Fatal(err)
	}
	b := h.signedIn("max@acme.test")
	for _, c := range []struct {
		query url.Values
		want  []string
	}{
		{url.Values{"q": {"printer"}}, []string{"Paper jam", "Printer on fire"}},
		{url.Values{"q": {"PRINTER fire"}}, []string{"Printer on fire"}},
		{url.Values{"q": {"100%"}}, []string{"Paper jam"}},
		{url.Values{"q": {"paper_"}}, []string{"Paper jam"}},
		{url.Values{"q": {"r_n"}}, nil}, // _ is not a wildcard
		{url.Values{"tag": {"vip"}}, []string{"Printer on fire"}},
		{url.Values{"tag": {"VIP-ish"}}, []string{"Paper jam"}},
		{url.Values{"assignee": {"me"}}, []string{"Paper jam"}},
		{url.Values{"assignee": {h.member.ID}}, []string{"Paper jam"}},
		{url.Values{"assignee": {"none"}, "q": {"printer"}}, []string{"Printer on fire"}},
	} {
		page := b.ok("/acme/tickets?" + c.query.Encode())
		got := listed(page)
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: listed %q, want %q", c.query.Encode(), got, c.want)
		}
	}
	page := b.ok("/acme/tickets?" + url.Values{"q": {"printer"}, "tag": {"vip"}}.Encode())
	if got := tabs(page); len(got) == 0 {
		t.Fatal("no status tabs")
	}
	if !strings.Contains(page, "q=printer") || !strings.Contains(page, "tag=vip") {
		t.Errorf("the status tabs drop the search and tag filters")
	}
}

// TestCustomFields edits a ticket's custom fields from the ticket view.
func TestCustomFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	order := &openboards.CustomField{CommunityID: h.acme.ID, Name: "Order number", Type: openboards.FieldText}
	if err := h.tickets.CreateCustomField(h.ctx, h.acme, order); err != nil {
		t.Fatal(err)
	}
	size := &openboards.CustomField{CommunityID: h.acme.ID, Name: "Size", Type: openboards.FieldDropdown,
		PossibleValues: []openboards.PossibleValue{{Order: 1, Value: "S"}, {Order: 2, Value: "M"}}}
	if err := h.tickets.CreateCustomField(h.ctx, h.acme, size); err != nil {
		t.Fatal(err)
	}
	id := h.newTicket(h.acme, "Wrong size", "Too small")
	b := h.signedIn("max@acme.test")
	page := b.ok(fmt.Sprintf("/acme/tickets?ticketId=%d", id))
	if !strings.Contains(page, `<label for="field-`+fmt.Sprint(order.ID)+`">Order number</label>`) {
		t.Fatalf("the ticket view has no labelled Order number field")
	}
	form := url.Values{"csrf": {b.csrf(page)}, "field_" + fmt.Sprint(order.ID): {"A-123"}, "field_" + fmt.Sprint(size.ID): {"M"}}
	wantStatus(t, b.action(id, "fields", form), http.StatusSeeOther)
	got := map[int64]string{}
	for _, v := range h.ticket(id).CustomFields {
		got[v.FieldID] = v.Value
	}
	if got[order.ID] != "A-123" || got[size.ID] != "M" {
		t.Fatalf("field values %v", got)
	}
	if !strings.Contains(b.ok(fmt.Sprintf("/acme/tickets?ticketId=%d", id)), `<option selected>M</option>`) {
		t.Errorf("the chosen size is not shown as selected")
	}
	form.Set("field_"+fmt.Sprint(size.ID), "XL")
	wantStatus(t, b.action(id, "fields", form), http.StatusBadRequest)
	if h.lastLog(id, openboards.ActionTicketCustomFieldChanged) == nil {
		t.Errorf("no custom field log entry")
	}
}

// TestDeleteReplyAndNote deletes a reply and a note from the ticket view,
// only with the confirmation ticked, and logs both as the teammate.
func TestDeleteReplyAndNote(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.newTicket(h.acme, "Oops", "Wrong reply sent")
	r, err := h.tickets.CreateReply(h.ctx, h.acme, id, ticket.CreateReplyInput{Author: openboards.UserRef{ID: h.member.ID}, Message: "To the wrong customer"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := h.tickets.CreateNote(h.ctx, h.acme, id, ticket.NoteInput{Author: openboards.UserRef{ID: h.member.ID}, Message: "Ignore"})
	if err != nil {
		t.Fatal(err)
	}
	b := h.signedIn("max@acme.test")
	page := b.ok(fmt.Sprintf("/acme/tickets?ticketId=%d", id))
	csrf := b.csrf(page)
	replyPath := fmt.Sprintf("/acme/tickets/%d/replies/%d/delete", id, r.ID)
	if !strings.Contains(page, `action="`+replyPath+`"`) {
		t.Fatalf("no delete form for the reply")
	}
	wantStatus(t, b.post(replyPath, url.Values{"csrf": {csrf}}), http.StatusBadRequest)
	if len(h.replies(id)) != 1 {
		t.Fatal("a reply was deleted without the confirmation")
	}
	wantStatus(t, b.post(replyPath, url.Values{"csrf": {csrf}, "confirm": {"1"}}), http.StatusSeeOther)
	wantStatus(t, b.post(fmt.Sprintf("/acme/tickets/%d/notes/%d/delete", id, n.ID), url.Values{"csrf": {csrf}, "confirm": {"1"}}), http.StatusSeeOther)
	if len(h.replies(id)) != 0 || len(h.notes(id)) != 0 {
		t.Fatalf("left: %d replies, %d notes", len(h.replies(id)), len(h.notes(id)))
	}
	if e := h.lastLog(id, openboards.ActionNoteDeleted); e == nil || e.UserID != h.member.ID {
		t.Errorf("note deletion logged as %+v", e)
	}
	reader := h.signedIn("rita@acme.test")
	wantStatus(t, reader.post(fmt.Sprintf("/acme/tickets/%d/notes/%d/delete", id, n.ID), url.Values{"csrf": {reader.csrf(reader.ok("/acme/tickets"))}, "confirm": {"1"}}), http.StatusForbidden)
}

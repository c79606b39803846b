package ticket

import (
	"fmt"
	"strings"

	"openboards/internal/openboards"
)

func userPlaceholder(id string) string    { return "{User:" + id + "}" }
func categoryPlaceholder(id int64) string { return fmt.Sprintf("{Category:%d}", id) }
func tagPlaceholders(tags []openboards.Tag) string {
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = fmt.Sprintf("{Tag:%d}", t.ID)
	}
	return strings.Join(parts, ", ")
}

func statusEntry(t *openboards.Ticket, userID string, from, to openboards.TicketStatus) Entry {
	return Entry{Ticket: t, UserID: userID, Type: openboards.ActionTicketStatusChanged,
		Text: fmt.Sprintf("changed the status from %q to %q", from.Label(), to.Label())}
}

func assigneeEntry(t *openboards.Ticket, userID string, prev, next *openboards.User) Entry {
	if next == nil {
		return Entry{Ticket: t, UserID: userID, Type: openboards.ActionTicketUnassigned,
			Text:     "removed the ticket assignee " + userPlaceholder(prev.ID),
			Included: openboards.IncludedItems{Users: []openboards.User{*prev}}}
	}
	return Entry{Ticket: t, UserID: userID, Type: openboards.ActionTicketAssignedToUser,
		Text:     "changed ticket assignee to " + userPlaceholder(next.ID),
		Included: openboards.IncludedItems{Users: []openboards.User{*next}}}
}

func categoryEntry(t *openboards.Ticket, userID string, prev *openboards.CategoryRef, next *openboards.Category) Entry {
	e := Entry{Ticket: t, UserID: userID, Type: openboards.ActionTicketCategoryChanged}
	switch {
	case next == nil:
		e.Text = "removed the category " + categoryPlaceholder(prev.ID)
		e.Included.Categories = []openboards.CategoryRef{*prev}
	case prev == nil:
		e.Text = "set the category to " + categoryPlaceholder(next.ID)
		e.Included.Categories = []openboards.CategoryRef{{ID: next.ID, Name: next.Name}}
	default:
		e.Text = "changed the category from " + categoryPlaceholder(prev.ID) + " to " + categoryPlaceholder(next.ID)
		e.Included.Categories = []openboards.CategoryRef{*prev, {ID: next.ID, Name: next.Name}}
	}
	return e
}

func tagsEntry(t *openboards.Ticket, userID, typ, what string, tags []openboards.Tag) Entry {
	e := Entry{Ticket: t, UserID: userID, Type: typ, Included: openboards.IncludedItems{Tags: tags}}
	if len(tags) == 0 {
		e.Text = "removed all tags of " + what
	} else {
		e.Text = "changed the tags of " + what + " to " + tagPlaceholders(tags)
	}
	return e
}

func fieldEntry(t *openboards.Ticket, userID string, f *openboards.CustomField, prev, next string) Entry {
	e := Entry{Ticket: t, UserID: userID, Type: openboards.ActionTicketCustomFieldChanged}
	switch {
	case f.IsSensitiveData:
		// Sensitive values stay out of the log, which every teammate can read.
		e.Text = fmt.Sprintf("changed %q", f.Name)
	case next == "":
		e.Text = fmt.Sprintf("cleared %q (was %q)", f.Name, prev)
	case prev == "":
		e.Text = fmt.Sprintf("set %q to %q", f.Name, next)
	default:
		e.Text = fmt.Sprintf("changed %q from %q to %q", f.Name, prev, next)
	}
	return e
}

package ticket

import (
	"context"
	"fmt"
	"strings"
	"time"

	"openboards/internal/openboards"
)

// entry is a log entry under construction.
type entry struct {
	ticket *openboards.Ticket
	userID string
	typ    string
	text   string
	inc    openboards.IncludedItems
}

// write appends e to its ticket's log at now.
func (e entry) write(ctx context.Context, tx openboards.Tx, now time.Time) error {
	inc := e.inc
	if inc.Categories == nil {
		inc.Categories = []openboards.CategoryRef{}
	}
	if inc.Tags == nil {
		inc.Tags = []openboards.Tag{}
	}
	if inc.Users == nil {
		inc.Users = []openboards.User{}
	}
	return tx.CreateLogEntry(ctx, &openboards.LogEntry{
		TicketID:     e.ticket.ID,
		CommunityID:  e.ticket.CommunityID,
		UserID:       e.userID,
		ActionType:   e.typ,
		ActionString: e.text,
		Included:     inc,
		CreatedAt:    now,
	})
}

func userPlaceholder(id string) string    { return "{User:" + id + "}" }
func categoryPlaceholder(id int64) string { return fmt.Sprintf("{Category:%d}", id) }
func tagPlaceholders(tags []openboards.Tag) string {
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = fmt.Sprintf("{Tag:%d}", t.ID)
	}
	return strings.Join(parts, ", ")
}

func statusEntry(t *openboards.Ticket, userID string, from, to openboards.TicketStatus) entry {
	return entry{ticket: t, userID: userID, typ: openboards.ActionTicketStatusChanged,
		text: fmt.Sprintf("changed the status from %q to %q", from.Label(), to.Label())}
}

func assigneeEntry(t *openboards.Ticket, userID string, prev, next *openboards.User) entry {
	if next == nil {
		return entry{ticket: t, userID: userID, typ: openboards.ActionTicketUnassigned,
			text: "removed the ticket assignee " + userPlaceholder(prev.ID),
			inc:  openboards.IncludedItems{Users: []openboards.User{*prev}}}
	}
	return entry{ticket: t, userID: userID, typ: openboards.ActionTicketAssignedToUser,
		text: "changed ticket assignee to " + userPlaceholder(next.ID),
		inc:  openboards.IncludedItems{Users: []openboards.User{*next}}}
}

func categoryEntry(t *openboards.Ticket, userID string, prev *openboards.CategoryRef, next *openboards.Category) entry {
	e := entry{ticket: t, userID: userID, typ: openboards.ActionTicketCategoryChanged}
	switch {
	case next == nil:
		e.text = "removed the category " + categoryPlaceholder(prev.ID)
		e.inc.Categories = []openboards.CategoryRef{*prev}
	case prev == nil:
		e.text = "set the category to " + categoryPlaceholder(next.ID)
		e.inc.Categories = []openboards.CategoryRef{{ID: next.ID, Name: next.Name}}
	default:
		e.text = "changed the category from " + categoryPlaceholder(prev.ID) + " to " + categoryPlaceholder(next.ID)
		e.inc.Categories = []openboards.CategoryRef{*prev, {ID: next.ID, Name: next.Name}}
	}
	return e
}

func tagsEntry(t *openboards.Ticket, userID, typ, what string, tags []openboards.Tag) entry {
	e := entry{ticket: t, userID: userID, typ: typ, inc: openboards.IncludedItems{Tags: tags}}
	if len(tags) == 0 {
		e.text = "removed all tags of " + what
	} else {
		e.text = "changed the tags of " + what + " to " + tagPlaceholders(tags)
	}
	return e
}

func fieldEntry(t *openboards.Ticket, userID string, f *openboards.CustomField, prev, next string) entry {
	e := entry{ticket: t, userID: userID, typ: openboards.ActionTicketCustomFieldChanged}
	switch {
	case f.IsSensitiveData:
		// Sensitive values stay out of the log, which every teammate can read.
		e.text = fmt.Sprintf("changed %q", f.Name)
	case next == "":
		e.text = fmt.Sprintf("cleared %q (was %q)", f.Name, prev)
	case prev == "":
		e.text = fmt.Sprintf("set %q to %q", f.Name, next)
	default:
		e.text = fmt.Sprintf("changed %q from %q to %q", f.Name, prev, next)
	}
	return e
}

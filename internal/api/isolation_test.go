package api_test

import (
	"fmt"
	"slices"
	"testing"
)

// TestIsolation checks that a second community sees none of the first
// one's data and can change none of it: ids of the other community answer
// exactly like unknown ids.
func TestIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	other := b.newTenant(t, "globex")
	tk := fmt.Sprintf("/tickets/%d", f.ticket)

	t.Run("EmptyLists", func(t *testing.T) {
		for _, r := range []struct{ method, path string }{
			{"POST", "/tickets/list"},
			{"POST", "/tickets/ids"},
			{"GET", "/categories?includeHidden=true"},
			{"GET", "/categories/subcategories?includeHidden=true"},
			{"GET", "/customfields?includeHidden=true"},
			{"GET", "/tags"},
			{"GET", "/widgets/schedules"},
			{"GET", fmt.Sprintf("/widgets/schedules?widgetId=%d", f.widget)},
		} {
			if got := string(other.ok(t, r.method, r.path, nil)); got != "[]" {
				t.Errorf("%s %s: got %s, want []", r.method, r.path, got)
			}
		}
		if got := other.listIDs(t, map[string]any{"ticketIds": []int64{f.ticket, f.plain}}); len(got) != 0 {
			t.Errorf("ticketIds of the other community: got %v", got)
		}
	})
	t.Run("OwnTeammatesAndGroups", func(t *testing.T) {
		var ids []string
		for _, tm := range decode[[]teammateView](t, other.ok(t, "GET", "/teammates", nil)) {
			ids = append(ids, tm.ID)
		}
		if want := []string{other.agent.ID, other.admin.ID, other.viewer.ID}; !slices.Equal(ids, want) {
			t.Errorf("teammates %v, want globex's own %v", ids, want)
		}
		groups := decode[[]groupView](t, other.ok(t, "GET", "/usergroups", nil))
		if len(groups) != 1 || groups[0].ID == f.group {
			t.Errorf("groups %+v, want globex's own Level 2", groups)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, r := range []struct{ method, path string }{
			{"GET", tk},
			{"GET", tk + "/replies"},
			{"GET", tk + "/notes"},
			{"POST", tk + "/log"},
			{"GET", fmt.Sprintf("/categories/%d", f.customers)},
			{"GET", fmt.Sprintf("/categories/%d", f.archive)},
			{"GET", fmt.Sprintf("/categories/%d/subcategories", f.customers)},
			{"GET", fmt.Sprintf("/customfields/%d", f.region)},
			{"GET", fmt.Sprintf("/usergroups/%d", f.group)},
			{"GET", fmt.Sprintf("/teammates?group=%d", f.group)},
		} {
			other.fail(t, r.method, r.path, nil, 404, "not found")
		}
	})

	// Every write aimed at the first community's objects fails and leaves
	// them as they were.
	reply := fmt.Sprintf("%s/replies/%d", tk, f.reply)
	note := fmt.Sprintf("%s/notes/%d", tk, f.note)
	b.reject(t, other.client, []rejected{
		{"TicketStatus", "PATCH", tk + "/status", map[string]any{"status": "completed"}, 404, "not found"},
		{"TicketAssignee", "PATCH", tk + "/assignee", map[string]any{"assigneeId": nil, "previousAssigneeId": b.agent.ID}, 404, "not found"},
		{"TicketCategory", "PATCH", tk + "/category", nil, 404, "not found"},
		{"TicketCategoryObsolete", "PUT", tk + "/category?categoryId=0", nil, 404, "not found"},
		{"TicketTags", "PUT", tk + "/tags", []string{}, 404, "not found"},
		{"TicketCustomFields", "PATCH", tk + "/customfields", map[string]any{"id": f.region, "value": nil}, 404, "not found"},
		{"TicketRead", "POST", tk + "/read", map[string]any{"user": map[string]any{"email": "anna.agent@example.com"}}, 404, "not found"},
		{"ReplyCreate", "POST", tk + "/replies", agentReply("Hijack"), 404, "not found"},
		{"ReplyUpdate", "PATCH", reply, map[string]any{"message": "Hijack"}, 404, "not found"},
		{"ReplyDelete", "DELETE", reply, nil, 404, "not found"},
		{"ReplyTags", "PUT", reply + "/tags", []string{"x"}, 404, "not found"},
		{"NoteCreate", "POST", tk + "/notes", map[string]any{"author": map[string]any{"email": "anna.agent@example.com"}, "message": "x"}, 404, "not found"},
		{"NoteUpdate", "PATCH", note, map[string]any{"message": "Hijack"}, 404, "not found"},
		{"NoteDelete", "DELETE", note, nil, 404, "not found"},
		{"CategoryUpdate", "PATCH", fmt.Sprintf("/categories/%d", f.acme), map[string]any{"name": "Hijack"}, 404, "not found"},
		{"CategoryDelete", "DELETE", fmt.Sprintf("/categories/%d", f.acme), nil, 404, "not found"},
		{"CategoryDeleteParent", "DELETE", fmt.Sprintf("/categories/%d", f.customers), nil, 404, "not found"},
		{"CustomFieldUpdate", "PUT", fmt.Sprintf("/customfields/%d", f.number), map[string]any{"name": "Hijack", "type": "text"}, 404, "not found"},
		{"CustomFieldDelete", "DELETE", fmt.Sprintf("/customfields/%d", f.number), nil, 404, "not found"},
		{"GroupUpdate", "PATCH", fmt.Sprintf("/usergroups/%d", f.group), map[string]any{"name": "Hijack"}, 404, "not found"},
		{"GroupDelete", "DELETE", fmt.Sprintf("/usergroups/%d", f.group), nil, 404, "not found"},
		{"GroupAddMember", "POST", fmt.Sprintf("/usergroups/%d/teammates", f.group), map[string]any{"teammateIds": []string{other.agent.ID}}, 404, "not found"},
		{"GroupRemoveMember", "DELETE", fmt.Sprintf("/usergroups/%d/teammates/%s", f.group, b.agent.ID), nil, 404, "not"},
		{"WidgetReplace", "POST", "/widgets/schedules", map[string]any{"widgetId": f.widget, "timePeriod": 1, "times": []map[string]string{{"startAt": "08:00:00", "endAt": "09:00:00"}}}, 404, "not found"},
		{"WidgetDelete", "DELETE", fmt.Sprintf("/widgets/schedules/%d", f.widget), nil, 404, "not found"},
		// References to the other community's objects inside a body are
		// unknown ids (400).
		{"RefCategory", "POST", "/tickets", map[string]any{"title": "x", "creator": customer("Bill", "bill_smith@gmail.com"), "categoryId": f.acme}, 400, "categoryId: category"},
		{"RefAssignee", "POST", "/tickets", map[string]any{"title": "x", "creator": customer("Bill", "bill_smith@gmail.com"), "assigneeId": b.agent.ID}, 400, "assigneeId: no teammate"},
		{"RefField", "POST", "/tickets", map[string]any{"title": "x", "creator": customer("Bill", "bill_smith@gmail.com"), "customFields": []map[string]any{{"id": f.region, "value": "Oslo"}}}, 400, "custom field"},
		{"RefCreator", "POST", "/tickets", map[string]any{"title": "x", "creator": map[string]any{"id": b.ticket(t, f.ticket).Author.ID}}, 400, "creator"},
		{"RefParentCategory", "POST", "/categories", map[string]any{"name": "x", "parentId": f.customers}, 400, "parentId: category"},
		{"RefAssignedCategory", "POST", "/customfields", map[string]any{"name": "x", "type": "text", "assignedCategoryIds": []int64{f.acme}}, 400, "assignedCategoryIds[0]"},
		{"RefGroupMember", "POST", "/usergroups", map[string]any{"name": "x", "teammateIds": []string{b.agent.ID}}, 400, "teammateIds[0]"},
		{"RefFilterField", "POST", "/tickets/list", map[string]any{"customFields": []map[string]any{{"key": f.region, "value": "Oslo"}}}, 400, "custom field"},
		{"RefGroupFilter", "GET", fmt.Sprintf("/teammates?group=%d", f.group), nil, 404, "not found"},
	})

	t.Run("SameNamesSeparateObjects", func(t *testing.T) {
		// The other community's customer, teammate and tag with the same
		// e-mail or name are separate objects.
		id := other.createTicket(t, map[string]any{"title": "Globex", "creator": customer("Bill Smith", "bill_smith@gmail.com"), "tags": []string{"VIP"}})
		mine := other.ticket(t, id)
		if theirs := b.ticket(t, f.ticket); mine.Author.ID == theirs.Author.ID {
			t.Fatalf("both communities share customer %s", mine.Author.ID)
		}
		rp := decode[replyView](t, other.ok(t, "POST", fmt.Sprintf("/tickets/%d/replies", id), agentReply("Hello")))
		if rp.Author.ID != other.agent.ID {
			t.Fatalf("reply author %s, want globex's agent %s", rp.Author.ID, other.agent.ID)
		}
		acmeTags := decode[[]refView](t, b.ok(t, "GET", "/tags", nil))
		globexTags := decode[[]refView](t, other.ok(t, "GET", "/tags", nil))
		if len(globexTags) != 1 || slices.Contains(acmeTags, globexTags[0]) {
			t.Fatalf("tags: acme %v, globex %v", acmeTags, globexTags)
		}
		// And the first community does not see the new ticket.
		b.fail(t, "GET", fmt.Sprintf("/tickets/%d", id), nil, 404, "not found")
		if slices.Contains(b.listIDs(t, map[string]any{"take": 50}), id) {
			t.Fatalf("acme lists globex's ticket %d", id)
		}
	})
}

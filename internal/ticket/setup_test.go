package ticket_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

func (b *bundle) findCategory(t *testing.T, id int64) *openboards.Category {
	t.Helper()
	c, err := b.store.FindCategoryByID(b.ctx, b.cm.ID, id)
	if err != nil {
		t.Fatalf("FindCategoryByID(%d): %v", id, err)
	}
	return c
}

func TestCategories(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		root := b.category(t, " Sales ", ticket.CategoryInput{})
		diff(t, "new category", &openboards.Category{ID: root.ID, CommunityID: b.cm.ID, Name: "Sales", CanBeChosen: true}, b.findCategory(t, root.ID))
		child := b.category(t, "Europe", ticket.CategoryInput{ParentID: ptr(&root.ID), AutoArchive: ptr(true), IsHidden: ptr(true), IsMuted: ptr(true), CanBeChosen: ptr(false)})
		want := &openboards.Category{ID: child.ID, CommunityID: b.cm.ID, ParentID: &root.ID, Name: "Europe", AutoArchive: true, IsHidden: true, IsMuted: true}
		diff(t, "child", want, b.findCategory(t, child.ID))

		// Only what is given changes.
		if _, err := b.svc.UpdateCategory(b.ctx, b.cm, child.ID, ticket.CategoryInput{IsMuted: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		want.IsMuted = false
		diff(t, "after changing IsMuted", want, b.findCategory(t, child.ID))
		var noParent *int64
		if _, err := b.svc.UpdateCategory(b.ctx, b.cm, child.ID, ticket.CategoryInput{Name: ptr("EU"), ParentID: &noParent}); err != nil {
			t.Fatal(err)
		}
		want.Name, want.ParentID = "EU", nil
		diff(t, "after moving to the root", want, b.findCategory(t, child.ID))
	})
	t.Run("ErrCycle", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		a := b.category(t, "A", ticket.CategoryInput{})
		bb := b.category(t, "B", ticket.CategoryInput{ParentID: ptr(&a.ID)})
		c := b.category(t, "C", ticket.CategoryInput{ParentID: ptr(&bb.ID)})
		for _, tt := range []struct {
			id, parent int64
		}{{a.ID, a.ID}, {a.ID, bb.ID}, {a.ID, c.ID}, {bb.ID, c.ID}} {
			_, err := b.svc.UpdateCategory(b.ctx, b.cm, tt.id, ticket.CategoryInput{ParentID: ptr(&tt.parent)})
			wantErr(t, err, openboards.CodeInvalid, "parentId: a category cannot be placed below itself or its subcategories")
		}
		if got := b.findCategory(t, a.ID); got.ParentID != nil {
			t.Fatalf("A got parent %d", *got.ParentID)
		}
		// Moving sideways is fine.
		if _, err := b.svc.UpdateCategory(b.ctx, b.cm, c.ID, ticket.CategoryInput{ParentID: ptr(&a.ID)}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		name := "Theirs"
		theirs, err := b.svc.CreateCategory(b.ctx, b.other, ticket.CategoryInput{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			in  ticket.CategoryInput
			msg string
		}{
			{ticket.CategoryInput{}, "name: required"},
			{ticket.CategoryInput{Name: ptr("  ")}, "name: required"},
			{ticket.CategoryInput{Name: ptr(strings.Repeat("n", 201))}, "name: longer than 200 characters"},
			{ticket.CategoryInput{Name: ptr("X"), ParentID: ptr(ptr(int64(12345)))}, "parentId: category 12345 not found"},
			{ticket.CategoryInput{Name: ptr("X"), ParentID: ptr(&theirs.ID)}, fmt.Sprintf("parentId: category %d not found", theirs.ID)},
		} {
			_, err := b.svc.CreateCategory(b.ctx, b.cm, tt.in)
			wantErr(t, err, openboards.CodeInvalid, tt.msg)
		}
		if cats, err := b.store.FindCategories(b.ctx, b.cm.ID); err != nil || len(cats) != 0 {
			t.Fatalf("refused categories were stored: %v, %v", cats, err)
		}
		_, err = b.svc.UpdateCategory(b.ctx, b.cm, theirs.ID, ticket.CategoryInput{Name: ptr("Mine")})
		wantErr(t, err, openboards.CodeNotFound, "")
	})
	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		parent := b.category(t, "Parent", ticket.CategoryInput{})
		child := b.category(t, "Child", ticket.CategoryInput{ParentID: ptr(&parent.ID)})
		other := b.category(t, "Other", ticket.CategoryInput{})
		f := b.field(t, &openboards.CustomField{Name: "F", Type: openboards.FieldText, AssignedCategoryIDs: []int64{parent.ID, other.ID}})
		tk := b.newTicket(t, ticket.CreateTicketInput{CategoryID: &parent.ID})

		err := b.svc.DeleteCategory(b.ctx, b.cm, parent.ID)
		wantErr(t, err, openboards.CodeConflict, fmt.Sprintf("category %d has 1 subcategories", parent.ID))
		b.findCategory(t, parent.ID)

		for _, id := range []int64{child.ID, parent.ID} {
			if err := b.svc.DeleteCategory(b.ctx, b.cm, id); err != nil {
				t.Fatal(err)
			}
		}
		_, err = b.store.FindCategoryByID(b.ctx, b.cm.ID, parent.ID)
		wantErr(t, err, openboards.CodeNotFound, "")
		if got := b.ticket(t, tk.ID); got.CategoryID != nil {
			t.Fatalf("ticket of a deleted category still has category %d", *got.CategoryID)
		}
		got, err := b.store.FindCustomFieldByID(b.ctx, b.cm.ID, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "field categories", []int64{other.ID}, got.AssignedCategoryIDs)
		wantErr(t, b.svc.DeleteCategory(b.ctx, b.cm, parent.ID), openboards.CodeNotFound, "")
		wantErr(t, b.svc.DeleteCategory(b.ctx, b.other, other.ID), openboards.CodeNotFound, "")
	})
}

func TestCustomFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cat := b.category(t, "Orders", ticket.CategoryInput{})
	f := &openboards.CustomField{Name: " Plan ", Type: "DropDown", DefaultValue: ptr("pro"),
		PossibleValues: []openboards.PossibleValue{{Order: 1, Value: " Basic "}, {Order: 2, Value: "Pro"}}, AssignedCategoryIDs: []int64{cat.ID}}
	if err := b.svc.CreateCustomField(b.ctx, b.cm, f); err != nil {
		t.Fatal(err)
	}
	got, err := b.store.FindCustomFieldByID(b.ctx, b.cm.ID, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "field", &openboards.CustomField{ID: f.ID, CommunityID: b.cm.ID, Name: "Plan", Type: openboards.FieldDropdown, DefaultValue: ptr("Pro"),
		PossibleValues: []openboards.PossibleValue{{Order: 1, Value: "Basic"}, {Order: 2, Value: "Pro"}}, AssignedCategoryIDs: []int64{cat.ID}}, got)

	for _, tt := range []struct {
		f   *openboards.CustomField
		msg string
	}{
		{&openboards.CustomField{Name: "", Type: openboards.FieldText}, "name: required"},
		{&openboards.CustomField{Name: "X", Type: "colour"}, `type: unknown custom field type "colour"`},
		{&openboards.CustomField{Name: "X", Type: openboards.FieldDropdown}, "possibleValues: a dropdown field needs at least one possible value"},
		{&openboards.CustomField{Name: "X", Type: openboards.FieldText, PossibleValues: []openboards.PossibleValue{{Value: "a"}}}, "possibleValues: a text field takes no possible values"},
		{&openboards.CustomField{Name: "X", Type: openboards.FieldDropdown, PossibleValues: []openboards.PossibleValue{{Value: "a"}, {Value: "A"}}}, "possibleValues[1].value: duplicate value"},
		{&openboards.CustomField{Name: "X", Type: openboards.FieldMultiSelect, PossibleValues: []openboards.PossibleValue{{Value: "a;b"}}}, "possibleValues[0].value: must not contain ';'"},
		{&openboards.CustomField{Name: "X", Type: openboards.FieldNumber, DefaultValue: ptr("many")}, `defaultValue: "many" is not a number`},
		{&openboards.CustomField{Name: "X", Type: openboards.FieldText, AssignedCategoryIDs: []int64{cat.ID, 12345}}, "assignedCategoryIds[1]: category 12345 not found"},
	} {
		wantErr(t, b.svc.CreateCustomField(b.ctx, b.cm, tt.f), openboards.CodeInvalid, tt.msg)
	}
	if fields, err := b.store.FindCustomFields(b.ctx, b.cm.ID); err != nil || len(fields) != 1 {
		t.Fatalf("fields after refused creates: %v, %v", fields, err)
	}

	upd := *got
	upd.Name, upd.IsRequired = "Tier", true
	if err := b.svc.UpdateCustomField(b.ctx, b.cm, &upd); err != nil {
		t.Fatal(err)
	}
	got, err = b.store.FindCustomFieldByID(b.ctx, b.cm.ID, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "updated field", &upd, got)
	theirs := upd
	wantErr(t, b.svc.UpdateCustomField(b.ctx, b.other, &theirs), openboards.CodeNotFound, "")

	tk := b.newTicket(t, ticket.CreateTicketInput{})
	diff(t, "default value", []openboards.FieldValue{{FieldID: f.ID, Value: "Pro"}}, tk.CustomFields)
	if err := b.svc.DeleteCustomField(b.ctx, b.cm, f.ID); err != nil {
		t.Fatal(err)
	}
	if got := b.ticket(t, tk.ID); len(got.CustomFields) != 0 {
		t.Fatalf("values of a deleted field: %v", got.CustomFields)
	}
	wantErr(t, b.svc.DeleteCustomField(b.ctx, b.cm, f.ID), openboards.CodeNotFound, "")
}

func (b *bundle) members(t *testing.T, groupID int64) []string {
	t.Helper()
	ids, err := b.store.FindUserGroupMemberIDs(b.ctx, b.cm.ID, groupID)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	return slices.Sorted(slices.Values(ids))
}

func TestUserGroups(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		g, err := b.svc.CreateUserGroup(b.ctx, b.cm, " Night shift ", []string{b.admin.ID, strings.ToUpper(b.member.ID), b.admin.ID})
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.store.FindUserGroupByID(b.ctx, b.cm.ID, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "group", &openboards.UserGroup{ID: g.ID, CommunityID: b.cm.ID, Name: "Night shift", CreatedAt: b.clock.stored()}, got)
		diff(t, "members", sorted(b.admin.ID, b.member.ID), b.members(t, g.ID))

		if err := b.svc.AddUserGroupMembers(b.ctx, b.cm, g.ID, []string{b.vendor.ID, b.admin.ID}); err != nil {
			t.Fatal(err)
		}
		diff(t, "after adding", sorted(b.admin.ID, b.member.ID, b.vendor.ID), b.members(t, g.ID))
		if err := b.svc.RemoveUserGroupMember(b.ctx, b.cm, g.ID, strings.ToUpper(b.admin.ID)); err != nil {
			t.Fatal(err)
		}
		diff(t, "after removing", sorted(b.member.ID, b.vendor.ID), b.members(t, g.ID))
		wantErr(t, b.svc.RemoveUserGroupMember(b.ctx, b.cm, g.ID, b.admin.ID), openboards.CodeNotFound, "")

		// Update replaces the members exactly and renames.
		if err := b.svc.UpdateUserGroup(b.ctx, b.cm, g.ID, ptr("Day shift"), &[]string{b.reader.ID, b.member.ID}); err != nil {
			t.Fatal(err)
		}
		diff(t, "after replacing", sorted(b.member.ID, b.reader.ID), b.members(t, g.ID))
		if got, err := b.store.FindUserGroupByID(b.ctx, b.cm.ID, g.ID); err != nil || got.Name != "Day shift" {
			t.Fatalf("after renaming: %v, %v", got, err)
		}
		// Neither given: nothing changes.
		if err := b.svc.UpdateUserGroup(b.ctx, b.cm, g.ID, nil, nil); err != nil {
			t.Fatal(err)
		}
		diff(t, "after a no-op", sorted(b.member.ID, b.reader.ID), b.members(t, g.ID))
		if err := b.svc.UpdateUserGroup(b.ctx, b.cm, g.ID, nil, &[]string{}); err != nil {
			t.Fatal(err)
		}
		diff(t, "after emptying", []string{}, b.members(t, g.ID))

		if err := b.svc.DeleteUserGroup(b.ctx, b.cm, g.ID); err != nil {
			t.Fatal(err)
		}
		_, err = b.store.FindUserGroupByID(b.ctx, b.cm.ID, g.ID)
		wantErr(t, err, openboards.CodeNotFound, "")
		b.user(t, b.member.ID) // teammates stay
		wantErr(t, b.svc.DeleteUserGroup(b.ctx, b.cm, g.ID), openboards.CodeNotFound, "")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, tt := range []struct {
			name    string
			members []string
			msg     string
		}{
			{" ", nil, "name: required"},
			{strings.Repeat("g", 201), nil, "name: longer than 200 characters"},
			{"G", []string{b.admin.ID, b.customer.ID}, "teammateIds[1]: user " + b.customer.ID + " is not a teammate"},
			{"G", []string{b.outsider.ID}, "teammateIds[0]: "},
			{"G", []string{"admin"}, "teammateIds[0].id: "},
		} {
			_, err := b.svc.CreateUserGroup(b.ctx, b.cm, tt.name, tt.members)
			wantErr(t, err, openboards.CodeInvalid, tt.msg)
		}
		if groups, err := b.store.FindUserGroups(b.ctx, b.cm.ID); err != nil || len(groups) != 0 {
			t.Fatalf("refused groups were stored: %v, %v", groups, err)
		}
		g, err := b.svc.CreateUserGroup(b.ctx, b.cm, "G", []string{b.admin.ID})
		if err != nil {
			t.Fatal(err)
		}
		wantErr(t, b.svc.AddUserGroupMembers(b.ctx, b.cm, g.ID, nil), openboards.CodeInvalid, "teammateIds: give at least one teammate id")
		wantErr(t, b.svc.AddUserGroupMembers(b.ctx, b.cm, g.ID, []string{b.member.ID, b.customer.ID}), openboards.CodeInvalid, "teammateIds[1]: ")
		wantErr(t, b.svc.UpdateUserGroup(b.ctx, b.cm, g.ID, ptr("Renamed"), &[]string{b.customer.ID}), openboards.CodeInvalid, "teammateIds[0]: ")
		wantErr(t, b.svc.UpdateUserGroup(b.ctx, b.cm, g.ID, ptr(""), nil), openboards.CodeInvalid, "name: required")
		diff(t, "members after refused changes", []string{b.admin.ID}, b.members(t, g.ID))
		if got, err := b.store.FindUserGroupByID(b.ctx, b.cm.ID, g.ID); err != nil || got.Name != "G" {
			t.Fatalf("group after refused changes: %v, %v", got, err)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if _, err := b.svc.CreateUserGroup(b.ctx, b.cm, "Support", nil); err != nil {
			t.Fatal(err)
		}
		g, err := b.svc.CreateUserGroup(b.ctx, b.cm, "Billing", nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.svc.CreateUserGroup(b.ctx, b.cm, "SUPPORT", []string{b.admin.ID})
		wantErr(t, err, openboards.CodeConflict, `name: a user group named "SUPPORT" already exists`)
		wantErr(t, b.svc.UpdateUserGroup(b.ctx, b.cm, g.ID, ptr("support"), nil), openboards.CodeConflict, "name: ")
		if groups, err := b.store.FindUserGroups(b.ctx, b.cm.ID); err != nil || len(groups) != 2 {
			t.Fatalf("groups after refused changes: %v, %v", groups, err)
		}
		// Another community may use the name.
		if _, err := b.svc.CreateUserGroup(b.ctx, b.other, "Support", []string{b.outsider.ID}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		g, err := b.svc.CreateUserGroup(b.ctx, b.other, "Theirs", []string{b.outsider.ID})
		if err != nil {
			t.Fatal(err)
		}
		wantErr(t, b.svc.AddUserGroupMembers(b.ctx, b.cm, g.ID, []string{b.admin.ID}), openboards.CodeNotFound, "")
		wantErr(t, b.svc.UpdateUserGroup(b.ctx, b.cm, g.ID, ptr("Mine"), nil), openboards.CodeNotFound, "")
		wantErr(t, b.svc.RemoveUserGroupMember(b.ctx, b.cm, g.ID, b.outsider.ID), openboards.CodeNotFound, "")
		wantErr(t, b.svc.DeleteUserGroup(b.ctx, b.cm, g.ID), openboards.CodeNotFound, "")
		ids, err := b.store.FindUserGroupMemberIDs(b.ctx, b.other.ID, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "their members", []string{b.outsider.ID}, ids)
	})
}

func TestWidgetSchedules(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ws := &openboards.WidgetSchedule{TimePeriod: openboards.PeriodWeekdays,
			Times:       []openboards.ScheduleTime{{StartAt: "00:00:00", EndAt: "08:30:00"}, {StartAt: "12:00:00", EndAt: "23:59:59"}},
			CustomTimes: &openboards.CustomTimes{Monday: []openboards.ScheduleTime{{StartAt: "01:00:00", EndAt: "02:00:00"}}}}
		if err := b.svc.PutWidgetSchedule(b.ctx, b.cm, ws); err != nil {
			t.Fatal(err)
		}
		if ws.WidgetID == 0 {
			t.Fatal("no widget id")
		}
		list := func() []*openboards.WidgetSchedule {
			t.Helper()
			got, err := b.store.FindWidgetSchedules(b.ctx, b.cm.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		// The custom times of a weekday schedule are dropped.
		diff(t, "weekdays", []*openboards.WidgetSchedule{{WidgetID: ws.WidgetID, CommunityID: b.cm.ID, TimePeriod: openboards.PeriodWeekdays,
			Times: []openboards.ScheduleTime{{StartAt: "00:00:00", EndAt: "08:30:00"}, {StartAt: "12:00:00", EndAt: "23:59:59"}}}}, list())

		custom := &openboards.WidgetSchedule{WidgetID: ws.WidgetID, TimePeriod: openboards.PeriodCustom,
			Times:       []openboards.ScheduleTime{{StartAt: "01:00:00", EndAt: "02:00:00"}},
			CustomTimes: &openboards.CustomTimes{Friday: []openboards.ScheduleTime{{StartAt: "09:00:00", EndAt: "17:00:00"}}}}
		if err := b.svc.PutWidgetSchedule(b.ctx, b.cm, custom); err != nil {
			t.Fatal(err)
		}
		diff(t, "custom", []*openboards.WidgetSchedule{{WidgetID: ws.WidgetID, CommunityID: b.cm.ID, TimePeriod: openboards.PeriodCustom,
			CustomTimes: &openboards.CustomTimes{Friday: []openboards.ScheduleTime{{StartAt: "09:00:00", EndAt: "17:00:00"}}}}}, list())

		wantErr(t, b.svc.PutWidgetSchedule(b.ctx, b.other, &openboards.WidgetSchedule{WidgetID: ws.WidgetID, TimePeriod: openboards.PeriodCustom,
			CustomTimes: &openboards.CustomTimes{}}), openboards.CodeNotFound, "")
		wantErr(t, b.svc.DeleteWidgetSchedule(b.ctx, b.other, ws.WidgetID), openboards.CodeNotFound, "")
		if err := b.svc.DeleteWidgetSchedule(b.ctx, b.cm, ws.WidgetID); err != nil {
			t.Fatal(err)
		}
		diff(t, "after delete", []*openboards.WidgetSchedule{}, list())
		wantErr(t, b.svc.DeleteWidgetSchedule(b.ctx, b.cm, ws.WidgetID), openboards.CodeNotFound, "")
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		times := func(start, end string) []openboards.ScheduleTime {
			return []openboards.ScheduleTime{{StartAt: "01:00:00", EndAt: "02:00:00"}, {StartAt: start, EndAt: end}}
		}
		for _, tt := range []struct {
			ws  openboards.WidgetSchedule
			msg string
		}{
			{openboards.WidgetSchedule{TimePeriod: 0}, "timePeriod: must be 1 (every day), 2 (weekdays) or 3 (custom)"},
			{openboards.WidgetSchedule{TimePeriod: 4, Times: times("08:00:00", "09:00:00")}, "timePeriod: "},
			{openboards.WidgetSchedule{TimePeriod: 1}, "times: required when timePeriod is 1"},
			{openboards.WidgetSchedule{TimePeriod: 2, CustomTimes: &openboards.CustomTimes{}}, "times: required when timePeriod is 2"},
			{openboards.WidgetSchedule{TimePeriod: 3, Times: times("08:00:00", "09:00:00")}, "customTimes: required when timePeriod is 3"},
			{openboards.WidgetSchedule{TimePeriod: 1, Times: times("24:00:00", "24:30:00")}, `times[1].startAt: "24:00:00" is not a time of day hh:mm:ss`},
			{openboards.WidgetSchedule{TimePeriod: 1, Times: times("9:00:00", "10:00:00")}, `times[1].startAt: "9:00:00" is not`},
			{openboards.WidgetSchedule{TimePeriod: 1, Times: times("09:00", "10:00:00")}, `times[1].startAt: "09:00" is not`},
			{openboards.WidgetSchedule{TimePeriod: 1, Times: times("09:00:00", "10:60:00")}, `times[1].endAt: "10:60:00" is not`},
			{openboards.WidgetSchedule{TimePeriod: 1, Times: times("09:00:00", "10:00:60")}, `times[1].endAt: "10:00:60" is not`},
			{openboards.WidgetSchedule{TimePeriod: 2, Times: times("09:00:00", "09:00:00")}, "times[1].endAt: must be after startAt"},
			{openboards.WidgetSchedule{TimePeriod: 2, Times: times("17:00:00", "09:00:00")}, "times[1].endAt: must be after startAt"},
			{openboards.WidgetSchedule{TimePeriod: 3, CustomTimes: &openboards.CustomTimes{Wednesday: times("12:00:00", "11:00:00")}},
				"customTimes.wednesday[1].endAt: must be after startAt"},
			{openboards.WidgetSchedule{TimePeriod: 3, CustomTimes: &openboards.CustomTimes{Sunday: times("ab:00:00", "11:00:00")}},
				`customTimes.sunday[1].startAt: "ab:00:00" is not`},
			{openboards.WidgetSchedule{TimePeriod: 1, Times: make([]openboards.ScheduleTime, 49)}, "times: more than 48 ranges"},
		} {
			wantErr(t, b.svc.PutWidgetSchedule(b.ctx, b.cm, &tt.ws), openboards.CodeInvalid, tt.msg)
		}
		if got, err := b.store.FindWidgetSchedules(b.ctx, b.cm.ID, nil); err != nil || len(got) != 0 {
			t.Fatalf("refused schedules were stored: %v, %v", got, err)
		}
		// The edges of the day are valid, and a custom schedule may leave
		// days empty.
		for _, ws := range []*openboards.WidgetSchedule{
			{TimePeriod: 1, Times: []openboards.ScheduleTime{{StartAt: "00:00:00", EndAt: "23:59:59"}}},
			{TimePeriod: 3, CustomTimes: &openboards.CustomTimes{}},
		} {
			if err := b.svc.PutWidgetSchedule(b.ctx, b.cm, ws); err != nil {
				t.Fatalf("PutWidgetSchedule(%+v): %v", ws, err)
			}
		}
	})
}

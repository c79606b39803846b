package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// names lists the names of categories, depth first, marking nesting with
// "/" ("Customers/ACME Corp").
func names(list []categoryView, prefix string) []string {
	var out []string
	for _, c := range list {
		out = append(out, prefix+c.Name)
		if c.Children != nil {
			out = append(out, names(*c.Children, prefix+c.Name+"/")...)
		}
	}
	return out
}

func TestCategories(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	secret := decode[categoryView](t, b.ok(t, "POST", "/categories", map[string]any{"name": "Secret", "parentId": f.customers, "isHidden": true})).ID

	t.Run("List", func(t *testing.T) {
		got := names(decode[[]categoryView](t, b.ok(t, "GET", "/categories", nil)), "")
		want := []string{"Customers", "Customers/ACME Corp", "Customers/Dunder Mifflin Paper Co", "Closed accounts"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("tree (-want +got):\n%s", diff)
		}
		got = names(decode[[]categoryView](t, b.ok(t, "GET", "/categories?includeHidden=true", nil)), "")
		want = []string{"Customers", "Customers/ACME Corp", "Customers/Dunder Mifflin Paper Co", "Customers/Secret", "Archive", "Closed accounts"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("tree with hidden (-want +got):\n%s", diff)
		}
	})
	t.Run("Get", func(t *testing.T) {
		got := decode[categoryView](t, b.ok(t, "GET", fmt.Sprintf("/categories/%d", f.customers), nil))
		if got.ID != f.customers || got.ParentID != nil || !got.CanBeChosen || got.Children == nil {
			t.Fatalf("category %+v", got)
		}
		if diff := cmp.Diff([]string{"ACME Corp", "Dunder Mifflin Paper Co"}, names(*got.Children, "")); diff != "" {
			t.Errorf("children (-want +got):\n%s", diff)
		}
		for _, ch := range *got.Children {
			if ch.ParentID == nil || *ch.ParentID != f.customers || ch.Children == nil || len(*ch.Children) != 0 {
				t.Errorf("child %+v, want parentId %d and children []", ch, f.customers)
			}
		}
		got = decode[categoryView](t, b.ok(t, "GET", fmt.Sprintf("/categories/%d?includeHidden=true", f.customers), nil))
		if len(*got.Children) != 3 {
			t.Errorf("got %d children with includeHidden, want 3", len(*got.Children))
		}
		// A hidden category can be read by id.
		archive := decode[categoryView](t, b.ok(t, "GET", fmt.Sprintf("/categories/%d", f.archive), nil))
		if !archive.IsHidden || !archive.AutoArchive || archive.Name != "Archive" {
			t.Errorf("archive %+v", archive)
		}
		locked := decode[categoryView](t, b.ok(t, "GET", fmt.Sprintf("/categories/%d", f.locked), nil))
		if locked.CanBeChosen || !locked.IsMuted {
			t.Errorf("locked %+v", locked)
		}
	})
	t.Run("Subcategories", func(t *testing.T) {
		for _, tc := range []struct {
			path string
			want []string
		}{
			{"/categories/subcategories", []string{"Customers", "Closed accounts"}},
			{"/categories/0/subcategories", []string{"Customers", "Closed accounts"}},
			{"/categories/subcategories?includeHidden=true", []string{"Customers", "Archive", "Closed accounts"}},
			{fmt.Sprintf("/categories/%d/subcategories", f.customers), []string{"ACME Corp", "Dunder Mifflin Paper Co"}},
			{fmt.Sprintf("/categories/%d/subcategories?includeHidden=1", f.customers), []string{"ACME Corp", "Dunder Mifflin Paper Co", "Secret"}},
			{fmt.Sprintf("/categories/%d/subcategories", f.acme), nil},
		} {
			data := b.ok(t, "GET", tc.path, nil)
			if strings.Contains(string(data), `"children"`) {
				t.Errorf("GET %s: %s has a children key", tc.path, data)
			}
			if diff := cmp.Diff(tc.want, names(decode[[]categoryView](t, data), "")); diff != "" {
				t.Errorf("GET %s (-want +got):\n%s", tc.path, diff)
			}
		}
		b.fail(t, "GET", "/categories/999/subcategories", nil, 404, "category 999 not found")
		b.fail(t, "GET", "/categories/abc/subcategories", nil, 400, `id: "abc"`)
		b.fail(t, "GET", "/categories/subcategories?includeHidden=maybe", nil, 400, `includeHidden: "maybe" is not true or false`)
	})
	t.Run("Create", func(t *testing.T) {
		data := b.ok(t, "POST", "/categories", map[string]any{"name": "  Partners  ", "parentId": f.customers, "canBeChosen": false, "isMuted": true})
		got := decode[categoryView](t, data)
		if got.Name != "Partners" || got.ParentID == nil || *got.ParentID != f.customers || got.CanBeChosen || !got.IsMuted || got.IsHidden ||
			got.Children == nil || len(*got.Children) != 0 {
			t.Fatalf("category %+v", got)
		}
		if again := b.ok(t, "GET", fmt.Sprintf("/categories/%d", got.ID), nil); string(again) != string(data) {
			t.Fatalf("GET after create: %s, create answered %s", again, data)
		}
		root := decode[categoryView](t, b.ok(t, "POST", "/categories", map[string]any{"name": "Root", "parentId": 0}))
		if root.ParentID != nil || !root.CanBeChosen {
			t.Fatalf("parentId 0: %+v, want a root category that can be chosen", root)
		}
	})
	t.Run("Update", func(t *testing.T) {
		path := fmt.Sprintf("/categories/%d", f.dunder)
		got := decode[categoryView](t, b.ok(t, "PATCH", path, map[string]any{"name": "Dunder Mifflin"}))
		if got.Name != "Dunder Mifflin" || got.ParentID == nil || *got.ParentID != f.customers || !got.CanBeChosen {
			t.Fatalf("rename: %+v, want the other fields kept", got)
		}
		got = decode[categoryView](t, b.ok(t, "PATCH", path, map[string]any{"parentId": nil, "isHidden": true}))
		if got.ParentID != nil || !got.IsHidden || got.Name != "Dunder Mifflin" {
			t.Fatalf("move to root: %+v", got)
		}
		got = decode[categoryView](t, b.ok(t, "PATCH", path, map[string]any{"parentId": f.acme, "isHidden": false}))
		if got.ParentID == nil || *got.ParentID != f.acme {
			t.Fatalf("move below ACME: %+v", got)
		}
		tree := names(decode[[]categoryView](t, b.ok(t, "GET", "/categories", nil)), "")
		if !slices.Contains(tree, "Customers/ACME Corp/Dunder Mifflin") {
			t.Fatalf("tree %v", tree)
		}
		// Tickets show the new name.
		b.ok(t, "PATCH", fmt.Sprintf("/tickets/%d/category", f.plain), map[string]any{"id": f.dunder})
		if got := b.ticket(t, f.plain).Category; got == nil || got.Name != "Dunder Mifflin" {
			t.Fatalf("ticket category %+v", got)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		field := decode[customFieldView](t, b.ok(t, "POST", "/customfields", map[string]any{"name": "Per category", "type": "text",
			"assignedCategoryIds": []int64{f.customers, f.acme}})).ID
		// ACME holds the seeded ticket and now Dunder Mifflin.
		b.fail(t, "DELETE", fmt.Sprintf("/categories/%d", f.acme), nil, 409, fmt.Sprintf("category %d has 1 subcategories", f.acme))
		b.ok(t, "DELETE", fmt.Sprintf("/categories/%d", f.dunder), nil)
		b.ok(t, "DELETE", fmt.Sprintf("/categories/%d", f.acme), nil)
		if got := b.ticket(t, f.ticket).Category; got != nil {
			t.Fatalf("ticket category %+v after deleting it, want null", got)
		}
		if got := b.listIDs(t, map[string]any{"categoryId": nil}); !slices.Contains(got, f.ticket) || !slices.Contains(got, f.plain) {
			t.Fatalf("uncategorised tickets %v", got)
		}
		b.fail(t, "GET", fmt.Sprintf("/categories/%d", f.acme), nil, 404, fmt.Sprintf("category %d not found", f.acme))
		b.fail(t, "DELETE", fmt.Sprintf("/categories/%d", f.acme), nil, 404, "not found")
		// Custom fields forget the deleted category.
		cf := decode[customFieldView](t, b.ok(t, "GET", fmt.Sprintf("/customfields/%d", field), nil))
		if !slices.Equal(cf.AssignedCategoryIDs, []int64{f.customers}) {
			t.Fatalf("assignedCategoryIds %v, want [%d]", cf.AssignedCategoryIDs, f.customers)
		}
		// Ids are not reused.
		next := decode[categoryView](t, b.ok(t, "POST", "/categories", map[string]any{"name": "New"})).ID
		if next <= secret {
			t.Fatalf("new category id %d, want above every earlier id (%d)", next, secret)
		}
	})

	b.reject(t, b.client, []rejected{
		{"ErrGetUnknown", "GET", "/categories/999", nil, 404, "category 999 not found"},
		{"ErrGetBadID", "GET", "/categories/x", nil, 400, `id: "x" is not a positive integer id`},
		{"ErrListIncludeHidden", "GET", "/categories?includeHidden=yes", nil, 400, "includeHidden"},
		{"ErrDeleteWithChildren", "DELETE", fmt.Sprintf("/categories/%d", f.customers), nil, 409, "subcategories; move or delete them first"},
		{"ErrCreateNoName", "POST", "/categories", map[string]any{"parentId": f.customers}, 400, "name: required"},
		{"ErrCreateBlankName", "POST", "/categories", map[string]any{"name": "   "}, 400, "name: required"},
		{"ErrCreateLongName", "POST", "/categories", map[string]any{"name": strings.Repeat("n", 201)}, 400, "name: longer than 200 characters"},
		{"ErrCreateNameType", "POST", "/categories", map[string]any{"name": 5}, 400, "name: must be a string"},
		{"ErrCreateUnknownParent", "POST", "/categories", map[string]any{"name": "X", "parentId": 999}, 400, "parentId: category 999 not found"},
		{"ErrCreateParentType", "POST", "/categories", map[string]any{"name": "X", "parentId": "1"}, 400, "parentId: must be an integer"},
		{"ErrCreateFlagType", "POST", "/categories", map[string]any{"name": "X", "isHidden": "no"}, 400, "isHidden: must be true or false"},
		{"ErrCreateMalformed", "POST", "/categories", `{"name": "X"`, 400, "invalid JSON"},
		{"ErrCreateEmptyBody", "POST", "/categories", nil, 400, "a JSON body is required"},
		{"ErrUpdateUnknown", "PATCH", "/categories/999", map[string]any{"name": "X"}, 404, "category 999 not found"},
		{"ErrUpdateBelowItself", "PATCH", fmt.Sprintf("/categories/%d", f.customers), map[string]any{"parentId": f.customers}, 400, "parentId: a category cannot be placed below itself or its subcategories"},
		{"ErrUpdateBelowChild", "PATCH", fmt.Sprintf("/categories/%d", f.customers), map[string]any{"parentId": secret}, 400, "below itself or its subcategories"},
		{"ErrUpdateBlankName", "PATCH", fmt.Sprintf("/categories/%d", f.customers), map[string]any{"name": ""}, 400, "name: required"},
		{"ErrUpdateEmptyBody", "PATCH", fmt.Sprintf("/categories/%d", f.customers), nil, 400, "a JSON body is required"},
		{"ErrDeleteUnknown", "DELETE", "/categories/999", nil, 404, "category 999 not found"},
	})
}

func TestCustomFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	hidden := decode[customFieldView](t, b.ok(t, "POST", "/customfields", map[string]any{"name": "Internal score", "type": "number", "isHidden": true, "order": 0})).ID

	t.Run("List", func(t *testing.T) {
		var got []int64
		for _, cf := range decode[[]customFieldView](t, b.ok(t, "GET", "/customfields", nil)) {
			got = append(got, cf.ID)
		}
		want := []int64{f.number, f.date, f.checkbox, f.region, f.size, f.email, f.website}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("fields by order (-want +got):\n%s", diff)
		}
		got = nil
		for _, cf := range decode[[]customFieldView](t, b.ok(t, "GET", "/customfields?includeHidden=true", nil)) {
			got = append(got, cf.ID)
		}
		if diff := cmp.Diff(append([]int64{hidden}, want...), got); diff != "" {
			t.Errorf("fields with hidden (-want +got):\n%s", diff)
		}
	})
	t.Run("Get", func(t *testing.T) {
		data := b.ok(t, "GET", fmt.Sprintf("/customfields/%d", f.region), nil)
		got := decode[customFieldView](t, data)
		if got.Name != "Shop region" || got.Type != "region" || len(got.PossibleValues) != 3 || got.PossibleValues[0].Value != "Østfold" ||
			got.AssignedCategoryIDs == nil || got.DefaultValue != nil {
			t.Fatalf("field %+v", got)
		}
		var keys map[string]json.RawMessage
		json.Unmarshal(data, &keys)
		if string(keys["value"]) != "null" || string(keys["placeholder"]) != `"region"` {
			t.Fatalf("field %s: want value null and placeholder region", data)
		}
	})
	t.Run("Create", func(t *testing.T) {
		data := b.ok(t, "POST", "/customfields", map[string]any{
			"name": " Colour ", "type": "MultiSelect", "order": 9, "placeholder": "pick", "defaultValue": "red;BLUE",
			"isRequired": false, "isSensitiveData": true, "assignedCategoryIds": []int64{f.acme},
			"possibleValues": []map[string]any{{"order": 1, "value": " Red "}, {"order": 2, "value": "Blue"}},
		})
		got := decode[customFieldView](t, data)
		if got.Name != "Colour" || got.Type != "multiselect" || got.DefaultValue == nil || *got.DefaultValue != "Red;Blue" ||
			got.PossibleValues[0].Value != "Red" || !slices.Equal(got.AssignedCategoryIDs, []int64{f.acme}) {
			t.Fatalf("field %+v", got)
		}
		if again := b.ok(t, "GET", fmt.Sprintf("/customfields/%d", got.ID), nil); string(again) != string(data) {
			t.Fatalf("GET after create: %s, create answered %s", again, data)
		}
	})
	t.Run("Update", func(t *testing.T) {
		path := fmt.Sprintf("/customfields/%d", f.size)
		got := decode[customFieldView](t, b.ok(t, "PUT", path, map[string]any{"name": "Size", "type": "dropdown", "order": 5,
			"possibleValues": []map[string]any{{"order": 1, "value": "Small"}, {"order": 2, "value": "Medium"}, {"order": 3, "value": "Large"}}}))
		if got.ID != f.size || len(got.PossibleValues) != 3 {
			t.Fatalf("field %+v", got)
		}
		b.ok(t, "PATCH", fmt.Sprintf("/tickets/%d/customfields", f.plain), map[string]any{"id": f.size, "value": "medium"})
		if got := b.ticket(t, f.plain).CustomFields; !slices.Contains(got, fieldValueView{f.size, "Medium"}) {
			t.Fatalf("ticket values %v", got)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		b.ok(t, "DELETE", fmt.Sprintf("/customfields/%d", f.region), nil)
		b.fail(t, "GET", fmt.Sprintf("/customfields/%d", f.region), nil, 404, fmt.Sprintf("custom field %d not found", f.region))
		if got := b.ticket(t, f.ticket).CustomFields; !slices.Equal(got, []fieldValueView{{f.number, "42"}}) {
			t.Fatalf("ticket values %v, want the deleted field's value gone", got)
		}
		b.fail(t, "DELETE", fmt.Sprintf("/customfields/%d", f.region), nil, 404, "not found")
	})

	field := func(kv ...any) map[string]any {
		m := map[string]any{"name": "Field", "type": "text"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	choices := []map[string]any{{"order": 1, "value": "A"}, {"order": 2, "value": "B"}}
	var cases []rejected
	for _, method := range []string{"POST", "PUT"} {
		path := "/customfields"
		if method == "PUT" {
			path = fmt.Sprintf("/customfields/%d", f.number)
		}
		cases = append(cases,
			rejected{method + "/ErrNoName", method, path, field("name", ""), 400, "name: required"},
			rejected{method + "/ErrType", method, path, field("type", "colour"), 400, `type: unknown custom field type "colour"`},
			rejected{method + "/ErrNoType", method, path, field("type", nil), 400, "type: unknown custom field type"},
			rejected{method + "/ErrNoChoices", method, path, field("type", "dropdown"), 400, "possibleValues: a dropdown field needs at least one possible value"},
			rejected{method + "/ErrChoicesOnText", method, path, field("possibleValues", choices), 400, "possibleValues: a text field takes no possible values"},
			rejected{method + "/ErrDuplicateChoice", method, path, field("type", "region", "possibleValues", []map[string]any{{"value": "Oslo"}, {"value": "oslo"}}), 400, `possibleValues[1].value: duplicate value "oslo"`},
			rejected{method + "/ErrEmptyChoice", method, path, field("type", "dropdown", "possibleValues", []map[string]any{{"value": " "}}), 400, "possibleValues[0].value: required"},
			rejected{method + "/ErrDefault", method, path, field("type", "number", "defaultValue", "ten"), 400, `defaultValue: "ten" is not a number`},
			rejected{method + "/ErrDefaultChoice", method, path, field("type", "dropdown", "possibleValues", choices, "defaultValue", "C"), 400, "defaultValue:"},
			rejected{method + "/ErrCategory", method, path, field("assignedCategoryIds", []int64{f.acme, 999}), 400, "assignedCategoryIds[1]: category 999 not found"},
			rejected{method + "/ErrOrderType", method, path, field("order", "1"), 400, "order: must be an integer"},
			rejected{method + "/ErrMalformed", method, path, `{"name": "x",}`, 400, "invalid JSON"},
			rejected{method + "/ErrEmptyBody", method, path, nil, 400, "a JSON body is required"},
		)
	}
	cases = append(cases,
		rejected{"ErrGetUnknown", "GET", "/customfields/999", nil, 404, "custom field 999 not found"},
		rejected{"ErrGetBadID", "GET", "/customfields/abc", nil, 400, `id: "abc"`},
		rejected{"ErrUpdateUnknown", "PUT", "/customfields/999", field(), 404, "custom field 999 not found"},
		rejected{"ErrDeleteUnknown", "DELETE", "/customfields/999", nil, 404, "custom field 999 not found"},
		rejected{"ErrListIncludeHidden", "GET", "/customfields?includeHidden=2", nil, 400, "includeHidden"},
	)
	b.reject(t, b.client, cases)
}

func TestTeammates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)

	got := decode[[]teammateView](t, b.ok(t, "GET", "/teammates", nil))
	email := func(s string) *string { return &s }
	want := []teammateView{
		{b.agent.ID, "Anna Agent", email("anna.agent@example.com"), "team_member"},
		{b.admin.ID, "Robert Baker", email("robert.baker@example.com"), "admin"},
		{b.viewer.ID, "William Shakespeare", email("william@example.com"), "read_only_user"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("teammates by name, without customers or the API user (-want +got):\n%s", diff)
	}
	group := decode[[]teammateView](t, b.ok(t, "GET", fmt.Sprintf("/teammates?group=%d", f.group), nil))
	if diff := cmp.Diff(want[:1], group); diff != "" {
		t.Errorf("teammates of group %d (-want +got):\n%s", f.group, diff)
	}
	b.fail(t, "GET", "/teammates?group=999", nil, 404, "user group 999 not found")
	b.fail(t, "GET", "/teammates?group=abc", nil, 400, `group: "abc" is not an integer`)
}

func TestUserGroups(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	group := func(t *testing.T, id int64) groupView {
		t.Helper()
		return decode[groupView](t, b.ok(t, "GET", fmt.Sprintf("/usergroups/%d", id), nil))
	}
	sorted := func(ids ...string) []string {
		slices.Sort(ids)
		return ids
	}

	t.Run("List", func(t *testing.T) {
		data := b.ok(t, "GET", "/usergroups", nil)
		if want := fmt.Sprintf(`[{"id":%d,"name":"Level 2"}]`, f.group); string(data) != want {
			t.Fatalf("got %s, want %s", data, want)
		}
	})
	t.Run("Get", func(t *testing.T) {
		if got := group(t, f.group); got.Name != "Level 2" || !slices.Equal(got.TeammateIDs, []string{b.agent.ID}) {
			t.Fatalf("group %+v", got)
		}
	})
	var billing int64
	t.Run("Create", func(t *testing.T) {
		got := decode[groupView](t, b.ok(t, "POST", "/usergroups", map[string]any{"name": " Billing ", "teammateIds": []string{strings.ToUpper(b.admin.ID), b.viewer.ID}}))
		billing = got.ID
		if got.Name != "Billing" || !slices.Equal(got.TeammateIDs, sorted(b.admin.ID, b.viewer.ID)) {
			t.Fatalf("group %+v", got)
		}
		if diff := cmp.Diff(got, group(t, billing)); diff != "" {
			t.Fatalf("GET after create (-create +get):\n%s", diff)
		}
		data := b.ok(t, "POST", "/usergroups", map[string]any{"name": "Empty"})
		if want := `"teammateIds":[]`; !strings.Contains(string(data), want) {
			t.Fatalf("group %s, want %s", data, want)
		}
		var list []string
		for _, g := range decode[[]groupView](t, b.ok(t, "GET", "/usergroups", nil)) {
			list = append(list, g.Name)
		}
		if diff := cmp.Diff([]string{"Billing", "Empty", "Level 2"}, list); diff != "" {
			t.Fatalf("groups by name (-want +got):\n%s", diff)
		}
	})
	t.Run("Rename", func(t *testing.T) {
		got := decode[groupView](t, b.ok(t, "PATCH", fmt.Sprintf("/usergroups/%d", billing), map[string]any{"name": "Billing team"}))
		if got.Name != "Billing team" || len(got.TeammateIDs) != 2 {
			t.Fatalf("group %+v", got)
		}
		// Renaming to the same name in another case is not a conflict.
		b.ok(t, "PATCH", fmt.Sprintf("/usergroups/%d", billing), map[string]any{"name": "Billing Team"})
		// What the body leaves out stays.
		got = decode[groupView](t, b.ok(t, "PATCH", fmt.Sprintf("/usergroups/%d", billing), map[string]any{}))
		if got.Name != "Billing Team" || !slices.Equal(got.TeammateIDs, sorted(b.admin.ID, b.viewer.ID)) {
			t.Fatalf("group %+v after an empty PATCH", got)
		}
	})
	t.Run("ReplaceMembers", func(t *testing.T) {
		path := fmt.Sprintf("/usergroups/%d", billing)
		got := decode[groupView](t, b.ok(t, "PATCH", path, map[string]any{"teammateIds": []string{b.agent.ID, b.viewer.ID}}))
		if got.Name != "Billing Team" || !slices.Equal(got.TeammateIDs, sorted(b.agent.ID, b.viewer.ID)) {
			t.Fatalf("group %+v, want exactly the agent and the viewer", got)
		}
		got = decode[groupView](t, b.ok(t, "PATCH", path, map[string]any{"teammateIds": []string{}}))
		if got.TeammateIDs == nil || len(got.TeammateIDs) != 0 {
			t.Fatalf("group %+v, want no members", got)
		}
		got = decode[groupView](t, b.ok(t, "PATCH", path, map[string]any{"teammateIds": []string{b.admin.ID, b.viewer.ID}}))
		if !slices.Equal(got.TeammateIDs, sorted(b.admin.ID, b.viewer.ID)) {
			t.Fatalf("group %+v", got)
		}
	})
	t.Run("Members", func(t *testing.T) {
		path := fmt.Sprintf("/usergroups/%d/teammates", billing)
		got := decode[groupView](t, b.ok(t, "POST", path, map[string]any{"teammateIds": []string{b.agent.ID, b.admin.ID}}))
		if !slices.Equal(got.TeammateIDs, sorted(b.admin.ID, b.agent.ID, b.viewer.ID)) {
			t.Fatalf("members %v", got.TeammateIDs)
		}
		got = decode[groupView](t, b.ok(t, "DELETE", path+"/"+strings.ToUpper(b.viewer.ID), nil))
		if !slices.Equal(got.TeammateIDs, sorted(b.admin.ID, b.agent.ID)) {
			t.Fatalf("members %v after removing the viewer", got.TeammateIDs)
		}
		in := decode[[]teammateView](t, b.ok(t, "GET", fmt.Sprintf("/teammates?group=%d", billing), nil))
		if len(in) != 2 || in[0].ID != b.agent.ID || in[1].ID != b.admin.ID {
			t.Fatalf("GET /teammates?group=%d: %+v", billing, in)
		}
	})

	var customer string
	for _, tk := range decode[[]ticketView](t, b.ok(t, "POST", "/tickets/list", nil)) {
		customer = tk.Author.ID
	}
	members := fmt.Sprintf("/usergroups/%d/teammates", billing)
	b.reject(t, b.client, []rejected{
		{"ErrDuplicateName", "POST", "/usergroups", map[string]any{"name": "level 2"}, 409, `name: a user group named "level 2" already exists`},
		{"ErrRenameDuplicate", "PATCH", fmt.Sprintf("/usergroups/%d", billing), map[string]any{"name": "LEVEL 2"}, 409, "already exists"},
		{"ErrNoName", "POST", "/usergroups", map[string]any{"teammateIds": []string{b.agent.ID}}, 400, "name: required"},
		{"ErrLongName", "POST", "/usergroups", map[string]any{"name": strings.Repeat("g", 201)}, 400, "name: longer than 200 characters"},
		{"ErrMembersType", "POST", "/usergroups", map[string]any{"name": "X", "teammateIds": b.agent.ID}, 400, "teammateIds: must be an array"},
		{"ErrUnknownMember", "POST", "/usergroups", map[string]any{"name": "X", "teammateIds": []string{b.agent.ID, "3561ab34-b6bd-4998-97e6-4ad5a58a89e8"}}, 400, "teammateIds[1]: user"},
		{"ErrCustomerMember", "POST", "/usergroups", map[string]any{"name": "X", "teammateIds": []string{customer}}, 400, "teammateIds[0]: user " + customer + " is not a teammate"},
		{"ErrMemberNotGUID", "POST", "/usergroups", map[string]any{"name": "X", "teammateIds": []string{"anna"}}, 400, `teammateIds[0].id: "anna" is not a GUID`},
		{"ErrCreateEmptyBody", "POST", "/usergroups", nil, 400, "a JSON body is required"},
		{"ErrGetUnknown", "GET", "/usergroups/999", nil, 404, "user group 999 not found"},
		{"ErrRenameUnknown", "PATCH", "/usergroups/999", map[string]any{"name": "X"}, 404, "user group 999 not found"},
		{"ErrRenameEmpty", "PATCH", fmt.Sprintf("/usergroups/%d", billing), map[string]any{"name": ""}, 400, "name: required"},
		{"ErrReplaceCustomer", "PATCH", fmt.Sprintf("/usergroups/%d", billing), map[string]any{"name": "Renamed", "teammateIds": []string{b.agent.ID, customer}}, 400, "teammateIds[1]: user " + customer + " is not a teammate"},
		{"ErrUpdateEmptyBody", "PATCH", fmt.Sprintf("/usergroups/%d", billing), nil, 400, "a JSON body is required"},
		{"ErrAddNone", "POST", members, map[string]any{"teammateIds": []string{}}, 400, "teammateIds: give at least one teammate id"},
		{"ErrAddCustomer", "POST", members, map[string]any{"teammateIds": []string{customer}}, 400, "is not a teammate"},
		{"ErrAddUnknownGroup", "POST", "/usergroups/999/teammates", map[string]any{"teammateIds": []string{b.agent.ID}}, 404, "user group 999 not found"},
		{"ErrRemoveNotMember", "DELETE", members + "/" + b.viewer.ID, nil, 404, "is not a member of user group"},
		{"ErrRemoveNotGUID", "DELETE", members + "/anna", nil, 400, `userId: "anna" is not a GUID`},
		{"ErrRemoveUnknownGroup", "DELETE", "/usergroups/999/teammates/" + b.agent.ID, nil, 404, "not a member of user group 999"},
		{"ErrDeleteUnknown", "DELETE", "/usergroups/999", nil, 404, "user group 999 not found"},
	})

	t.Run("Delete", func(t *testing.T) {
		b.ok(t, "DELETE", fmt.Sprintf("/usergroups/%d", billing), nil)
		b.fail(t, "GET", fmt.Sprintf("/usergroups/%d", billing), nil, 404, "not found")
		// The teammates stay.
		if got := decode[[]teammateView](t, b.ok(t, "GET", "/teammates", nil)); len(got) != 3 {
			t.Fatalf("got %d teammates, want 3", len(got))
		}
	})
}

func TestTags(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if got := string(b.ok(t, "GET", "/tags", nil)); got != "[]" {
		t.Fatalf("tags of a new community: %s, want []", got)
	}
	f := b.seed(t)
	b.ok(t, "PUT", fmt.Sprintf("/tickets/%d/tags", f.plain), []string{"billing", "Archived"})
	got := decode[[]refView](t, b.ok(t, "GET", "/tags", nil))
	var list []string
	ids := map[int64]bool{}
	for _, tg := range got {
		list = append(list, tg.Name)
		ids[tg.ID] = true
	}
	// Tags are listed by name without regard to case; "billing" matched
	// the existing "Billing".
	if diff := cmp.Diff([]string{"Archived", "Billing", "VIP"}, list); diff != "" {
		t.Fatalf("tags (-want +got):\n%s", diff)
	}
	if len(ids) != 3 || ids[0] {
		t.Fatalf("tag ids %v, want three distinct ids", ids)
	}
}

func TestWidgetSchedules(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := b.seed(t)
	times := []map[string]string{{"startAt": "08:00:00", "endAt": "12:00:00"}, {"startAt": "13:00:00", "endAt": "16:30:00"}}

	type schedule struct {
		CommunityID int64                          `json:"communityId"`
		CustomTimes map[string][]map[string]string `json:"customTimes"`
		TimePeriod  int                            `json:"timePeriod"`
		Times       []map[string]string            `json:"times"`
		WidgetID    int64                          `json:"widgetId"`
	}
	var daily int64
	t.Run("EveryDay", func(t *testing.T) {
		data := b.ok(t, "POST", "/widgets/schedules", map[string]any{"timePeriod": 1, "times": times,
			"customTimes": map[string]any{"monday": times}})
		got := decode[schedule](t, data)
		daily = got.WidgetID
		if got.CommunityID != b.cm.ID || got.TimePeriod != 1 || !cmp.Equal(got.Times, times) || got.CustomTimes != nil || daily == f.widget {
			t.Fatalf("schedule %s", data)
		}
		if !strings.Contains(string(data), `"customTimes":null`) {
			t.Fatalf("schedule %s: want customTimes null", data)
		}
	})
	t.Run("Custom", func(t *testing.T) {
		data := b.ok(t, "GET", fmt.Sprintf("/widgets/schedules?widgetId=%d", f.widget), nil)
		got := decode[[]schedule](t, data)
		if len(got) != 1 || got[0].TimePeriod != 3 || got[0].Times != nil || len(got[0].CustomTimes) != 7 ||
			got[0].CustomTimes["saturday"][0]["startAt"] != "18:30:00" {
			t.Fatalf("schedules %s", data)
		}
		if !strings.Contains(string(data), `"times":null`) {
			t.Fatalf("schedules %s: want times null", data)
		}
	})
	t.Run("List", func(t *testing.T) {
		var ids []int64
		for _, s := range decode[[]schedule](t, b.ok(t, "GET", "/widgets/schedules", nil)) {
			ids = append(ids, s.WidgetID)
		}
		if !slices.Equal(ids, []int64{f.widget, daily}) {
			t.Fatalf("widgets %v, want %v", ids, []int64{f.widget, daily})
		}
		if got := string(b.ok(t, "GET", "/widgets/schedules?widgetId=999", nil)); got != "[]" {
			t.Fatalf("unknown widget: %s, want []", got)
		}
	})
	t.Run("Replace", func(t *testing.T) {
		got := decode[schedule](t, b.ok(t, "POST", "/widgets/schedules", map[string]any{"widgetId": f.widget, "timePeriod": 2, "times": times[:1]}))
		if got.WidgetID != f.widget || got.TimePeriod != 2 || got.CustomTimes != nil {
			t.Fatalf("schedule %+v", got)
		}
		list := decode[[]schedule](t, b.ok(t, "GET", fmt.Sprintf("/widgets/schedules?widgetId=%d", f.widget), nil))
		if diff := cmp.Diff([]schedule{got}, list); diff != "" {
			t.Fatalf("stored (-put +get):\n%s", diff)
		}
	})

	b.reject(t, b.client, []rejected{
		{"ErrPeriod", "POST", "/widgets/schedules", map[string]any{"timePeriod": 4, "times": times}, 400, "timePeriod: must be 1 (every day), 2 (weekdays) or 3 (custom)"},
		{"ErrNoPeriod", "POST", "/widgets/schedules", map[string]any{"times": times}, 400, "timePeriod"},
		{"ErrPeriodType", "POST", "/widgets/schedules", map[string]any{"timePeriod": "1", "times": times}, 400, "timePeriod: must be an integer"},
		{"ErrNoTimes", "POST", "/widgets/schedules", map[string]any{"timePeriod": 2}, 400, "times: required when timePeriod is 2"},
		{"ErrStart", "POST", "/widgets/schedules", map[string]any{"timePeriod": 1, "times": []map[string]string{{"startAt": "25:00:00", "endAt": "26:00:00"}}}, 400, `times[0].startAt: "25:00:00" is not a time of day hh:mm:ss`},
		{"ErrEnd", "POST", "/widgets/schedules", map[string]any{"timePeriod": 1, "times": []map[string]string{{"startAt": "08:00:00", "endAt": "5pm"}}}, 400, "times[0].endAt"},
		{"ErrOrder", "POST", "/widgets/schedules", map[string]any{"timePeriod": 1, "times": []map[string]string{{"startAt": "08:00:00", "endAt": "07:00:00"}}}, 400, "times[0].endAt: must be after startAt"},
		{"ErrNoCustomTimes", "POST", "/widgets/schedules", map[string]any{"timePeriod": 3, "times": times}, 400, "customTimes: required when timePeriod is 3"},
		{"ErrCustomDay", "POST", "/widgets/schedules", map[string]any{"timePeriod": 3, "customTimes": map[string]any{"monday": times, "friday": []map[string]string{{"startAt": "9:00", "endAt": "10:00:00"}}}}, 400, "customTimes.friday[0].startAt"},
		{"ErrUnknownWidget", "POST", "/widgets/schedules", map[string]any{"widgetId": 999, "timePeriod": 1, "times": times}, 404, "widget 999 not found"},
		{"ErrMalformed", "POST", "/widgets/schedules", `{"timePeriod": 1,`, 400, "invalid JSON"},
		{"ErrEmptyBody", "POST", "/widgets/schedules", nil, 400, "a JSON body is required"},
		{"ErrListWidgetID", "GET", "/widgets/schedules?widgetId=abc", nil, 400, `widgetId: "abc" is not an integer`},
		{"ErrDeleteUnknown", "DELETE", "/widgets/schedules/999", nil, 404, "widget 999 not found"},
		{"ErrDeleteBadID", "DELETE", "/widgets/schedules/abc", nil, 400, `widgetId: "abc"`},
	})

	t.Run("Delete", func(t *testing.T) {
		b.ok(t, "DELETE", fmt.Sprintf("/widgets/schedules/%d", daily), nil)
		list := decode[[]schedule](t, b.ok(t, "GET", "/widgets/schedules", nil))
		if len(list) != 1 || list[0].WidgetID != f.widget {
			t.Fatalf("schedules %+v after delete", list)
		}
		b.fail(t, "DELETE", fmt.Sprintf("/widgets/schedules/%d", daily), nil, 404, "not found")
	})
}

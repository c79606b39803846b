package storetest

import (
	"openboards/internal/openboards"
	"slices"
	"testing"
)

func testCategories(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		root := b.category(b.cm1, &openboards.Category{Name: "Sales", AutoArchive: true, CanBeChosen: false, IsHidden: true, IsMuted: true})
		child := b.category(b.cm1, &openboards.Category{Name: "Europe", ParentID: &root.ID, CanBeChosen: true})
		grandchild := b.category(b.cm1, &openboards.Category{Name: "France", ParentID: &child.ID, CanBeChosen: true})
		other := b.category(b.cm1, &openboards.Category{Name: "Support", CanBeChosen: true})
		got, err := b.store.FindCategoryByID(b.ctx, b.cm1.ID, child.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "category", child, got)
		list, err := b.store.FindCategories(b.ctx, b.cm1.ID)
		if err != nil {
			t.Fatal(err)
		}
		byID := func(a, b *openboards.Category) int { return int(a.ID - b.ID) }
		slices.SortFunc(list, byID)
		diff(t, "categories", []*openboards.Category{root, child, grandchild, other}, list)
		for _, c := range []struct {
			id   int64
			want int
		}{{root.ID, 1}, {child.ID, 1}, {grandchild.ID, 0}, {other.ID, 0}, {other.ID + 100, 0}} {
			n, err := b.store.CountCategoryChildren(b.ctx, b.cm1.ID, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if n != c.want {
				t.Errorf("CountCategoryChildren(%d) = %d, want %d", c.id, n, c.want)
			}
		}

		upd := *grandchild
		upd.Name, upd.ParentID, upd.AutoArchive, upd.CanBeChosen, upd.IsHidden, upd.IsMuted = "Germany", &root.ID, true, false, true, true
		b.tx(func(tx openboards.Tx) error { return tx.UpdateCategory(b.ctx, &upd) })
		got, err = b.store.FindCategoryByID(b.ctx, b.cm1.ID, grandchild.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "updated category", &upd, got)
		if n, err := b.store.CountCategoryChildren(b.ctx, b.cm1.ID, root.ID); err != nil || n != 2 {
			t.Fatalf("CountCategoryChildren(root) = %d, %v; want 2", n, err)
		}
		upd.ParentID = nil
		b.tx(func(tx openboards.Tx) error { return tx.UpdateCategory(b.ctx, &upd) })
		got, err = b.store.FindCategoryByID(b.ctx, b.cm1.ID, grandchild.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ParentID != nil {
			t.Fatalf("ParentID = %d, want none", *got.ParentID)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		cat := b.category(b.cm1, &openboards.Category{Name: "Doomed", CanBeChosen: true})
		keep := b.category(b.cm1, &openboards.Category{Name: "Kept", CanBeChosen: true})
		author := b.user(b.cm1, userOpts{})
		t1 := b.ticket(b.cm1, author, &openboards.Ticket{CategoryID: &cat.ID})
		t2 := b.ticket(b.cm1, author, &openboards.Ticket{CategoryID: &keep.ID})
		b.tx(func(tx openboards.Tx) error { return tx.DeleteCategory(b.ctx, b.cm1.ID, cat.ID) })
		_, err := b.store.FindCategoryByID(b.ctx, b.cm1.ID, cat.ID)
		wantCode(t, err, openboards.CodeNotFound)
		got := b.findTicket(b.cm1, t1.ID)
		if got.CategoryID != nil || got.Category != nil {
			t.Fatalf("ticket of a deleted category: CategoryID %v, Category %v; want none", got.CategoryID, got.Category)
		}
		got = b.findTicket(b.cm1, t2.ID)
		if got.CategoryID == nil || *got.CategoryID != keep.ID {
			t.Fatalf("ticket of another category lost it: %v", got.CategoryID)
		}
		ids, err := b.store.FindTicketIDs(b.ctx, openboards.TicketFilter{CommunityID: b.cm1.ID, CategorySet: true, Take: 10})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "uncategorised tickets", []int64{t1.ID}, ids)
		err = b.try(func(tx openboards.Tx) error { return tx.DeleteCategory(b.ctx, b.cm1.ID, cat.ID) })
		wantCode(t, err, openboards.CodeNotFound)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		_, err := b.store.FindCategoryByID(b.ctx, b.cm1.ID, 12345)
		wantCode(t, err, openboards.CodeNotFound)
		err = b.try(func(tx openboards.Tx) error {
			return tx.UpdateCategory(b.ctx, &openboards.Category{ID: 12345, CommunityID: b.cm1.ID, Name: "X"})
		})
		wantCode(t, err, openboards.CodeNotFound)
	})
}

func testCustomFields(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		cat := b.category(b.cm1, &openboards.Category{Name: "Orders", CanBeChosen: true})
		dropdown := b.field(b.cm1, &openboards.CustomField{Name: "Plan", Type: openboards.FieldDropdown, Order: 2,
			Placeholder: ptr("Choose a plan"), DefaultValue: ptr("Basic"), IsHidden: true, IsRequired: true, IsSensitiveData: true,
			PossibleValues:      []openboards.PossibleValue{{Order: 1, Value: "Basic"}, {Order: 2, Value: "Pro; \"quoted\" ünïcode"}},
			AssignedCategoryIDs: []int64{cat.ID}})
		text := b.field(b.cm1, &openboards.CustomField{Name: "Order number", Type: openboards.FieldText, Order: 1})
		number := b.field(b.cm1, &openboards.CustomField{Name: "Amount", Type: openboards.FieldNumber, Order: 1})
		got, err := b.store.FindCustomFieldByID(b.ctx, b.cm1.ID, dropdown.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "field", dropdown, got)
		list, err := b.store.FindCustomFields(b.ctx, b.cm1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "fields by order, then id", []*openboards.CustomField{text, number, dropdown}, list)

		upd := *dropdown
		upd.Name, upd.Type, upd.Order = "Tier", openboards.FieldMultiSelect, 0
		upd.Placeholder, upd.DefaultValue = nil, nil
		upd.IsHidden, upd.IsRequired, upd.IsSensitiveData = false, false, false
		upd.PossibleValues = []openboards.PossibleValue{{Order: 3, Value: "Gold"}, {Order: 1, Value: "Silver"}}
		upd.AssignedCategoryIDs = nil
		b.tx(func(tx openboards.Tx) error { return tx.UpdateCustomField(b.ctx, &upd) })
		got, err = b.store.FindCustomFieldByID(b.ctx, b.cm1.ID, dropdown.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "updated field", &upd, got)
	})
	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		doomed := b.field(b.cm1, &openboards.CustomField{Name: "Doomed"})
		kept := b.field(b.cm1, &openboards.CustomField{Name: "Kept"})
		author := b.user(b.cm1, userOpts{})
		tk := b.ticket(b.cm1, author, &openboards.Ticket{CustomFields: []openboards.FieldValue{{FieldID: doomed.ID, Value: "a"}, {FieldID: kept.ID, Value: "b"}}})
		b.tx(func(tx openboards.Tx) error { return tx.DeleteCustomField(b.ctx, b.cm1.ID, doomed.ID) })
		_, err := b.store.FindCustomFieldByID(b.ctx, b.cm1.ID, doomed.ID)
		wantCode(t, err, openboards.CodeNotFound)
		diff(t, "values after delete", []openboards.FieldValue{{FieldID: kept.ID, Value: "b"}}, b.findTicket(b.cm1, tk.ID).CustomFields)
		err = b.try(func(tx openboards.Tx) error { return tx.DeleteCustomField(b.ctx, b.cm1.ID, doomed.ID) })
		wantCode(t, err, openboards.CodeNotFound)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		_, err := b.store.FindCustomFieldByID(b.ctx, b.cm1.ID, 12345)
		wantCode(t, err, openboards.CodeNotFound)
		err = b.try(func(tx openboards.Tx) error {
			return tx.UpdateCustomField(b.ctx, &openboards.CustomField{ID: 12345, CommunityID: b.cm1.ID, Name: "X", Type: openboards.FieldText})
		})
		wantCode(t, err, openboards.CodeNotFound)
	})
}

func testTags(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		var first, second, foreign []openboards.Tag
		b.tx(func(tx openboards.Tx) error {
			var err error
			if first, err = tx.UpsertTags(b.ctx, b.cm1.ID, []string{"Billing", "urgent"}); err != nil {
				return err
			}
			second, err = tx.UpsertTags(b.ctx, b.cm1.ID, []string{"URGENT", "New", "billing"})
			return err
		})
		if len(first) != 2 || first[0].ID == 0 || first[0].ID == first[1].ID {
			t.Fatalf("first upsert: %+v", first)
		}
		billing, urgent := first[0], first[1]
		diff(t, "first upsert", []openboards.Tag{
			{ID: billing.ID, CommunityID: b.cm1.ID, Name: "Billing"},
			{ID: urgent.ID, CommunityID: b.cm1.ID, Name: "urgent"},
		}, first)
		if len(second) != 3 {
			t.Fatalf("second upsert: %+v", second)
		}
		created := second[1]
		diff(t, "second upsert reuses tags in input order", []openboards.Tag{
			{ID: urgent.ID, CommunityID: b.cm1.ID, Name: "urgent"},
			{ID: created.ID, CommunityID: b.cm1.ID, Name: "New"},
			{ID: billing.ID, CommunityID: b.cm1.ID, Name: "Billing"},
		}, second)
		if created.ID == billing.ID || created.ID == urgent.ID {
			t.Fatalf("new tag got an existing id %d", created.ID)
		}
		list, err := b.store.FindTags(b.ctx, b.cm1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "tags by name", []*openboards.Tag{&billing, &created, &urgent}, list)

		b.tx(func(tx openboards.Tx) error {
			var err error
			foreign, err = tx.UpsertTags(b.ctx, b.cm2.ID, []string{"billing"})
			return err
		})
		if len(foreign) != 1 || foreign[0].ID == billing.ID || foreign[0].Name != "billing" || foreign[0].CommunityID != b.cm2.ID {
			t.Fatalf("another community's tag: %+v (first community's is %+v)", foreign, billing)
		}
		var none []openboards.Tag
		b.tx(func(tx openboards.Tx) error {
			var err error
			none, err = tx.UpsertTags(b.ctx, b.cm1.ID, nil)
			return err
		})
		if len(none) != 0 {
			t.Fatalf("UpsertTags(nil) = %v", none)
		}
	})
}

func testWidgetSchedules(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		daily := &openboards.WidgetSchedule{CommunityID: b.cm1.ID, TimePeriod: openboards.PeriodEveryDay,
			Times: []openboards.ScheduleTime{{StartAt: "08:00:00", EndAt: "12:00:00"}, {StartAt: "13:00:00", EndAt: "17:30:00"}}}
		custom := &openboards.WidgetSchedule{CommunityID: b.cm1.ID, TimePeriod: openboards.PeriodCustom,
			CustomTimes: &openboards.CustomTimes{Monday: []openboards.ScheduleTime{{StartAt: "09:00:00", EndAt: "17:00:00"}},
				Saturday: []openboards.ScheduleTime{{StartAt: "10:00:00", EndAt: "12:00:00"}}}}
		foreign := &openboards.WidgetSchedule{CommunityID: b.cm2.ID, TimePeriod: openboards.PeriodWeekdays,
			Times: []openboards.ScheduleTime{{StartAt: "00:00:00", EndAt: "23:59:59"}}}
		b.tx(func(tx openboards.Tx) error {
			for _, s := range []*openboards.WidgetSchedule{daily, custom, foreign} {
				if err := tx.PutWidgetSchedule(b.ctx, s); err != nil {
					return err
				}
			}
			return nil
		})
		if daily.WidgetID == 0 || daily.WidgetID == custom.WidgetID {
			t.Fatalf("widget ids %d and %d", daily.WidgetID, custom.WidgetID)
		}
		list := func(id *int64) []*openboards.WidgetSchedule {
			t.Helper()
			got, err := b.store.FindWidgetSchedules(b.ctx, b.cm1.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		diff(t, "all", []*openboards.WidgetSchedule{daily, custom}, list(nil))
		diff(t, "one", []*openboards.WidgetSchedule{custom}, list(&custom.WidgetID))
		diff(t, "unknown", []*openboards.WidgetSchedule{}, list(ptr(custom.WidgetID+100)))

		// Replacing switches the widget to a custom schedule; the old
		// ranges go.
		repl := &openboards.WidgetSchedule{WidgetID: daily.WidgetID, CommunityID: b.cm1.ID, TimePeriod: openboards.PeriodCustom,
			CustomTimes: &openboards.CustomTimes{Sunday: []openboards.ScheduleTime{{StartAt: "11:00:00", EndAt: "11:30:00"}}}}
		b.tx(func(tx openboards.Tx) error { return tx.PutWidgetSchedule(b.ctx, repl) })
		if repl.WidgetID != daily.WidgetID {
			t.Fatalf("replacing changed the widget id from %d to %d", daily.WidgetID, repl.WidgetID)
		}
		diff(t, "replaced", []*openboards.WidgetSchedule{repl}, list(&daily.WidgetID))

		b.tx(func(tx openboards.Tx) error { return tx.DeleteWidgetSchedule(b.ctx, b.cm1.ID, custom.WidgetID) })
		diff(t, "after delete", []*openboards.WidgetSchedule{repl}, list(nil))
		err := b.try(func(tx openboards.Tx) error { return tx.DeleteWidgetSchedule(b.ctx, b.cm1.ID, custom.WidgetID) })
		wantCode(t, err, openboards.CodeNotFound)
		err = b.try(func(tx openboards.Tx) error {
			return tx.PutWidgetSchedule(b.ctx, &openboards.WidgetSchedule{WidgetID: custom.WidgetID, CommunityID: b.cm1.ID,
				TimePeriod: openboards.PeriodEveryDay, Times: []openboards.ScheduleTime{{StartAt: "01:00:00", EndAt: "02:00:00"}}})
		})
		wantCode(t, err, openboards.CodeNotFound)
		diff(t, "after refused replace", []*openboards.WidgetSchedule{repl}, list(nil))
	})
}

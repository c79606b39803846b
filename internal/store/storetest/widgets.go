package storetest

import (
	"testing"

	"openboards/internal/openboards"
)

func testWidgetSettings(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	w := &openboards.WidgetSchedule{CommunityID: b.cm1.ID, TimePeriod: openboards.PeriodEveryDay,
		Times: []openboards.ScheduleTime{{StartAt: "00:00:00", EndAt: "23:59:59"}}}
	b.tx(func(tx openboards.Tx) error { return tx.PutWidgetSchedule(b.ctx, w) })

	// A widget never configured has the defaults; another community's
	// widget, or none, is not found.
	got, err := b.store.FindWidgetSettings(b.ctx, b.cm1.ID, w.WidgetID)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "defaults", openboards.DefaultWidgetSettings(b.cm1.ID, w.WidgetID), got)
	_, err = b.store.FindWidgetSettings(b.ctx, b.cm2.ID, w.WidgetID)
	wantCode(t, err, openboards.CodeNotFound)
	_, err = b.store.FindWidgetSettings(b.ctx, b.cm1.ID, w.WidgetID+100)
	wantCode(t, err, openboards.CodeNotFound)

	s := &openboards.WidgetSettings{WidgetID: w.WidgetID, CommunityID: b.cm1.ID, Name: "Shop help", Greeting: "Hej!", Color: "#112233",
		OfflineText: "Closed", AskName: false, AskEmail: true, AllowedOrigins: []string{"https://shop.example.com", "http://localhost:8080"},
		IdentitySecret: "s3cret", RequireVerification: true, TimeZone: "Europe/Oslo", UpdatedAt: at(3)}
	for range 2 { // stored twice: the second replaces the first
		b.tx(func(tx openboards.Tx) error { return tx.PutWidgetSettings(b.ctx, s) })
		s.Name, s.UpdatedAt = "Shop help desk", at(4)
	}
	s.Name, s.UpdatedAt = "Shop help", at(3)
	b.tx(func(tx openboards.Tx) error { return tx.PutWidgetSettings(b.ctx, s) })
	got, err = b.store.FindWidgetSettings(b.ctx, b.cm1.ID, w.WidgetID)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "stored", s, got)

	// Not for another community's widget; deleting the widget takes its
	// settings along.
	err = b.store.InTx(b.ctx, func(tx openboards.Tx) error {
		return tx.PutWidgetSettings(b.ctx, &openboards.WidgetSettings{WidgetID: w.WidgetID, CommunityID: b.cm2.ID, Name: "x", Color: "#000000"})
	})
	wantCode(t, err, openboards.CodeNotFound)
	b.tx(func(tx openboards.Tx) error { return tx.DeleteWidgetSchedule(b.ctx, b.cm1.ID, w.WidgetID) })
	_, err = b.store.FindWidgetSettings(b.ctx, b.cm1.ID, w.WidgetID)
	wantCode(t, err, openboards.CodeNotFound)
}

func testVisitorTokens(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	w := &openboards.WidgetSchedule{CommunityID: b.cm1.ID, TimePeriod: openboards.PeriodEveryDay}
	b.tx(func(tx openboards.Tx) error { return tx.PutWidgetSchedule(b.ctx, w) })
	ada := b.user(b.cm1, userOpts{Name: "Ada"})
	tk := b.ticket(b.cm1, ada, &openboards.Ticket{Source: openboards.SourceChat, DetailedSource: openboards.DetailedSourceWebsite})
	vt := &openboards.VisitorToken{Hash: "h1", CommunityID: b.cm1.ID, WidgetID: w.WidgetID, TicketID: tk.ID, CreatedAt: at(2)}
	b.tx(func(tx openboards.Tx) error { return tx.CreateVisitorToken(b.ctx, vt) })
	got, err := b.store.FindVisitorToken(b.ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "token", vt, got)
	_, err = b.store.FindVisitorToken(b.ctx, "h2")
	wantCode(t, err, openboards.CodeNotFound)
	// A hash is unique.
	err = b.store.InTx(b.ctx, func(tx openboards.Tx) error { return tx.CreateVisitorToken(b.ctx, vt) })
	if err == nil {
		t.Fatal("the same hash was stored twice")
	}
}

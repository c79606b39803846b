package storetest

import (
	"openboards/internal/openboards"
	"slices"
	"testing"
)

func testUsers(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		u := &openboards.User{ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: "Ada Lovelace", Email: ptr("Ada@Example.com"),
			CustomIdentifier: ptr("cust-42"), Image: ptr("https://example.com/ada.png"), PhoneNumber: ptr("+44 20 7946 0000"),
			Status: openboards.StatusTeam, Role: openboards.RoleAdmin, CreatedAt: at(3)}
		var inTx *openboards.User
		b.tx(func(tx openboards.Tx) error {
			if err := tx.CreateUser(b.ctx, u); err != nil {
				return err
			}
			var err error
			inTx, err = tx.FindUserByID(b.ctx, b.cm1.ID, u.ID)
			return err
		})
		diff(t, "inside the transaction", u, inTx)
		for name, find := range map[string]func() (*openboards.User, error){
			"ByID":    func() (*openboards.User, error) { return b.store.FindUserByID(b.ctx, b.cm1.ID, u.ID) },
			"ByEmail": func() (*openboards.User, error) { return b.store.FindUserByEmail(b.ctx, b.cm1.ID, " ada@EXAMPLE.com ") },
			"ByCustomIdentifier": func() (*openboards.User, error) {
				return b.store.FindUserByCustomIdentifier(b.ctx, b.cm1.ID, "CUST-42")
			},
		} {
			got, err := find()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			diff(t, name, u, got)
		}

		// A bot without e-mail or custom identifier; several users may
		// lack both.
		bot := &openboards.User{ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: "Bot", IsBot: true, Status: openboards.StatusBot, CreatedAt: at(4)}
		b.tx(func(tx openboards.Tx) error { return tx.CreateUser(b.ctx, bot) })
		got, err := b.store.FindUserByID(b.ctx, b.cm1.ID, bot.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "bot", bot, got)
	})
	t.Run("UnlessTaken", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		held := b.user(b.cm1, userOpts{Name: "Holder", Email: "held@example.com", CustomIdentifier: "held-id"})
		for _, c := range []struct {
			name    string
			u       *openboards.User
			created bool
		}{
			{"new", &openboards.User{Name: "New", Email: ptr("new@example.com")}, true},
			{"e-mail taken", &openboards.User{Name: "Same mail", Email: ptr("HELD@example.com")}, false},
			{"identifier taken", &openboards.User{Name: "Same id", CustomIdentifier: ptr("held-id")}, false},
			{"other community", &openboards.User{Name: "Elsewhere", Email: ptr("held@example.com"), CommunityID: b.cm2.ID}, true},
		} {
			c.u.ID, c.u.Status, c.u.CreatedAt = openboards.NewID(), openboards.StatusClient, at(5)
			if c.u.CommunityID == 0 {
				c.u.CommunityID = b.cm1.ID
			}
			var created bool
			b.tx(func(tx openboards.Tx) error {
				var err error
				if created, err = tx.CreateUserUnlessTaken(b.ctx, c.u); err != nil {
					return err
				}
				// The transaction is still usable after a taken address.
				_, err = tx.FindUserByID(b.ctx, b.cm1.ID, held.ID)
				return err
			})
			if created != c.created {
				t.Errorf("%s: created %v, want %v", c.name, created, c.created)
			}
			_, err := b.store.FindUserByID(b.ctx, c.u.CommunityID, c.u.ID)
			if stored := err == nil; stored != c.created {
				t.Errorf("%s: stored %v (%v), want %v", c.name, stored, err, c.created)
			}
		}
	})
	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		u := b.user(b.cm1, userOpts{Name: "Customer", Email: "old@example.com", CustomIdentifier: "old-id"})
		upd := *u
		upd.Name, upd.Email, upd.CustomIdentifier = "Teammate", ptr("new@example.com"), ptr("new-id")
		upd.Image, upd.PhoneNumber = ptr("https://example.com/a.png"), ptr("123456")
		upd.Status, upd.Role = openboards.StatusTeam, openboards.RoleVendor
		b.tx(func(tx openboards.Tx) error { return tx.UpdateUser(b.ctx, &upd) })
		got, err := b.store.FindUserByEmail(b.ctx, b.cm1.ID, "NEW@example.com")
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "updated user", &upd, got)
		if _, err := b.store.FindUserByEmail(b.ctx, b.cm1.ID, "old@example.com"); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Fatalf("old e-mail still finds a user: %v", err)
		}
		if _, err := b.store.FindUserByCustomIdentifier(b.ctx, b.cm1.ID, "old-id"); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Fatalf("old custom identifier still finds a user: %v", err)
		}
		// Clearing optional fields.
		upd.Email, upd.CustomIdentifier, upd.Image, upd.PhoneNumber, upd.Role = nil, nil, nil, nil, ""
		upd.Status = openboards.StatusClient
		b.tx(func(tx openboards.Tx) error { return tx.UpdateUser(b.ctx, &upd) })
		got, err = b.store.FindUserByID(b.ctx, b.cm1.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "cleared user", &upd, got)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		a := b.user(b.cm1, userOpts{Email: "ada@example.com", CustomIdentifier: "ada"})
		other := b.user(b.cm1, userOpts{Email: "bob@example.com"})
		for name, u := range map[string]*openboards.User{
			"Email":            {ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: "Copy", Email: ptr("ADA@example.com"), Status: openboards.StatusClient, CreatedAt: at(1)},
			"CustomIdentifier": {ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: "Copy", CustomIdentifier: ptr("ada"), Status: openboards.StatusClient, CreatedAt: at(1)},
			"ID":               {ID: a.ID, CommunityID: b.cm1.ID, Name: "Copy", Status: openboards.StatusClient, CreatedAt: at(1)},
		} {
			err := b.store.InTx(b.ctx, func(tx openboards.Tx) error { return tx.CreateUser(b.ctx, u) })
			if openboards.ErrorCode(err) != openboards.CodeConflict {
				t.Fatalf("create with duplicate %s: got %v, want a conflict", name, err)
			}
		}
		upd := *other
		upd.Email = ptr("Ada@Example.com")
		err := b.store.InTx(b.ctx, func(tx openboards.Tx) error { return tx.UpdateUser(b.ctx, &upd) })
		wantCode(t, err, openboards.CodeConflict)
		got, err := b.store.FindUserByID(b.ctx, b.cm1.ID, other.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "user after refused update", other, got)

		// The same e-mail in another community is another user.
		b.user(b.cm2, userOpts{Email: "ada@example.com", CustomIdentifier: "ada"})
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		_, err := b.store.FindUserByID(b.ctx, b.cm1.ID, openboards.NewID())
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.FindUserByEmail(b.ctx, b.cm1.ID, "nobody@example.com")
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.FindUserByCustomIdentifier(b.ctx, b.cm1.ID, "nobody")
		wantCode(t, err, openboards.CodeNotFound)
		err = b.try(func(tx openboards.Tx) error {
			return tx.UpdateUser(b.ctx, &openboards.User{ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: "X", Status: openboards.StatusClient})
		})
		wantCode(t, err, openboards.CodeNotFound)
	})
	t.Run("FindUsersByIDs", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		u1 := b.user(b.cm1, userOpts{Name: "One"})
		u2 := b.user(b.cm1, userOpts{Name: "Two"})
		u3 := b.user(b.cm1, userOpts{Name: "Three"})
		foreign := b.user(b.cm2, userOpts{Name: "Foreign"})
		got, err := b.store.FindUsersByIDs(b.ctx, b.cm1.ID, []string{u3.ID, openboards.NewID(), u1.ID, foreign.ID, u2.ID})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "users", []openboards.User{*u3, *u1, *u2}, got)
		for _, ids := range [][]string{nil, {}} {
			got, err := b.store.FindUsersByIDs(b.ctx, b.cm1.ID, ids)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 0 {
				t.Fatalf("FindUsersByIDs(%#v) = %v, want none", ids, got)
			}
		}
	})
	t.Run("FindTeammates", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		zed := b.teammate(b.cm1, "Zed")
		amy := b.teammate(b.cm1, "Amy")
		bob := b.user(b.cm1, userOpts{Name: "Bob", Status: openboards.StatusTeam, Role: openboards.RoleReadOnlyUser})
		client := b.user(b.cm1, userOpts{Name: "Aaron"})
		b.teammate(b.cm2, "Abe")
		got, err := b.store.FindTeammates(b.ctx, b.cm1.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "all teammates", []*openboards.User{amy, bob, zed}, got)

		g := &openboards.UserGroup{CommunityID: b.cm1.ID, Name: "Night shift", CreatedAt: at(1)}
		empty := &openboards.UserGroup{CommunityID: b.cm1.ID, Name: "Empty", CreatedAt: at(1)}
		b.tx(func(tx openboards.Tx) error {
			if err := tx.CreateUserGroup(b.ctx, g); err != nil {
				return err
			}
			if err := tx.CreateUserGroup(b.ctx, empty); err != nil {
				return err
			}
			return tx.AddUserGroupMembers(b.ctx, b.cm1.ID, g.ID, []string{zed.ID, client.ID, amy.ID})
		})
		got, err = b.store.FindTeammates(b.ctx, b.cm1.ID, &g.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "group teammates", []*openboards.User{amy, zed}, got)
		got, err = b.store.FindTeammates(b.ctx, b.cm1.ID, &empty.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "empty group", []*openboards.User{}, got)
	})
}

func testUserGroups(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		support := &openboards.UserGroup{CommunityID: b.cm1.ID, Name: "Support", CreatedAt: at(1)}
		billing := &openboards.UserGroup{CommunityID: b.cm1.ID, Name: "Billing", CreatedAt: at(2)}
		b.tx(func(tx openboards.Tx) error {
			if err := tx.CreateUserGroup(b.ctx, support); err != nil {
				return err
			}
			return tx.CreateUserGroup(b.ctx, billing)
		})
		if support.ID == 0 || support.ID == billing.ID {
			t.Fatalf("ids %d and %d", support.ID, billing.ID)
		}
		got, err := b.store.FindUserGroupByID(b.ctx, b.cm1.ID, support.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "group", support, got)
		list, err := b.store.FindUserGroups(b.ctx, b.cm1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "groups by name", []*openboards.UserGroup{billing, support}, list)

		upd := *support
		upd.Name = "Customer Care"
		b.tx(func(tx openboards.Tx) error { return tx.UpdateUserGroup(b.ctx, &upd) })
		got, err = b.store.FindUserGroupByID(b.ctx, b.cm1.ID, support.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "renamed group", &upd, got)
		// Renaming to a different spelling of its own name is allowed.
		upd.Name = "CUSTOMER CARE"
		b.tx(func(tx openboards.Tx) error { return tx.UpdateUserGroup(b.ctx, &upd) })
	})
	t.Run("Members", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		u1, u2, u3 := b.teammate(b.cm1, "One"), b.teammate(b.cm1, "Two"), b.teammate(b.cm1, "Three")
		g := &openboards.UserGroup{CommunityID: b.cm1.ID, Name: "Team", CreatedAt: at(1)}
		b.tx(func(tx openboards.Tx) error {
			if err := tx.CreateUserGroup(b.ctx, g); err != nil {
				return err
			}
			return tx.AddUserGroupMembers(b.ctx, b.cm1.ID, g.ID, []string{u1.ID, u2.ID})
		})
		// Adding an existing member again is not an error.
		b.tx(func(tx openboards.Tx) error {
			return tx.AddUserGroupMembers(b.ctx, b.cm1.ID, g.ID, []string{u2.ID, u3.ID})
		})
		members := func() []string {
			t.Helper()
			ids, err := b.store.FindUserGroupMemberIDs(b.ctx, b.cm1.ID, g.ID)
			if err != nil {
				t.Fatal(err)
			}
			return slices.Sorted(slices.Values(ids))
		}
		diff(t, "members", slices.Sorted(slices.Values([]string{u1.ID, u2.ID, u3.ID})), members())

		b.tx(func(tx openboards.Tx) error { return tx.RemoveUserGroupMember(b.ctx, b.cm1.ID, g.ID, u2.ID) })
		diff(t, "members after removal", slices.Sorted(slices.Values([]string{u1.ID, u3.ID})), members())
		err := b.try(func(tx openboards.Tx) error { return tx.RemoveUserGroupMember(b.ctx, b.cm1.ID, g.ID, u2.ID) })
		wantCode(t, err, openboards.CodeNotFound)

		b.tx(func(tx openboards.Tx) error { return tx.DeleteUserGroup(b.ctx, b.cm1.ID, g.ID) })
		_, err = b.store.FindUserGroupByID(b.ctx, b.cm1.ID, g.ID)
		wantCode(t, err, openboards.CodeNotFound)
		if ids, err := b.store.FindUserGroupMemberIDs(b.ctx, b.cm1.ID, g.ID); err != nil || len(ids) != 0 {
			t.Fatalf("members of a deleted group: %v, %v", ids, err)
		}
		// The teammates stay.
		if _, err := b.store.FindUserByID(b.ctx, b.cm1.ID, u1.ID); err != nil {
			t.Fatalf("member of a deleted group: %v", err)
		}
		err = b.try(func(tx openboards.Tx) error { return tx.DeleteUserGroup(b.ctx, b.cm1.ID, g.ID) })
		wantCode(t, err, openboards.CodeNotFound)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		g1 := &openboards.UserGroup{CommunityID: b.cm1.ID, Name: "Support", CreatedAt: at(1)}
		g2 := &openboards.UserGroup{CommunityID: b.cm1.ID, Name: "Billing", CreatedAt: at(1)}
		b.tx(func(tx openboards.Tx) error {
			if err := tx.CreateUserGroup(b.ctx, g1); err != nil {
				return err
			}
			return tx.CreateUserGroup(b.ctx, g2)
		})
		err := b.store.InTx(b.ctx, func(tx openboards.Tx) error {
			return tx.CreateUserGroup(b.ctx, &openboards.UserGroup{CommunityID: b.cm1.ID, Name: "SUPPORT", CreatedAt: at(2)})
		})
		wantCode(t, err, openboards.CodeConflict)
		err = b.store.InTx(b.ctx, func(tx openboards.Tx) error {
			return tx.UpdateUserGroup(b.ctx, &openboards.UserGroup{ID: g2.ID, CommunityID: b.cm1.ID, Name: "support"})
		})
		wantCode(t, err, openboards.CodeConflict)
		got, err := b.store.FindUserGroupByID(b.ctx, b.cm1.ID, g2.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "group after refused rename", g2, got)
		// Another community may use the name.
		b.tx(func(tx openboards.Tx) error {
			return tx.CreateUserGroup(b.ctx, &openboards.UserGroup{CommunityID: b.cm2.ID, Name: "Support", CreatedAt: at(2)})
		})
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		_, err := b.store.FindUserGroupByID(b.ctx, b.cm1.ID, 12345)
		wantCode(t, err, openboards.CodeNotFound)
		err = b.try(func(tx openboards.Tx) error {
			return tx.UpdateUserGroup(b.ctx, &openboards.UserGroup{ID: 12345, CommunityID: b.cm1.ID, Name: "X"})
		})
		wantCode(t, err, openboards.CodeNotFound)
	})
}

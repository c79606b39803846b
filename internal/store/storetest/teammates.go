package storetest

import (
	"testing"

	"openboards/internal/openboards"
)

func testCommunityList(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	third := b.community("Community Three")
	got, err := b.store.FindCommunities(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "communities", []*openboards.Community{b.cm1, b.cm2, third}, got)
}

func testRemoveTeammate(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		ann := b.user(b.cm1, userOpts{Name: "Ann", Email: "ann@one.test", Status: openboards.StatusTeam, Role: openboards.RoleAdmin})
		bob := b.teammate(b.cm1, "Bob")
		g := &openboards.UserGroup{CommunityID: b.cm1.ID, Name: "Tier 1", CreatedAt: at(1)}
		b.tx(func(tx openboards.Tx) error { return tx.CreateUserGroup(b.ctx, g) })
		b.tx(func(tx openboards.Tx) error {
			return tx.AddUserGroupMembers(b.ctx, b.cm1.ID, g.ID, []string{ann.ID, bob.ID})
		})
		b.tx(func(tx openboards.Tx) error { return tx.PutPassword(b.ctx, ann.ID, "hash", at(2)) })
		sess := &openboards.Session{Hash: []byte("ann"), UserID: ann.ID, CommunityID: b.cm1.ID, CSRF: "c", CreatedAt: at(3), LastSeenAt: at(3), ExpiresAt: at(4)}
		b.tx(func(tx openboards.Tx) error { return tx.CreateSession(b.ctx, sess) })
		tk := b.ticket(b.cm1, ann, &openboards.Ticket{})
		r := b.reply(ann, tk, &openboards.Reply{})

		b.tx(func(tx openboards.Tx) error { return tx.RemoveTeammate(b.ctx, b.cm1.ID, ann.ID) })

		// Access is gone: password, sessions, groups, the teammate list.
		_, err := b.store.FindPasswordHash(b.ctx, ann.ID)
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.FindSessionByHash(b.ctx, sess.Hash)
		wantCode(t, err, openboards.CodeNotFound)
		members, err := b.store.FindUserGroupMemberIDs(b.ctx, b.cm1.ID, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "group members", []string{bob.ID}, members)
		team, err := b.store.FindTeammates(b.ctx, b.cm1.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(team) != 1 || team[0].ID != bob.ID {
			t.Errorf("teammates after the removal: %v, want only Bob", team)
		}
		// The user stays, without a role, and what they wrote keeps its
		// author.
		u, err := b.store.FindUserByID(b.ctx, b.cm1.ID, ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.Status != openboards.StatusClient || u.Role != "" || u.Name != "Ann" || *u.Email != "ann@one.test" {
			t.Errorf("removed teammate = %+v, want a client without a role, name and e-mail kept", u)
		}
		if got := b.findTicket(b.cm1, tk.ID); got.Author == nil || got.Author.ID != ann.ID {
			t.Errorf("ticket author after the removal: %+v", got.Author)
		}
		replies, err := b.store.FindReplies(b.ctx, b.cm1.ID, tk.ID, 0, 10)
		if err != nil || len(replies) != 1 || replies[0].ID != r.ID {
			t.Errorf("replies after the removal: %v, %v", replies, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		ann := b.teammate(b.cm1, "Ann")
		customer := b.user(b.cm1, userOpts{Name: "Carl"})
		for name, tc := range map[string]struct {
			cm *openboards.Community
			id string
		}{
			"OtherCommunity": {b.cm2, ann.ID},
			"Customer":       {b.cm1, customer.ID},
			"APIUser":        {b.cm1, b.cm1.APIUserID},
			"Unknown":        {b.cm1, openboards.NewID()},
		} {
			err := b.try(func(tx openboards.Tx) error { return tx.RemoveTeammate(b.ctx, tc.cm.ID, tc.id) })
			if openboards.ErrorCode(err) != openboards.CodeNotFound {
				t.Errorf("%s: got %v, want not_found", name, err)
			}
		}
		if u, err := b.store.FindUserByID(b.ctx, b.cm1.ID, ann.ID); err != nil || u.Status != openboards.StatusTeam {
			t.Errorf("a refused removal changed the teammate: %+v, %v", u, err)
		}
	})
}

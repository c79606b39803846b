// Package storetest is the conformance suite of openboards.Store. Every
// storage backend runs it from its own tests, so that all backends behave
// alike behind the seam:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) openboards.Store { return openTestStore(t) })
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"openboards/internal/openboards"
)

// NewStore returns a new, empty store with the current schema, closed when
// t ends.
type NewStore = func(t *testing.T) openboards.Store

// Run runs the suite. Every subtest calls newStore for a store of its own
// and runs in parallel with the others.
func Run(t *testing.T, newStore NewStore) {
	groups := []struct {
		name string
		run  func(*testing.T, NewStore)
	}{
		{"Settings", testSettings},
		{"Communities", testCommunities},
		{"RefreshTokens", testRefreshTokens},
		{"Users", testUsers},
		{"UserGroups", testUserGroups},
		{"Categories", testCategories},
		{"CustomFields", testCustomFields},
		{"Tags", testTags},
		{"Tickets", testTickets},
		{"TicketSearch", testTicketSearch},
		{"Replies", testReplies},
		{"Notes", testNotes},
		{"LogEntries", testLogEntries},
		{"WidgetSchedules", testWidgetSchedules},
		{"Isolation", testIsolation},
		{"IDsNotReused", testIDsNotReused},
		{"Transactions", testTransactions},
		{"Times", testTimes},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.run(t, newStore)
		})
	}
}

// base is the first test time. Its fraction of a second uses all seven
// digits the API prints, so a store that loses precision fails.
var base = time.Date(2024, 3, 14, 15, 9, 26, 535897900, time.UTC)

// at returns the i-th test time, one minute apart, at 100 ns precision.
func at(i int) time.Time {
	return base.Add(time.Duration(i) * time.Minute).Truncate(100 * time.Nanosecond)
}

func ptr[T any](v T) *T { return &v }

// equate makes nil and empty slices equal: the API renders both alike, so
// backends need not agree on which one they return.
var equate = cmpopts.EquateEmpty()

var errBoom = errors.New("boom")

// bundle is the state of one subtest: a fresh store holding two
// communities, each with its API user.
type bundle struct {
	t     *testing.T
	ctx   context.Context
	store openboards.Store
	cm1   *openboards.Community
	cm2   *openboards.Community
	n     int // makes names and times of fixtures unique
}

func setup(t *testing.T, newStore NewStore) *bundle {
	t.Helper()
	b := &bundle{t: t, ctx: t.Context(), store: newStore(t)}
	b.cm1 = b.community("Community One")
	b.cm2 = b.community("Community Two")
	return b
}

// tx runs fn in a transaction and fails the test if it fails. fn may run
// on another goroutine (the SQLite store's writer), so it must report with
// t.Errorf, never t.Fatal.
func (b *bundle) tx(fn func(tx openboards.Tx) error) {
	b.t.Helper()
	if err := b.store.InTx(b.ctx, fn); err != nil {
		b.t.Fatalf("InTx: %v", err)
	}
}

// try runs fn in a transaction that commits whatever fn wrote and returns
// fn's error, so a write that was refused can be checked for side effects.
// Use it only for refusals that are not database errors (a missing row):
// on some databases a failed statement aborts the whole transaction.
func (b *bundle) try(fn func(tx openboards.Tx) error) error {
	b.t.Helper()
	var err error
	b.tx(func(tx openboards.Tx) error {
		err = fn(tx)
		return nil
	})
	return err
}

func (b *bundle) next() int {
	b.n++
	return b.n
}

func wantCode(t *testing.T, err error, want openboards.Code) {
	t.Helper()
	if got := openboards.ErrorCode(err); got != want {
		t.Fatalf("got error %v (code %q), want code %q", err, got, want)
	}
}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, equate); d != "" {
		t.Fatalf("%s mismatch (-want +got):\n%s", what, d)
	}
}

func (b *bundle) community(name string) *openboards.Community {
	b.t.Helper()
	cm := &openboards.Community{Name: name, ClientID: openboards.NewID(), APIUserID: openboards.NewID(), CreatedAt: at(0)}
	b.tx(func(tx openboards.Tx) error {
		if err := tx.CreateCommunity(b.ctx, cm); err != nil {
			return err
		}
		return tx.CreateUser(b.ctx, &openboards.User{ID: cm.APIUserID, CommunityID: cm.ID, Name: "Public API",
			IsBot: true, Status: openboards.StatusBot, CreatedAt: at(0)})
	})
	return cm
}

// userOpts describes a user fixture; empty fields get defaults.
type userOpts struct {
	Name             string
	Email            string
	CustomIdentifier string
	Status           openboards.UserStatus // StatusClient when empty
	Role             openboards.Role
}

func (b *bundle) user(cm *openboards.Community, o userOpts) *openboards.User {
	b.t.Helper()
	n := b.next()
	u := &openboards.User{ID: openboards.NewID(), CommunityID: cm.ID, Name: o.Name, Status: o.Status, Role: o.Role, CreatedAt: at(n)}
	if u.Name == "" {
		u.Name = fmt.Sprintf("User %d", n)
	}
	if u.Status == "" {
		u.Status = openboards.StatusClient
	}
	if o.Email != "" {
		u.Email = ptr(o.Email)
	}
	if o.CustomIdentifier != "" {
		u.CustomIdentifier = ptr(o.CustomIdentifier)
	}
	b.tx(func(tx openboards.Tx) error { return tx.CreateUser(b.ctx, u) })
	return u
}

func (b *bundle) teammate(cm *openboards.Community, name string) *openboards.User {
	b.t.Helper()
	return b.user(cm, userOpts{Name: name, Status: openboards.StatusTeam, Role: openboards.RoleTeamMember})
}

func (b *bundle) category(cm *openboards.Community, c *openboards.Category) *openboards.Category {
	b.t.Helper()
	c.CommunityID = cm.ID
	if c.Name == "" {
		c.Name = fmt.Sprintf("Category %d", b.next())
	}
	b.tx(func(tx openboards.Tx) error { return tx.CreateCategory(b.ctx, c) })
	return c
}

func (b *bundle) field(cm *openboards.Community, f *openboards.CustomField) *openboards.CustomField {
	b.t.Helper()
	f.CommunityID = cm.ID
	if f.Name == "" {
		f.Name = fmt.Sprintf("Field %d", b.next())
	}
	if f.Type == "" {
		f.Type = openboards.FieldText
	}
	b.tx(func(tx openboards.Tx) error { return tx.CreateCustomField(b.ctx, f) })
	return f
}

// ticket stores t by author, filling in what t leaves out.
func (b *bundle) ticket(cm *openboards.Community, author *openboards.User, t *openboards.Ticket) *openboards.Ticket {
	b.t.Helper()
	n := b.next()
	t.CommunityID, t.AuthorID = cm.ID, author.ID
	if t.Title == "" {
		t.Title = fmt.Sprintf("Ticket %d", n)
	}
	if t.Message == "" {
		t.Message, t.HTMLMessage = "Hello", "<p>Hello</p>"
	}
	if t.Status == "" {
		t.Status = openboards.TicketOpen
	}
	if t.Source == "" {
		t.Source, t.DetailedSource = openboards.SourceAPI, openboards.DetailedSourceAPI
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = at(n)
	}
	if t.LastActivityAt.IsZero() {
		t.LastActivityAt = t.CreatedAt
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = t.CreatedAt
	}
	b.tx(func(tx openboards.Tx) error { return tx.CreateTicket(b.ctx, t) })
	return t
}

func (b *bundle) reply(author *openboards.User, t *openboards.Ticket, r *openboards.Reply) *openboards.Reply {
	b.t.Helper()
	n := b.next()
	r.CommunityID, r.TicketID, r.AuthorID = t.CommunityID, t.ID, author.ID
	if r.Message == "" {
		r.Message = fmt.Sprintf("Reply %d", n)
		r.HTMLMessage = "<p>" + r.Message + "</p>"
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt, r.UpdatedAt = at(n), at(n)
	}
	b.tx(func(tx openboards.Tx) error { return tx.CreateReply(b.ctx, r) })
	return r
}

func (b *bundle) findTicket(cm *openboards.Community, id int64) *openboards.Ticket {
	b.t.Helper()
	t, err := b.store.FindTicketByID(b.ctx, cm.ID, id)
	if err != nil {
		b.t.Fatalf("FindTicketByID(%d): %v", id, err)
	}
	return t
}

func testSettings(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		b.tx(func(tx openboards.Tx) error {
			if err := tx.PutSetting(b.ctx, "k", []byte("one")); err != nil {
				return err
			}
			got, err := tx.Setting(b.ctx, "k")
			if err != nil {
				return err
			}
			if string(got) != "one" {
				t.Errorf("inside the transaction: got %q, want %q", got, "one")
			}
			return nil
		})
		b.tx(func(tx openboards.Tx) error { return tx.PutSetting(b.ctx, "k", []byte{0, 1, 2, 255}) })
		got, err := b.store.Setting(b.ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "setting", []byte{0, 1, 2, 255}, got)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		_, err := b.store.Setting(b.ctx, "missing")
		wantCode(t, err, openboards.CodeNotFound)
	})
}

func testCommunities(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		cm := &openboards.Community{Name: "Acme Support", ClientID: openboards.NewID(), APIUserID: openboards.NewID(), CreatedAt: at(7)}
		b.tx(func(tx openboards.Tx) error { return tx.CreateCommunity(b.ctx, cm) })
		if cm.ID == 0 || cm.ID == b.cm1.ID || cm.ID == b.cm2.ID {
			t.Fatalf("CreateCommunity set id %d; the others are %d and %d", cm.ID, b.cm1.ID, b.cm2.ID)
		}
		for name, find := range map[string]func() (*openboards.Community, error){
			"ByID":       func() (*openboards.Community, error) { return b.store.FindCommunityByID(b.ctx, cm.ID) },
			"ByName":     func() (*openboards.Community, error) { return b.store.FindCommunityByName(b.ctx, "ACME SUPPORT") },
			"ByClientID": func() (*openboards.Community, error) { return b.store.FindCommunityByClientID(b.ctx, cm.ClientID) },
		} {
			got, err := find()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			diff(t, name, cm, got)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		err := b.store.InTx(b.ctx, func(tx openboards.Tx) error {
			return tx.CreateCommunity(b.ctx, &openboards.Community{Name: "community ONE", ClientID: openboards.NewID(), APIUserID: openboards.NewID(), CreatedAt: at(1)})
		})
		wantCode(t, err, openboards.CodeConflict)
		err = b.store.InTx(b.ctx, func(tx openboards.Tx) error {
			return tx.CreateCommunity(b.ctx, &openboards.Community{Name: "Other", ClientID: b.cm1.ClientID, APIUserID: openboards.NewID(), CreatedAt: at(1)})
		})
		wantCode(t, err, openboards.CodeConflict)
		if _, err := b.store.FindCommunityByName(b.ctx, "Other"); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Fatalf("the refused community was stored: %v", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		_, err := b.store.FindCommunityByID(b.ctx, b.cm2.ID+100)
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.FindCommunityByName(b.ctx, "Community Three")
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.FindCommunityByClientID(b.ctx, openboards.NewID())
		wantCode(t, err, openboards.CodeNotFound)
	})
}

func testRefreshTokens(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		t1 := &openboards.RefreshToken{CommunityID: b.cm1.ID, Name: "default", Hash: []byte("hash-one-0123456789"), CreatedAt: at(1)}
		t2 := &openboards.RefreshToken{CommunityID: b.cm1.ID, Name: "second", Hash: []byte("hash-two-0123456789"), CreatedAt: at(2)}
		other := &openboards.RefreshToken{CommunityID: b.cm2.ID, Name: "default", Hash: []byte("hash-three-0123456"), CreatedAt: at(3)}
		b.tx(func(tx openboards.Tx) error {
			for _, rt := range []*openboards.RefreshToken{t1, t2, other} {
				if err := tx.CreateRefreshToken(b.ctx, rt); err != nil {
					return err
				}
			}
			return nil
		})
		if t1.ID == 0 || t1.ID == t2.ID {
			t.Fatalf("ids %d and %d", t1.ID, t2.ID)
		}
		got, err := b.store.FindRefreshTokenByHash(b.ctx, []byte("hash-two-0123456789"))
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "by hash", t2, got)
		got, err = b.store.FindRefreshTokenByID(b.ctx, t1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "by id", t1, got)
		list, err := b.store.FindRefreshTokens(b.ctx, b.cm1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "list", []*openboards.RefreshToken{t1, t2}, list)

		b.tx(func(tx openboards.Tx) error { return tx.RevokeRefreshToken(b.ctx, b.cm1.ID, t1.ID, at(5)) })
		// Revoking again keeps the first time.
		b.tx(func(tx openboards.Tx) error { return tx.RevokeRefreshToken(b.ctx, b.cm1.ID, t1.ID, at(6)) })
		got, err = b.store.FindRefreshTokenByHash(b.ctx, t1.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if got.RevokedAt == nil || !got.RevokedAt.Equal(at(5)) {
			t.Fatalf("RevokedAt = %v, want %v", got.RevokedAt, at(5))
		}
		got, err = b.store.FindRefreshTokenByID(b.ctx, t2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.RevokedAt != nil {
			t.Fatalf("revoking token %d revoked token %d", t1.ID, t2.ID)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		rt := &openboards.RefreshToken{CommunityID: b.cm1.ID, Name: "default", Hash: []byte("hash-one-0123456789"), CreatedAt: at(1)}
		b.tx(func(tx openboards.Tx) error { return tx.CreateRefreshToken(b.ctx, rt) })
		_, err := b.store.FindRefreshTokenByHash(b.ctx, []byte("hash-unknown"))
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.FindRefreshTokenByID(b.ctx, rt.ID+1)
		wantCode(t, err, openboards.CodeNotFound)
		err = b.try(func(tx openboards.Tx) error { return tx.RevokeRefreshToken(b.ctx, b.cm1.ID, rt.ID+1, at(2)) })
		wantCode(t, err, openboards.CodeNotFound)
	})
}

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

func testTickets(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		author := b.user(b.cm1, userOpts{Name: "Ada", Email: "ada@example.com"})
		assignee := b.teammate(b.cm1, "Tom")
		cat := b.category(b.cm1, &openboards.Category{Name: "Billing", CanBeChosen: true})
		f1 := b.field(b.cm1, &openboards.CustomField{Name: "Order"})
		f2 := b.field(b.cm1, &openboards.CustomField{Name: "Amount", Type: openboards.FieldNumber})
		in := &openboards.Ticket{
			CommunityID: b.cm1.ID, Title: "Refund please", Message: "Please refund\norder 42", HTMLMessage: "<p>Please refund<br>order 42</p>",
			AuthorID: author.ID, CategoryID: &cat.ID, AssigneeID: &assignee.ID, Status: openboards.TicketPending,
			Sentiment: ptr("complaint"), Source: "email", DetailedSource: "email_ticket", SourceName: ptr("Shop"),
			OriginalLink: ptr("https://example.com/t/1"), CC: []string{"cc1@example.com", "cc2@example.com"},
			Tags:         []string{"refund", "VIP"},
			Attachments:  []openboards.Attachment{{URL: "https://example.com/a.pdf", Name: "a.pdf"}, {URL: "https://example.com/i.png", Name: "i.png", IsContentPart: true}},
			CustomFields: []openboards.FieldValue{{FieldID: f2.ID, Value: "19.99"}, {FieldID: f1.ID, Value: "A-42"}},
			ReplyCount:   3, CreatedAt: at(1), LastActivityAt: at(2), UpdatedAt: at(3),
		}
		b.tx(func(tx openboards.Tx) error {
			if err := tx.CreateTicket(b.ctx, in); err != nil {
				return err
			}
			if _, err := tx.FindTicketByID(b.ctx, b.cm1.ID, in.ID); err != nil {
				t.Errorf("the ticket is not visible inside its transaction: %v", err)
			}
			return nil
		})
		if in.ID == 0 {
			t.Fatal("CreateTicket did not set the id")
		}
		want := *in
		want.Author, want.Assignee = author, assignee
		want.Category = &openboards.CategoryRef{ID: cat.ID, Name: "Billing"}
		want.CustomFields = []openboards.FieldValue{{FieldID: f1.ID, Value: "A-42"}, {FieldID: f2.ID, Value: "19.99"}}
		got := b.findTicket(b.cm1, in.ID)
		diff(t, "ticket", &want, got)
		list, err := b.store.FindTickets(b.ctx, openboards.TicketFilter{CommunityID: b.cm1.ID, Take: 10})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "listed ticket", []*openboards.Ticket{&want}, list)

		// The least a ticket needs.
		bare := &openboards.Ticket{CommunityID: b.cm1.ID, Title: "", Message: "", HTMLMessage: "", AuthorID: author.ID,
			Status: openboards.TicketOpen, Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI,
			CreatedAt: at(4), LastActivityAt: at(4), UpdatedAt: at(4)}
		b.tx(func(tx openboards.Tx) error { return tx.CreateTicket(b.ctx, bare) })
		wantBare := *bare
		wantBare.Author = author
		diff(t, "bare ticket", &wantBare, b.findTicket(b.cm1, bare.ID))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		_, err := b.store.FindTicketByID(b.ctx, b.cm1.ID, 12345)
		wantCode(t, err, openboards.CodeNotFound)
		err = b.try(func(tx openboards.Tx) error {
			return tx.UpdateTicket(b.ctx, b.cm1.ID, 12345, openboards.TicketUpdate{UpdatedAt: at(1)})
		})
		wantCode(t, err, openboards.CodeNotFound)
	})
	t.Run("Filter", func(t *testing.T) { t.Parallel(); testTicketFilter(t, setup(t, newStore)) })
	t.Run("OrderTies", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		author := b.user(b.cm1, userOpts{})
		t1 := b.ticket(b.cm1, author, &openboards.Ticket{CreatedAt: at(1), LastActivityAt: at(5)})
		t2 := b.ticket(b.cm1, author, &openboards.Ticket{CreatedAt: at(1), LastActivityAt: at(5)})
		for order, want := range map[string][]int64{
			openboards.OrderLastActivityDesc: {t2.ID, t1.ID},
			openboards.OrderLastActivityAsc:  {t1.ID, t2.ID},
			openboards.OrderCreationDesc:     {t2.ID, t1.ID},
			openboards.OrderCreationAsc:      {t1.ID, t2.ID},
		} {
			got, err := b.store.FindTicketIDs(b.ctx, openboards.TicketFilter{CommunityID: b.cm1.ID, OrderBy: order, Take: 10})
			if err != nil {
				t.Fatal(err)
			}
			diff(t, order, want, got)
		}
	})
	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		author := b.user(b.cm1, userOpts{})
		tom := b.teammate(b.cm1, "Tom")
		cat := b.category(b.cm1, &openboards.Category{Name: "Billing", CanBeChosen: true})
		tk := b.ticket(b.cm1, author, &openboards.Ticket{Tags: []string{"a"}, CreatedAt: at(1), LastActivityAt: at(5), UpdatedAt: at(5)})
		want := b.findTicket(b.cm1, tk.ID)

		update := func(u openboards.TicketUpdate) {
			t.Helper()
			b.tx(func(tx openboards.Tx) error { return tx.UpdateTicket(b.ctx, b.cm1.ID, tk.ID, u) })
		}
		check := func(what string) {
			t.Helper()
			diff(t, what, want, b.findTicket(b.cm1, tk.ID))
		}

		// Only UpdatedAt.
		update(openboards.TicketUpdate{UpdatedAt: at(6)})
		want.UpdatedAt = at(6)
		check("UpdatedAt")

		update(openboards.TicketUpdate{Status: ptr(openboards.TicketCompleted), UpdatedAt: at(7)})
		want.Status, want.UpdatedAt = openboards.TicketCompleted, at(7)
		check("Status")

		update(openboards.TicketUpdate{CategoryID: ptr(&cat.ID), UpdatedAt: at(8)})
		want.CategoryID, want.Category, want.UpdatedAt = &cat.ID, &openboards.CategoryRef{ID: cat.ID, Name: cat.Name}, at(8)
		check("set CategoryID")

		update(openboards.TicketUpdate{AssigneeID: ptr(&tom.ID), UpdatedAt: at(9)})
		want.AssigneeID, want.Assignee, want.UpdatedAt = &tom.ID, tom, at(9)
		check("set AssigneeID")

		update(openboards.TicketUpdate{Tags: &[]string{"x", "Y"}, UpdatedAt: at(10)})
		want.Tags, want.UpdatedAt = []string{"x", "Y"}, at(10)
		check("Tags")

		update(openboards.TicketUpdate{ReplyCountDiff: 2, UpdatedAt: at(11)})
		update(openboards.TicketUpdate{ReplyCountDiff: -1, UpdatedAt: at(11)})
		want.ReplyCount, want.UpdatedAt = 1, at(11)
		check("ReplyCountDiff")

		update(openboards.TicketUpdate{LastActivityAt: ptr(at(12)), UpdatedAt: at(12)})
		want.LastActivityAt, want.UpdatedAt = at(12), at(12)
		check("LastActivityAt forward")

		// Activity never moves backwards.
		update(openboards.TicketUpdate{LastActivityAt: ptr(at(3)), UpdatedAt: at(13)})
		want.UpdatedAt = at(13)
		check("LastActivityAt backward")

		var noCategory *int64
		var noAssignee *string
		update(openboards.TicketUpdate{CategoryID: &noCategory, AssigneeID: &noAssignee, Tags: &[]string{}, UpdatedAt: at(14)})
		want.CategoryID, want.Category, want.AssigneeID, want.Assignee, want.Tags, want.UpdatedAt = nil, nil, nil, nil, nil, at(14)
		check("cleared")
	})
	t.Run("SetTicketFieldValue", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		author := b.user(b.cm1, userOpts{})
		f1 := b.field(b.cm1, &openboards.CustomField{Name: "One"})
		f2 := b.field(b.cm1, &openboards.CustomField{Name: "Two"})
		tk := b.ticket(b.cm1, author, &openboards.Ticket{CustomFields: []openboards.FieldValue{{FieldID: f1.ID, Value: "a"}}})
		other := b.ticket(b.cm1, author, &openboards.Ticket{CustomFields: []openboards.FieldValue{{FieldID: f1.ID, Value: "z"}}})
		set := func(fieldID int64, v string) {
			t.Helper()
			b.tx(func(tx openboards.Tx) error { return tx.SetTicketFieldValue(b.ctx, b.cm1.ID, tk.ID, fieldID, v) })
		}
		values := func() []openboards.FieldValue {
			t.Helper()
			return b.findTicket(b.cm1, tk.ID).CustomFields
		}
		set(f2.ID, "b")
		diff(t, "set", []openboards.FieldValue{{FieldID: f1.ID, Value: "a"}, {FieldID: f2.ID, Value: "b"}}, values())
		set(f1.ID, "c")
		diff(t, "replaced", []openboards.FieldValue{{FieldID: f1.ID, Value: "c"}, {FieldID: f2.ID, Value: "b"}}, values())
		set(f1.ID, "")
		diff(t, "cleared", []openboards.FieldValue{{FieldID: f2.ID, Value: "b"}}, values())
		set(f1.ID, "") // clearing what is not set is not an error
		diff(t, "cleared twice", []openboards.FieldValue{{FieldID: f2.ID, Value: "b"}}, values())
		diff(t, "other ticket", []openboards.FieldValue{{FieldID: f1.ID, Value: "z"}}, b.findTicket(b.cm1, other.ID).CustomFields)
		ids, err := b.store.FindTicketIDs(b.ctx, openboards.TicketFilter{CommunityID: b.cm1.ID, CustomFields: []openboards.FieldValue{{FieldID: f2.ID, Value: "b"}}, Take: 10})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "filter on the new value", []int64{tk.ID}, ids)
	})
}

func testTicketFilter(t *testing.T, b *bundle) {
	author := b.user(b.cm1, userOpts{})
	catA := b.category(b.cm1, &openboards.Category{Name: "A", CanBeChosen: true})
	catB := b.category(b.cm1, &openboards.Category{Name: "B", CanBeChosen: true})
	f := b.field(b.cm1, &openboards.CustomField{Name: "F"})
	g := b.field(b.cm1, &openboards.CustomField{Name: "G"})
	fv := func(field *openboards.CustomField, v string) openboards.FieldValue {
		return openboards.FieldValue{FieldID: field.ID, Value: v}
	}
	t1 := b.ticket(b.cm1, author, &openboards.Ticket{CategoryID: &catA.ID, Status: openboards.TicketOpen, Source: "api",
		CreatedAt: at(1), LastActivityAt: at(10), CustomFields: []openboards.FieldValue{fv(f, "x"), fv(g, "1")}})
	t2 := b.ticket(b.cm1, author, &openboards.Ticket{CategoryID: &catB.ID, Status: openboards.TicketPending, Source: "email",
		CreatedAt: at(2), LastActivityAt: at(5), CustomFields: []openboards.FieldValue{fv(f, "x"), fv(g, "2")}})
	t3 := b.ticket(b.cm1, author, &openboards.Ticket{Status: openboards.TicketOpen, Source: "api",
		CreatedAt: at(3), LastActivityAt: at(7), CustomFields: []openboards.FieldValue{fv(f, "y")}})
	t4 := b.ticket(b.cm1, author, &openboards.Ticket{Status: openboards.TicketCompleted, Source: "email",
		CreatedAt: at(4), LastActivityAt: at(6)})
	// A ticket of the other community matching every filter below.
	foreignAuthor := b.user(b.cm2, userOpts{})
	foreign := b.ticket(b.cm2, foreignAuthor, &openboards.Ticket{Status: openboards.TicketOpen, Source: "api",
		CreatedAt: at(2), LastActivityAt: at(8)})

	status := func(s openboards.TicketStatus) *openboards.TicketStatus { return &s }
	tests := []struct {
		name string
		f    openboards.TicketFilter
		want []*openboards.Ticket
	}{
		{"All", openboards.TicketFilter{}, []*openboards.Ticket{t1, t3, t4, t2}},
		{"Category", openboards.TicketFilter{CategorySet: true, CategoryID: &catA.ID}, []*openboards.Ticket{t1}},
		{"Uncategorised", openboards.TicketFilter{CategorySet: true}, []*openboards.Ticket{t3, t4}},
		{"CategoryIDWithoutCategorySet", openboards.TicketFilter{CategoryID: &catA.ID}, []*openboards.Ticket{t1, t3, t4, t2}},
		{"Status", openboards.TicketFilter{Status: status(openboards.TicketOpen)}, []*openboards.Ticket{t1, t3}},
		{"StatusNone", openboards.TicketFilter{Status: status(openboards.TicketArchived)}, nil},
		{"Source", openboards.TicketFilter{Source: ptr("email")}, []*openboards.Ticket{t4, t2}},
		{"From", openboards.TicketFilter{From: ptr(at(2))}, []*openboards.Ticket{t3, t4, t2}},
		{"To", openboards.TicketFilter{To: ptr(at(2))}, []*openboards.Ticket{t1, t2}},
		{"FromTo", openboards.TicketFilter{From: ptr(at(2)), To: ptr(at(3))}, []*openboards.Ticket{t3, t2}},
		{"FromToSameInstant", openboards.TicketFilter{From: ptr(at(3)), To: ptr(at(3))}, []*openboards.Ticket{t3}},
		{"FromJustAfter", openboards.TicketFilter{From: ptr(at(3).Add(100 * time.Nanosecond))}, []*openboards.Ticket{t4}},
		{"TicketIDsNil", openboards.TicketFilter{TicketIDs: nil}, []*openboards.Ticket{t1, t3, t4, t2}},
		{"TicketIDsEmpty", openboards.TicketFilter{TicketIDs: []int64{}}, nil},
		{"TicketIDs", openboards.TicketFilter{TicketIDs: []int64{t2.ID, t3.ID, foreign.ID, 12345}}, []*openboards.Ticket{t3, t2}},
		{"CustomField", openboards.TicketFilter{CustomFields: []openboards.FieldValue{fv(f, "x")}}, []*openboards.Ticket{t1, t2}},
		{"CustomFieldsAnd", openboards.TicketFilter{CustomFields: []openboards.FieldValue{fv(f, "x"), fv(g, "2")}}, []*openboards.Ticket{t2}},
		{"CustomFieldsNoMatch", openboards.TicketFilter{CustomFields: []openboards.FieldValue{fv(f, "y"), fv(g, "1")}}, nil},
		{"Combined", openboards.TicketFilter{Status: status(openboards.TicketOpen), Source: ptr("api"), CategorySet: true, From: ptr(at(2))}, []*openboards.Ticket{t3}},
		{"OrderLastActivityDesc", openboards.TicketFilter{OrderBy: openboards.OrderLastActivityDesc}, []*openboards.Ticket{t1, t3, t4, t2}},
		{"OrderLastActivityAsc", openboards.TicketFilter{OrderBy: openboards.OrderLastActivityAsc}, []*openboards.Ticket{t2, t4, t3, t1}},
		{"OrderCreationDesc", openboards.TicketFilter{OrderBy: openboards.OrderCreationDesc}, []*openboards.Ticket{t4, t3, t2, t1}},
		{"OrderCreationAsc", openboards.TicketFilter{OrderBy: openboards.OrderCreationAsc}, []*openboards.Ticket{t1, t2, t3, t4}},
		{"Page", openboards.TicketFilter{OrderBy: openboards.OrderCreationAsc, Skip: 1, Take: 2}, []*openboards.Ticket{t2, t3}},
		{"PageLast", openboards.TicketFilter{OrderBy: openboards.OrderCreationAsc, Skip: 3, Take: 2}, []*openboards.Ticket{t4}},
		{"PagePastEnd", openboards.TicketFilter{Skip: 4, Take: 2}, nil},
		{"PageFiltered", openboards.TicketFilter{Source: ptr("email"), Skip: 1, Take: 1}, []*openboards.Ticket{t2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			f.CommunityID = b.cm1.ID
			if f.Take == 0 {
				f.Take = 50
			}
			want := []int64{}
			for _, tk := range tt.want {
				want = append(want, tk.ID)
			}
			ids, err := b.store.FindTicketIDs(b.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, "FindTicketIDs", want, ids)
			tickets, err := b.store.FindTickets(b.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			got := []int64{}
			for _, tk := range tickets {
				got = append(got, tk.ID)
			}
			diff(t, "FindTickets", want, got)
		})
	}
	t.Run("ListedEqualsFound", func(t *testing.T) {
		tickets, err := b.store.FindTickets(b.ctx, openboards.TicketFilter{CommunityID: b.cm1.ID, Take: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range tickets {
			diff(t, fmt.Sprintf("ticket %d", got.ID), b.findTicket(b.cm1, got.ID), got)
		}
	})
}

func testReplies(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		customer := b.user(b.cm1, userOpts{Name: "Ada", Email: "ada@example.com"})
		tom := b.teammate(b.cm1, "Tom")
		tk := b.ticket(b.cm1, customer, &openboards.Ticket{})
		otherTicket := b.ticket(b.cm1, customer, &openboards.Ticket{})
		r1 := b.reply(tom, tk, &openboards.Reply{Message: "Hi", HTMLMessage: "<p>Hi</p>", IsByTeam: true, IsHidden: true,
			Tags: []string{"t1"}, Attachments: []openboards.Attachment{{URL: "https://example.com/f.txt", Name: "f.txt"}},
			CCEmails: []string{"cc@example.com"}, ToEmails: []string{"ada@example.com"}, CreatedAt: at(1), UpdatedAt: at(2)})
		r2 := b.reply(customer, tk, &openboards.Reply{ParentReplyID: &r1.ID, Level: 1})
		r3 := b.reply(tom, tk, &openboards.Reply{ParentReplyID: &r2.ID, Level: 2, IsByTeam: true})
		b.reply(tom, otherTicket, &openboards.Reply{})
		if r1.ID == 0 || r1.ID == r2.ID {
			t.Fatalf("ids %d and %d", r1.ID, r2.ID)
		}
		want1 := *r1
		want1.Author = tom
		got, err := b.store.FindReplyByID(b.ctx, b.cm1.ID, tk.ID, r1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "reply", &want1, got)
		want2, want3 := *r2, *r3
		want2.Author, want3.Author = customer, tom
		list, err := b.store.FindReplies(b.ctx, b.cm1.ID, tk.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "replies oldest first", []*openboards.Reply{&want1, &want2, &want3}, list)
		list, err = b.store.FindReplies(b.ctx, b.cm1.ID, tk.ID, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "page of replies", []*openboards.Reply{&want2}, list)
		_, err = b.store.FindReplyByID(b.ctx, b.cm1.ID, otherTicket.ID, r1.ID)
		wantCode(t, err, openboards.CodeNotFound)
	})
	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		tom := b.teammate(b.cm1, "Tom")
		tk := b.ticket(b.cm1, tom, &openboards.Ticket{})
		r := b.reply(tom, tk, &openboards.Reply{IsByTeam: true, IsDraft: true, Tags: []string{"old"}})
		want := *r
		want.Author = tom
		update := func(what string, u openboards.ReplyUpdate) {
			t.Helper()
			b.tx(func(tx openboards.Tx) error { return tx.UpdateReply(b.ctx, b.cm1.ID, tk.ID, r.ID, u) })
			got, err := b.store.FindReplyByID(b.ctx, b.cm1.ID, tk.ID, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, what, &want, got)
		}
		if !b.findTicket(b.cm1, tk.ID).HasDraft {
			t.Fatal("HasDraft is false with a draft reply")
		}
		want.UpdatedAt = at(20)
		update("UpdatedAt only", openboards.ReplyUpdate{UpdatedAt: at(20)})
		want.Message, want.HTMLMessage, want.UpdatedAt = "New", "<b>New</b>", at(21)
		update("message", openboards.ReplyUpdate{Message: ptr("New"), HTMLMessage: ptr("<b>New</b>"), UpdatedAt: at(21)})
		want.Attachments, want.UpdatedAt = []openboards.Attachment{{URL: "https://example.com/x", Name: "x", IsContentPart: true}}, at(22)
		update("attachments", openboards.ReplyUpdate{Attachments: &want.Attachments, UpdatedAt: at(22)})
		want.Tags, want.UpdatedAt = []string{"a", "B"}, at(23)
		update("tags", openboards.ReplyUpdate{Tags: &[]string{"a", "B"}, UpdatedAt: at(23)})
		want.IsDraft, want.UpdatedAt = false, at(24)
		update("published", openboards.ReplyUpdate{IsDraft: ptr(false), UpdatedAt: at(24)})
		if b.findTicket(b.cm1, tk.ID).HasDraft {
			t.Fatal("HasDraft is true after the draft was published")
		}
		err := b.try(func(tx openboards.Tx) error {
			return tx.UpdateReply(b.ctx, b.cm1.ID, tk.ID, r.ID+100, openboards.ReplyUpdate{UpdatedAt: at(25)})
		})
		wantCode(t, err, openboards.CodeNotFound)
	})
	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		tom := b.teammate(b.cm1, "Tom")
		tk := b.ticket(b.cm1, tom, &openboards.Ticket{})
		r1 := b.reply(tom, tk, &openboards.Reply{})
		r2 := b.reply(tom, tk, &openboards.Reply{ParentReplyID: &r1.ID, Level: 1})
		r3 := b.reply(tom, tk, &openboards.Reply{ParentReplyID: &r2.ID, Level: 2})
		draft := b.reply(tom, tk, &openboards.Reply{IsDraft: true})
		b.tx(func(tx openboards.Tx) error { return tx.DeleteReply(b.ctx, b.cm1.ID, tk.ID, r1.ID) })
		_, err := b.store.FindReplyByID(b.ctx, b.cm1.ID, tk.ID, r1.ID)
		wantCode(t, err, openboards.CodeNotFound)
		got, err := b.store.FindReplyByID(b.ctx, b.cm1.ID, tk.ID, r2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ParentReplyID != nil || got.Level != 1 {
			t.Fatalf("child of a deleted reply: parent %v, level %d; want no parent, level 1", got.ParentReplyID, got.Level)
		}
		got, err = b.store.FindReplyByID(b.ctx, b.cm1.ID, tk.ID, r3.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ParentReplyID == nil || *got.ParentReplyID != r2.ID {
			t.Fatalf("grandchild lost its parent: %v", got.ParentReplyID)
		}
		b.tx(func(tx openboards.Tx) error { return tx.DeleteReply(b.ctx, b.cm1.ID, tk.ID, draft.ID) })
		if b.findTicket(b.cm1, tk.ID).HasDraft {
			t.Fatal("HasDraft is true after the draft was deleted")
		}
		err = b.try(func(tx openboards.Tx) error { return tx.DeleteReply(b.ctx, b.cm1.ID, tk.ID, r1.ID) })
		wantCode(t, err, openboards.CodeNotFound)
	})
}

func testNotes(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		amy, tom, zed := b.teammate(b.cm1, "Amy"), b.teammate(b.cm1, "Tom"), b.teammate(b.cm1, "Zed")
		tk := b.ticket(b.cm1, amy, &openboards.Ticket{})
		n1 := &openboards.Note{TicketID: tk.ID, CommunityID: b.cm1.ID, AuthorID: amy.ID, Message: "Look", HTMLMessage: ptr("<p>Look</p>"),
			Attachments:      []openboards.Attachment{{URL: "https://example.com/n", Name: "n"}},
			MentionedUserIDs: []string{zed.ID, tom.ID}, CreatedAt: at(1), UpdatedAt: at(1)}
		n2 := &openboards.Note{TicketID: tk.ID, CommunityID: b.cm1.ID, AuthorID: tom.ID, Message: "Plain", CreatedAt: at(2), UpdatedAt: at(2)}
		b.tx(func(tx openboards.Tx) error {
			if err := tx.CreateNote(b.ctx, n1); err != nil {
				return err
			}
			return tx.CreateNote(b.ctx, n2)
		})
		if n1.ID == 0 || n1.ID == n2.ID {
			t.Fatalf("ids %d and %d", n1.ID, n2.ID)
		}
		want1, want2 := *n1, *n2
		want1.Author, want1.MentionedUsers = amy, []openboards.User{*zed, *tom}
		want2.Author = tom
		got, err := b.store.FindNoteByID(b.ctx, b.cm1.ID, tk.ID, n1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "note", &want1, got)
		list, err := b.store.FindNotes(b.ctx, b.cm1.ID, tk.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "notes oldest first", []*openboards.Note{&want1, &want2}, list)
		list, err = b.store.FindNotes(b.ctx, b.cm1.ID, tk.ID, 1, 10)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "page of notes", []*openboards.Note{&want2}, list)

		upd := *n1
		upd.Message, upd.HTMLMessage, upd.Attachments, upd.MentionedUserIDs, upd.UpdatedAt = "Edited", nil, nil, []string{amy.ID}, at(5)
		b.tx(func(tx openboards.Tx) error { return tx.UpdateNote(b.ctx, &upd) })
		want1 = upd
		want1.Author, want1.MentionedUsers = amy, []openboards.User{*amy}
		got, err = b.store.FindNoteByID(b.ctx, b.cm1.ID, tk.ID, n1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "updated note", &want1, got)

		b.tx(func(tx openboards.Tx) error { return tx.DeleteNote(b.ctx, b.cm1.ID, tk.ID, n1.ID) })
		_, err = b.store.FindNoteByID(b.ctx, b.cm1.ID, tk.ID, n1.ID)
		wantCode(t, err, openboards.CodeNotFound)
		list, err = b.store.FindNotes(b.ctx, b.cm1.ID, tk.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "notes after delete", []*openboards.Note{&want2}, list)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		amy := b.teammate(b.cm1, "Amy")
		tk := b.ticket(b.cm1, amy, &openboards.Ticket{})
		other := b.ticket(b.cm1, amy, &openboards.Ticket{})
		n := &openboards.Note{TicketID: tk.ID, CommunityID: b.cm1.ID, AuthorID: amy.ID, Message: "x", CreatedAt: at(1), UpdatedAt: at(1)}
		b.tx(func(tx openboards.Tx) error { return tx.CreateNote(b.ctx, n) })
		_, err := b.store.FindNoteByID(b.ctx, b.cm1.ID, other.ID, n.ID)
		wantCode(t, err, openboards.CodeNotFound)
		err = b.try(func(tx openboards.Tx) error {
			upd := *n
			upd.ID = n.ID + 100
			return tx.UpdateNote(b.ctx, &upd)
		})
		wantCode(t, err, openboards.CodeNotFound)
		err = b.try(func(tx openboards.Tx) error { return tx.DeleteNote(b.ctx, b.cm1.ID, other.ID, n.ID) })
		wantCode(t, err, openboards.CodeNotFound)
		if _, err := b.store.FindNoteByID(b.ctx, b.cm1.ID, tk.ID, n.ID); err != nil {
			t.Fatalf("a delete on another ticket removed the note: %v", err)
		}
	})
}

func testLogEntries(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		customer := b.user(b.cm1, userOpts{Name: "Ada", Email: "ada@example.com", CustomIdentifier: "ada"})
		tom := b.teammate(b.cm1, "Tom")
		api, err := b.store.FindUserByID(b.ctx, b.cm1.ID, b.cm1.APIUserID)
		if err != nil {
			t.Fatal(err)
		}
		tk := b.ticket(b.cm1, customer, &openboards.Ticket{})
		other := b.ticket(b.cm1, customer, &openboards.Ticket{})
		entry := func(user *openboards.User, typ, text string, inc openboards.IncludedItems, i int) *openboards.LogEntry {
			return &openboards.LogEntry{TicketID: tk.ID, CommunityID: b.cm1.ID, UserID: user.ID, ActionType: typ, ActionString: text, Included: inc, CreatedAt: at(i)}
		}
		e1 := entry(customer, openboards.ActionTicketCreated, "created the ticket", openboards.IncludedItems{}, 1)
		e2 := entry(api, openboards.ActionTicketAssignedToUser, "changed ticket assignee to {User:"+tom.ID+"}",
			openboards.IncludedItems{Users: []openboards.User{*tom, *customer}}, 2)
		e3 := entry(api, openboards.ActionTicketCategoryChanged, "changed the category from {Category:1} to {Category:2}",
			openboards.IncludedItems{Categories: []openboards.CategoryRef{{ID: 1, Name: "Old"}, {ID: 2, Name: "New \"one\""}}}, 3)
		e4 := entry(tom, openboards.ActionTicketTagsChanged, "changed the tags of the ticket to {Tag:7}, {Tag:8}",
			openboards.IncludedItems{Tags: []openboards.Tag{{ID: 7, CommunityID: b.cm1.ID, Name: "a"}, {ID: 8, CommunityID: b.cm1.ID, Name: "ü"}}}, 4)
		onOther := &openboards.LogEntry{TicketID: other.ID, CommunityID: b.cm1.ID, UserID: tom.ID, ActionType: openboards.ActionTicketRead,
			ActionString: "read the ticket", CreatedAt: at(5)}
		b.tx(func(tx openboards.Tx) error {
			for _, e := range []*openboards.LogEntry{e1, e2, e3, e4, onOther} {
				if err := tx.CreateLogEntry(b.ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if e1.ID == 0 || e1.ID == e2.ID {
			t.Fatalf("ids %d and %d", e1.ID, e2.ID)
		}
		want := func(e *openboards.LogEntry, u *openboards.User) *openboards.LogEntry {
			w := *e
			w.User = u
			return &w
		}
		w1, w2, w3, w4 := want(e1, customer), want(e2, api), want(e3, api), want(e4, tom)
		for _, tt := range []struct {
			name       string
			types      []string
			skip, take int
			want       []*openboards.LogEntry
		}{
			{"All", nil, 0, 10, []*openboards.LogEntry{w4, w3, w2, w1}},
			{"EmptyTypes", []string{}, 0, 10, []*openboards.LogEntry{w4, w3, w2, w1}},
			{"Types", []string{openboards.ActionTicketTagsChanged, openboards.ActionTicketAssignedToUser}, 0, 10, []*openboards.LogEntry{w4, w2}},
			{"UnknownType", []string{"nothing"}, 0, 10, nil},
			{"Page", nil, 1, 2, []*openboards.LogEntry{w3, w2}},
			{"TypesPage", []string{openboards.ActionTicketTagsChanged, openboards.ActionTicketCreated}, 1, 1, []*openboards.LogEntry{w1}},
		} {
			got, err := b.store.FindLogEntries(b.ctx, b.cm1.ID, tk.ID, tt.types, tt.skip, tt.take)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, tt.name, tt.want, got)
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

// testIsolation checks that one community's objects are invisible to
// another: finds report CodeNotFound, lists leave them out, and updates and
// deletes report CodeNotFound and change nothing.
func testIsolation(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	cm1, cm2 := b.cm1.ID, b.cm2.ID
	ctx := b.ctx

	// Everything below belongs to cm1.
	author := b.user(b.cm1, userOpts{Name: "Ada", Email: "ada@example.com", CustomIdentifier: "ada"})
	tom := b.teammate(b.cm1, "Tom")
	b.teammate(b.cm2, "Other")
	group := &openboards.UserGroup{CommunityID: cm1, Name: "Team", CreatedAt: at(1)}
	b.tx(func(tx openboards.Tx) error {
		if err := tx.CreateUserGroup(ctx, group); err != nil {
			return err
		}
		return tx.AddUserGroupMembers(ctx, cm1, group.ID, []string{tom.ID})
	})
	parent := b.category(b.cm1, &openboards.Category{Name: "Parent", CanBeChosen: true})
	cat := b.category(b.cm1, &openboards.Category{Name: "Child", ParentID: &parent.ID, CanBeChosen: true})
	field := b.field(b.cm1, &openboards.CustomField{Name: "F"})
	b.tx(func(tx openboards.Tx) error {
		_, err := tx.UpsertTags(ctx, cm1, []string{"tag"})
		return err
	})
	tk := b.ticket(b.cm1, author, &openboards.Ticket{CategoryID: &cat.ID, AssigneeID: &tom.ID,
		CustomFields: []openboards.FieldValue{{FieldID: field.ID, Value: "v"}}})
	reply := b.reply(tom, tk, &openboards.Reply{IsByTeam: true})
	note := &openboards.Note{TicketID: tk.ID, CommunityID: cm1, AuthorID: tom.ID, Message: "n", CreatedAt: at(1), UpdatedAt: at(1)}
	entry := &openboards.LogEntry{TicketID: tk.ID, CommunityID: cm1, UserID: author.ID, ActionType: openboards.ActionTicketCreated,
		ActionString: "created the ticket", CreatedAt: at(1)}
	widget := &openboards.WidgetSchedule{CommunityID: cm1, TimePeriod: openboards.PeriodEveryDay,
		Times: []openboards.ScheduleTime{{StartAt: "08:00:00", EndAt: "09:00:00"}}}
	token := &openboards.RefreshToken{CommunityID: cm1, Name: "default", Hash: []byte("isolation-hash-0123"), CreatedAt: at(1)}
	b.tx(func(tx openboards.Tx) error {
		if err := tx.CreateNote(ctx, note); err != nil {
			return err
		}
		if err := tx.CreateLogEntry(ctx, entry); err != nil {
			return err
		}
		if err := tx.PutWidgetSchedule(ctx, widget); err != nil {
			return err
		}
		return tx.CreateRefreshToken(ctx, token)
	})
	before := b.findTicket(b.cm1, tk.ID)

	t.Run("Find", func(t *testing.T) {
		for name, find := range map[string]func(r openboards.Reader) error{
			"FindUserByID": func(r openboards.Reader) error { _, err := r.FindUserByID(ctx, cm2, author.ID); return err },
			"FindUserByEmail": func(r openboards.Reader) error {
				_, err := r.FindUserByEmail(ctx, cm2, "ada@example.com")
				return err
			},
			"FindUserByCustomIdentifier": func(r openboards.Reader) error {
				_, err := r.FindUserByCustomIdentifier(ctx, cm2, "ada")
				return err
			},
			"FindUserGroupByID":   func(r openboards.Reader) error { _, err := r.FindUserGroupByID(ctx, cm2, group.ID); return err },
			"FindCategoryByID":    func(r openboards.Reader) error { _, err := r.FindCategoryByID(ctx, cm2, cat.ID); return err },
			"FindCustomFieldByID": func(r openboards.Reader) error { _, err := r.FindCustomFieldByID(ctx, cm2, field.ID); return err },
			"FindTicketByID":      func(r openboards.Reader) error { _, err := r.FindTicketByID(ctx, cm2, tk.ID); return err },
			"FindReplyByID":       func(r openboards.Reader) error { _, err := r.FindReplyByID(ctx, cm2, tk.ID, reply.ID); return err },
			"FindNoteByID":        func(r openboards.Reader) error { _, err := r.FindNoteByID(ctx, cm2, tk.ID, note.ID); return err },
		} {
			if err := find(b.store); openboards.ErrorCode(err) != openboards.CodeNotFound {
				t.Errorf("%s: got %v, want code %q", name, err, openboards.CodeNotFound)
			}
			// The same inside a transaction.
			b.tx(func(tx openboards.Tx) error {
				if err := find(tx); openboards.ErrorCode(err) != openboards.CodeNotFound {
					t.Errorf("%s in a transaction: got %v, want code %q", name, err, openboards.CodeNotFound)
				}
				return nil
			})
		}
	})
	t.Run("List", func(t *testing.T) {
		empty := func(name string, n int, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if n != 0 {
				t.Errorf("%s: got %d of another community's objects", name, n)
			}
		}
		users, err := b.store.FindUsersByIDs(ctx, cm2, []string{author.ID, tom.ID})
		empty("FindUsersByIDs", len(users), err)
		mates, err := b.store.FindTeammates(ctx, cm2, nil)
		if err != nil || len(mates) != 1 || mates[0].Name != "Other" {
			t.Errorf("FindTeammates: %v, %v; want only Other", mates, err)
		}
		mates, err = b.store.FindTeammates(ctx, cm2, &group.ID)
		empty("FindTeammates in group", len(mates), err)
		groups, err := b.store.FindUserGroups(ctx, cm2)
		empty("FindUserGroups", len(groups), err)
		members, err := b.store.FindUserGroupMemberIDs(ctx, cm2, group.ID)
		empty("FindUserGroupMemberIDs", len(members), err)
		cats, err := b.store.FindCategories(ctx, cm2)
		empty("FindCategories", len(cats), err)
		n, err := b.store.CountCategoryChildren(ctx, cm2, parent.ID)
		empty("CountCategoryChildren", n, err)
		fields, err := b.store.FindCustomFields(ctx, cm2)
		empty("FindCustomFields", len(fields), err)
		tags, err := b.store.FindTags(ctx, cm2)
		empty("FindTags", len(tags), err)
		tickets, err := b.store.FindTickets(ctx, openboards.TicketFilter{CommunityID: cm2, Take: 10})
		empty("FindTickets", len(tickets), err)
		ids, err := b.store.FindTicketIDs(ctx, openboards.TicketFilter{CommunityID: cm2, TicketIDs: []int64{tk.ID}, Take: 10})
		empty("FindTicketIDs", len(ids), err)
		replies, err := b.store.FindReplies(ctx, cm2, tk.ID, 0, 10)
		empty("FindReplies", len(replies), err)
		notes, err := b.store.FindNotes(ctx, cm2, tk.ID, 0, 10)
		empty("FindNotes", len(notes), err)
		entries, err := b.store.FindLogEntries(ctx, cm2, tk.ID, nil, 0, 10)
		empty("FindLogEntries", len(entries), err)
		widgets, err := b.store.FindWidgetSchedules(ctx, cm2, nil)
		empty("FindWidgetSchedules", len(widgets), err)
		widgets, err = b.store.FindWidgetSchedules(ctx, cm2, &widget.WidgetID)
		empty("FindWidgetSchedules by id", len(widgets), err)
		tokens, err := b.store.FindRefreshTokens(ctx, cm2)
		empty("FindRefreshTokens", len(tokens), err)
	})
	t.Run("Write", func(t *testing.T) {
		for name, write := range map[string]func(tx openboards.Tx) error{
			"UpdateUser": func(tx openboards.Tx) error {
				u := *author
				u.CommunityID, u.Name = cm2, "Stolen"
				return tx.UpdateUser(ctx, &u)
			},
			"UpdateUserGroup": func(tx openboards.Tx) error {
				return tx.UpdateUserGroup(ctx, &openboards.UserGroup{ID: group.ID, CommunityID: cm2, Name: "Stolen"})
			},
			"RemoveUserGroupMember": func(tx openboards.Tx) error { return tx.RemoveUserGroupMember(ctx, cm2, group.ID, tom.ID) },
			"DeleteUserGroup":       func(tx openboards.Tx) error { return tx.DeleteUserGroup(ctx, cm2, group.ID) },
			"UpdateCategory": func(tx openboards.Tx) error {
				return tx.UpdateCategory(ctx, &openboards.Category{ID: cat.ID, CommunityID: cm2, Name: "Stolen"})
			},
			"DeleteCategory": func(tx openboards.Tx) error { return tx.DeleteCategory(ctx, cm2, cat.ID) },
			"UpdateCustomField": func(tx openboards.Tx) error {
				return tx.UpdateCustomField(ctx, &openboards.CustomField{ID: field.ID, CommunityID: cm2, Name: "Stolen", Type: openboards.FieldText})
			},
			"DeleteCustomField": func(tx openboards.Tx) error { return tx.DeleteCustomField(ctx, cm2, field.ID) },
			"UpdateTicket": func(tx openboards.Tx) error {
				return tx.UpdateTicket(ctx, cm2, tk.ID, openboards.TicketUpdate{Status: ptr(openboards.TicketArchived), ReplyCountDiff: 5, UpdatedAt: at(50)})
			},
			"UpdateReply": func(tx openboards.Tx) error {
				return tx.UpdateReply(ctx, cm2, tk.ID, reply.ID, openboards.ReplyUpdate{Message: ptr("Stolen"), UpdatedAt: at(50)})
			},
			"DeleteReply": func(tx openboards.Tx) error { return tx.DeleteReply(ctx, cm2, tk.ID, reply.ID) },
			"UpdateNote": func(tx openboards.Tx) error {
				n := *note
				n.CommunityID, n.Message = cm2, "Stolen"
				return tx.UpdateNote(ctx, &n)
			},
			"DeleteNote": func(tx openboards.Tx) error { return tx.DeleteNote(ctx, cm2, tk.ID, note.ID) },
			"PutWidgetSchedule": func(tx openboards.Tx) error {
				return tx.PutWidgetSchedule(ctx, &openboards.WidgetSchedule{WidgetID: widget.WidgetID, CommunityID: cm2, TimePeriod: openboards.PeriodCustom,
					CustomTimes: &openboards.CustomTimes{}})
			},
			"DeleteWidgetSchedule": func(tx openboards.Tx) error { return tx.DeleteWidgetSchedule(ctx, cm2, widget.WidgetID) },
			"RevokeRefreshToken":   func(tx openboards.Tx) error { return tx.RevokeRefreshToken(ctx, cm2, token.ID, at(50)) },
		} {
			if code := openboards.ErrorCode(b.try(write)); code != openboards.CodeNotFound {
				t.Errorf("%s on another community's object: got code %q, want %q", name, code, openboards.CodeNotFound)
			}
		}

		// Nothing changed.
		diff(t, "ticket", before, b.findTicket(b.cm1, tk.ID))
		check := func(name string, err error) {
			t.Helper()
			if err != nil {
				t.Errorf("%s after writes from another community: %v", name, err)
			}
		}
		u, err := b.store.FindUserByID(ctx, cm1, author.ID)
		check("user", err)
		if err == nil && u.Name != "Ada" {
			t.Errorf("user renamed to %q", u.Name)
		}
		g, err := b.store.FindUserGroupByID(ctx, cm1, group.ID)
		check("group", err)
		if err == nil && g.Name != "Team" {
			t.Errorf("group renamed to %q", g.Name)
		}
		members, err := b.store.FindUserGroupMemberIDs(ctx, cm1, group.ID)
		check("group members", err)
		diff(t, "group members", []string{tom.ID}, members)
		c, err := b.store.FindCategoryByID(ctx, cm1, cat.ID)
		check("category", err)
		if err == nil && c.Name != "Child" {
			t.Errorf("category renamed to %q", c.Name)
		}
		f, err := b.store.FindCustomFieldByID(ctx, cm1, field.ID)
		check("custom field", err)
		if err == nil && f.Name != "F" {
			t.Errorf("custom field renamed to %q", f.Name)
		}
		r, err := b.store.FindReplyByID(ctx, cm1, tk.ID, reply.ID)
		check("reply", err)
		if err == nil && r.Message != reply.Message {
			t.Errorf("reply changed to %q", r.Message)
		}
		n, err := b.store.FindNoteByID(ctx, cm1, tk.ID, note.ID)
		check("note", err)
		if err == nil && n.Message != "n" {
			t.Errorf("note changed to %q", n.Message)
		}
		ws, err := b.store.FindWidgetSchedules(ctx, cm1, &widget.WidgetID)
		check("widget", err)
		diff(t, "widget", []*openboards.WidgetSchedule{widget}, ws)
		rt, err := b.store.FindRefreshTokenByID(ctx, token.ID)
		check("refresh token", err)
		if err == nil && rt.RevokedAt != nil {
			t.Error("another community revoked the refresh token")
		}
	})
}

// testIDsNotReused checks that deleting the newest object of a kind does
// not free its id for the next one: clients keep ids.
func testIDsNotReused(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	ctx, cm := b.ctx, b.cm1.ID
	tom := b.teammate(b.cm1, "Tom")
	tk := b.ticket(b.cm1, tom, &openboards.Ticket{})
	for _, kind := range []struct {
		name   string
		create func(tx openboards.Tx) (int64, error)
		delete func(tx openboards.Tx, id int64) error
	}{
		{"UserGroup", func(tx openboards.Tx) (int64, error) {
			g := &openboards.UserGroup{CommunityID: cm, Name: fmt.Sprintf("Group %d", b.next()), CreatedAt: at(1)}
			err := tx.CreateUserGroup(ctx, g)
			return g.ID, err
		}, func(tx openboards.Tx, id int64) error { return tx.DeleteUserGroup(ctx, cm, id) }},
		{"Category", func(tx openboards.Tx) (int64, error) {
			c := &openboards.Category{CommunityID: cm, Name: "C", CanBeChosen: true}
			err := tx.CreateCategory(ctx, c)
			return c.ID, err
		}, func(tx openboards.Tx, id int64) error { return tx.DeleteCategory(ctx, cm, id) }},
		{"CustomField", func(tx openboards.Tx) (int64, error) {
			f := &openboards.CustomField{CommunityID: cm, Name: "F", Type: openboards.FieldText}
			err := tx.CreateCustomField(ctx, f)
			return f.ID, err
		}, func(tx openboards.Tx, id int64) error { return tx.DeleteCustomField(ctx, cm, id) }},
		{"Reply", func(tx openboards.Tx) (int64, error) {
			r := &openboards.Reply{CommunityID: cm, TicketID: tk.ID, AuthorID: tom.ID, Message: "r", HTMLMessage: "r", CreatedAt: at(1), UpdatedAt: at(1)}
			err := tx.CreateReply(ctx, r)
			return r.ID, err
		}, func(tx openboards.Tx, id int64) error { return tx.DeleteReply(ctx, cm, tk.ID, id) }},
		{"Note", func(tx openboards.Tx) (int64, error) {
			n := &openboards.Note{CommunityID: cm, TicketID: tk.ID, AuthorID: tom.ID, Message: "n", CreatedAt: at(1), UpdatedAt: at(1)}
			err := tx.CreateNote(ctx, n)
			return n.ID, err
		}, func(tx openboards.Tx, id int64) error { return tx.DeleteNote(ctx, cm, tk.ID, id) }},
		{"WidgetSchedule", func(tx openboards.Tx) (int64, error) {
			w := &openboards.WidgetSchedule{CommunityID: cm, TimePeriod: openboards.PeriodCustom, CustomTimes: &openboards.CustomTimes{}}
			err := tx.PutWidgetSchedule(ctx, w)
			return w.WidgetID, err
		}, func(tx openboards.Tx, id int64) error { return tx.DeleteWidgetSchedule(ctx, cm, id) }},
	} {
		var first, second int64
		b.tx(func(tx openboards.Tx) error {
			var err error
			first, err = kind.create(tx)
			return err
		})
		b.tx(func(tx openboards.Tx) error { return kind.delete(tx, first) })
		b.tx(func(tx openboards.Tx) error {
			var err error
			second, err = kind.create(tx)
			return err
		})
		if second <= first {
			t.Errorf("%s: after deleting id %d the next one got id %d", kind.name, first, second)
		}
	}
}

func testTransactions(t *testing.T, newStore NewStore) {
	t.Run("Rollback", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		existing := b.user(b.cm1, userOpts{Email: "taken@example.com"})
		cm := &openboards.Community{Name: "Rolled back", ClientID: openboards.NewID(), APIUserID: openboards.NewID(), CreatedAt: at(1)}
		u := &openboards.User{ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: "Ghost", Email: ptr("ghost@example.com"), Status: openboards.StatusClient, CreatedAt: at(1)}
		tk := &openboards.Ticket{}
		err := b.store.InTx(b.ctx, func(tx openboards.Tx) error {
			if err := tx.CreateCommunity(b.ctx, cm); err != nil {
				return err
			}
			if err := tx.CreateUser(b.ctx, u); err != nil {
				return err
			}
			if err := tx.PutSetting(b.ctx, "ghost", []byte("x")); err != nil {
				return err
			}
			if _, err := tx.UpsertTags(b.ctx, b.cm1.ID, []string{"ghost"}); err != nil {
				return err
			}
			*tk = openboards.Ticket{CommunityID: b.cm1.ID, Title: "Ghost", AuthorID: u.ID, Status: openboards.TicketOpen,
				Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI, CreatedAt: at(1), LastActivityAt: at(1), UpdatedAt: at(1)}
			if err := tx.CreateTicket(b.ctx, tk); err != nil {
				return err
			}
			upd := *existing
			upd.Name = "Renamed"
			if err := tx.UpdateUser(b.ctx, &upd); err != nil {
				return err
			}
			return fmt.Errorf("giving up: %w", errBoom)
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("InTx returned %v, want fn's error", err)
		}
		_, err = b.store.FindCommunityByName(b.ctx, cm.Name)
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.FindUserByID(b.ctx, b.cm1.ID, u.ID)
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.Setting(b.ctx, "ghost")
		wantCode(t, err, openboards.CodeNotFound)
		if tags, err := b.store.FindTags(b.ctx, b.cm1.ID); err != nil || len(tags) != 0 {
			t.Fatalf("tags after rollback: %v, %v", tags, err)
		}
		if ids, err := b.store.FindTicketIDs(b.ctx, openboards.TicketFilter{CommunityID: b.cm1.ID, Take: 10}); err != nil || len(ids) != 0 {
			t.Fatalf("tickets after rollback: %v, %v", ids, err)
		}
		got, err := b.store.FindUserByID(b.ctx, b.cm1.ID, existing.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "user updated in a rolled back transaction", existing, got)
	})
	t.Run("RollbackAfterStoreError", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		b.user(b.cm1, userOpts{Email: "taken@example.com"})
		first := &openboards.User{ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: "First", Email: ptr("first@example.com"), Status: openboards.StatusClient, CreatedAt: at(1)}
		err := b.store.InTx(b.ctx, func(tx openboards.Tx) error {
			if err := tx.CreateUser(b.ctx, first); err != nil {
				return err
			}
			return tx.CreateUser(b.ctx, &openboards.User{ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: "Dup",
				Email: ptr("TAKEN@example.com"), Status: openboards.StatusClient, CreatedAt: at(1)})
		})
		wantCode(t, err, openboards.CodeConflict)
		_, err = b.store.FindUserByID(b.ctx, b.cm1.ID, first.ID)
		wantCode(t, err, openboards.CodeNotFound)
		// The store still takes writes.
		b.user(b.cm1, userOpts{Email: "first@example.com"})
	})
	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		const n = 50
		fails := func(i int) bool { return i%3 == 0 }
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = b.store.InTx(b.ctx, func(tx openboards.Tx) error {
					if err := tx.PutSetting(b.ctx, fmt.Sprintf("key-%02d", i), []byte{byte(i)}); err != nil {
						return err
					}
					if err := tx.CreateUser(b.ctx, &openboards.User{ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: fmt.Sprintf("User %02d", i),
						Email: ptr(fmt.Sprintf("user%02d@example.com", i)), Status: openboards.StatusClient, CreatedAt: at(i)}); err != nil {
						return err
					}
					if fails(i) {
						return fmt.Errorf("write %d: %w", i, errBoom)
					}
					return nil
				})
			})
		}
		close(start)
		wg.Wait()
		for i := range n {
			if fails(i) {
				if !errors.Is(errs[i], errBoom) {
					t.Errorf("write %d: InTx returned %v, want fn's error", i, errs[i])
				}
			} else if errs[i] != nil {
				t.Errorf("write %d: %v", i, errs[i])
			}
			_, errSetting := b.store.Setting(b.ctx, fmt.Sprintf("key-%02d", i))
			_, errUser := b.store.FindUserByEmail(b.ctx, b.cm1.ID, fmt.Sprintf("user%02d@example.com", i))
			for what, err := range map[string]error{"setting": errSetting, "user": errUser} {
				switch {
				case fails(i) && openboards.ErrorCode(err) != openboards.CodeNotFound:
					t.Errorf("write %d failed, but its %s is there (%v)", i, what, err)
				case !fails(i) && err != nil:
					t.Errorf("write %d committed, but its %s is missing: %v", i, what, err)
				}
			}
		}
	})
}

// testTimes checks that times come back as the same instant, to the
// 100 ns, whatever location they were given in.
func testTimes(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	zone := time.FixedZone("UTC+05:30", 5*3600+30*60)
	for _, tm := range []time.Time{
		time.Unix(0, 100).UTC(),
		time.Date(1999, 12, 31, 23, 59, 59, 999999900, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 100, zone),
		time.Date(2099, 1, 2, 3, 4, 5, 678900000, time.UTC),
		time.Now().Truncate(100 * time.Nanosecond),
	} {
		tm = tm.Truncate(100 * time.Nanosecond)
		u := &openboards.User{ID: openboards.NewID(), CommunityID: b.cm1.ID, Name: "T", Status: openboards.StatusClient, CreatedAt: tm}
		tk := &openboards.Ticket{}
		b.tx(func(tx openboards.Tx) error {
			if err := tx.CreateUser(b.ctx, u); err != nil {
				return err
			}
			*tk = openboards.Ticket{CommunityID: b.cm1.ID, Title: "T", AuthorID: u.ID, Status: openboards.TicketOpen,
				Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI, CreatedAt: tm, LastActivityAt: tm, UpdatedAt: tm}
			return tx.CreateTicket(b.ctx, tk)
		})
		got, err := b.store.FindUserByID(b.ctx, b.cm1.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(tm) {
			t.Errorf("user CreatedAt: got %v, want %v", got.CreatedAt, tm)
		}
		gt := b.findTicket(b.cm1, tk.ID)
		if !gt.CreatedAt.Equal(tm) || !gt.LastActivityAt.Equal(tm) || !gt.UpdatedAt.Equal(tm) {
			t.Errorf("ticket times: got %v, %v, %v; want %v", gt.CreatedAt, gt.LastActivityAt, gt.UpdatedAt, tm)
		}
		// The instant is a filter bound to the 100 ns.
		for _, f := range []openboards.TicketFilter{
			{From: &tm, To: &tm},
			{From: ptr(tm.Add(-100 * time.Nanosecond)), To: ptr(tm.Add(100 * time.Nanosecond))},
		} {
			f.CommunityID, f.TicketIDs, f.Take = b.cm1.ID, []int64{tk.ID}, 1
			ids, err := b.store.FindTicketIDs(b.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, fmt.Sprintf("filter %v to %v", f.From, f.To), []int64{tk.ID}, ids)
		}
		ids, err := b.store.FindTicketIDs(b.ctx, openboards.TicketFilter{CommunityID: b.cm1.ID, TicketIDs: []int64{tk.ID},
			From: ptr(tm.Add(100 * time.Nanosecond)), Take: 1})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "filter from just after", []int64{}, ids)
	}
}

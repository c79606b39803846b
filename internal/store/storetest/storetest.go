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
		{"CommunityList", testCommunityList},
		{"RemoveTeammate", testRemoveTeammate},
		{"RefreshTokens", testRefreshTokens},
		{"Users", testUsers},
		{"UserGroups", testUserGroups},
		{"Categories", testCategories},
		{"CustomFields", testCustomFields},
		{"Tags", testTags},
		{"ReadAhead", testReadAhead},
		{"Tickets", testTickets},
		{"TicketSearch", testTicketSearch},
		{"Replies", testReplies},
		{"Notes", testNotes},
		{"LogEntries", testLogEntries},
		{"WidgetSchedules", testWidgetSchedules},
		{"WidgetSettings", testWidgetSettings},
		{"VisitorTokens", testVisitorTokens},
		{"Isolation", testIsolation},
		{"IDsNotReused", testIDsNotReused},
		{"Transactions", testTransactions},
		{"Times", testTimes},
		{"Webhooks", testWebhooks},
		{"Events", testEvents},
		{"EventList", testEventList},
		{"Deliveries", testDeliveries},
		{"DeliveryEndpoint", testDeliveryEndpoint},
		{"Sessions", testSessions},
		{"Conversations", testConversations},
		{"RenameAndLock", testRenameAndLock},
		{"Faq", testFaq},
		{"FaqCounters", testFaqCounters},
		{"FaqConcurrentVotes", testFaqConcurrentVotes},
		{"FaqSorting", testFaqSorting},
		{"FaqSearch", testFaqSearch},
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

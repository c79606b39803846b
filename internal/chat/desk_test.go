package chat_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"openboards/internal/chat"
	"openboards/internal/community"
	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/postgres"
	"openboards/internal/store/postgres/pgtest"
	"openboards/internal/store/sqlite"
	"openboards/internal/ticket"
)

// TestOnPostgres runs this suite again on PostgreSQL, in a child process
// of the test binary, when a test server is configured.
func TestOnPostgres(t *testing.T) { pgtest.Rerun(t, "the chat suite") }

// desk is one test's community with two agents and a read-only teammate,
// on a clock the test moves.
type desk struct {
	ctx          context.Context
	store        openboards.Store
	svc          *chat.Service
	cm           *openboards.Community
	ann, bob, ro *openboards.User
	mu           sync.Mutex
	now          time.Time
}

func (d *desk) Now() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.now
}

func (d *desk) advance(by time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.now = d.now.Add(by)
}

func newDesk(t *testing.T) *desk {
	t.Helper()
	ctx := context.Background()
	var store openboards.Store
	var err error
	if pgtest.OnPostgres() {
		store, err = postgres.Open(ctx, pgtest.NewSchema(t), postgres.Options{MaxConns: 8})
	} else {
		store, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "openboards.db"), sqlite.Options{ReadConns: 2})
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	d := &desk{ctx: ctx, store: store, now: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	communities, err := community.NewService(ctx, store, d.Now, "openboards.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	created, err := communities.Create(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	d.cm = created.Community
	add := func(name, role string) *openboards.User {
		u, err := communities.AddTeammate(ctx, d.cm, community.TeammateInput{Email: strings.ToLower(name) + "@example.com", Name: name, Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	d.ann, d.bob, d.ro = add("Ann", "team_member"), add("Bob", "team_member"), add("Ro", "read_only_user")
	d.svc = chat.NewService(store, ticket.NewService(store, ticket.NoEvents, live.Discard, d.Now), d.Now)
	return d
}

// open starts a conversation by a new client.
func (d *desk) open(t *testing.T, bot bool) int64 {
	t.Helper()
	d.advance(time.Second)
	v, err := d.svc.Create(d.ctx, d.cm, chat.CreateInput{Author: &chat.UserValue{Email: openboards.NewID() + "@example.com", Name: "Client"}, IsBotEnabled: bot})
	if err != nil {
		t.Fatal(err)
	}
	return v.Ticket.ID
}

func (d *desk) assignee(t *testing.T, id int64) string {
	t.Helper()
	tk, err := d.store.FindTicketByID(d.ctx, d.cm.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if tk.AssigneeID == nil {
		return ""
	}
	return *tk.AssigneeID
}

func wantCode(t *testing.T, err error, code openboards.Code, text string) {
	t.Helper()
	if openboards.ErrorCode(err) != code || !strings.Contains(openboards.ErrorMessage(err), text) {
		t.Fatalf("got %v, want %s containing %q", err, code, text)
	}
}

func TestTakeNext(t *testing.T) {
	d := newDesk(t)
	first, second, withBot := d.open(t, false), d.open(t, false), d.open(t, true)
	if err := d.svc.SetPresence(d.ctx, d.cm, d.ann.ID, openboards.PresenceOnline, 2); err != nil {
		t.Fatal(err)
	}
	// First come, first served; the bot's conversation is not in line.
	for _, want := range []int64{first, second} {
		got, err := d.svc.TakeNext(d.ctx, d.cm, d.ann.ID)
		if err != nil || got != want {
			t.Fatalf("take next: %d, %v; want %d", got, err, want)
		}
		if a := d.assignee(t, want); a != d.ann.ID {
			t.Fatalf("conversation %d assigned to %q", want, a)
		}
		if q, _ := d.svc.Queue(d.ctx, d.cm, want); q.Position != openboards.NotQueued {
			t.Fatalf("taken conversation still at %d", q.Position)
		}
	}
	// Ann holds her capacity; Bob finds nobody waiting.
	_, err := d.svc.TakeNext(d.ctx, d.cm, d.ann.ID)
	wantCode(t, err, openboards.CodeConflict, "capacity")
	_, err = d.svc.TakeNext(d.ctx, d.cm, d.bob.ID)
	wantCode(t, err, openboards.CodeNotFound, "nobody is waiting")

	// Taking: from the bot, a no-op for the holder, a conflict for others,
	// refused for a read-only teammate and for a closed conversation.
	if err := d.svc.Take(d.ctx, d.cm, d.bob.ID, withBot); err != nil {
		t.Fatal(err)
	}
	if bot, _ := d.svc.Takeover(d.ctx, d.cm, withBot); bot || d.assignee(t, withBot) != d.bob.ID {
		t.Fatalf("after taking from the bot: bot %v, assignee %q", bot, d.assignee(t, withBot))
	}
	if err := d.svc.Take(d.ctx, d.cm, d.ann.ID, first); err != nil {
		t.Fatalf("holder takes again: %v", err)
	}
	wantCode(t, d.svc.Take(d.ctx, d.cm, d.bob.ID, first), openboards.CodeConflict, "Ann has taken")
	third := d.open(t, false)
	wantCode(t, d.svc.Take(d.ctx, d.cm, d.ro.ID, third), openboards.CodeInvalid, "user")
	if _, err := d.svc.Close(d.ctx, d.cm, third); err != nil {
		t.Fatal(err)
	}
	wantCode(t, d.svc.Take(d.ctx, d.cm, d.bob.ID, third), openboards.CodeConflict, "closed")

	// Closing one frees Ann's capacity for the next in line.
	fourth := d.open(t, false)
	if _, err := d.svc.Close(d.ctx, d.cm, first); err != nil {
		t.Fatal(err)
	}
	if got, err := d.svc.TakeNext(d.ctx, d.cm, d.ann.ID); err != nil || got != fourth {
		t.Fatalf("after closing: %d, %v; want %d", got, err, fourth)
	}
}

// Teammates taking at the same moment never share a conversation, and
// nobody waits once they are done.
func TestTakeNextConcurrently(t *testing.T) {
	d := newDesk(t)
	var ids []int64
	for range 12 {
		ids = append(ids, d.open(t, false))
	}
	for _, u := range []*openboards.User{d.ann, d.bob} {
		if err := d.svc.SetPresence(d.ctx, d.cm, u.ID, openboards.PresenceOnline, openboards.MaxChatCapacity); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var taken []int64
	var wg sync.WaitGroup
	for i := range 4 {
		user := []*openboards.User{d.ann, d.bob}[i%2]
		wg.Go(func() {
			for {
				id, err := d.svc.TakeNext(d.ctx, d.cm, user.ID)
				if openboards.ErrorCode(err) == openboards.CodeNotFound {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				taken = append(taken, id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(taken)
	if !slices.Equal(taken, ids) {
		t.Fatalf("taken %v, want each of %v once", taken, ids)
	}
	dk, err := d.svc.Desk(d.ctx, d.cm)
	if err != nil {
		t.Fatal(err)
	}
	if dk.Queued != 0 || len(dk.Queue) != 0 || dk.Load(d.ann.ID).Holding+dk.Load(d.bob.ID).Holding != len(ids) {
		t.Fatalf("desk after: queued %d, ann %d, bob %d", dk.Queued, dk.Load(d.ann.ID).Holding, dk.Load(d.bob.ID).Holding)
	}
}

func TestPresence(t *testing.T) {
	d := newDesk(t)
	p, err := d.svc.Presence(d.ctx, d.cm, d.ann.ID)
	if err != nil || p.Status != openboards.PresenceAway || p.Capacity != openboards.DefaultChatCapacity {
		t.Fatalf("default presence %+v, %v", p, err)
	}
	wantCode(t, d.svc.SetPresence(d.ctx, d.cm, d.ann.ID, "busy", 2), openboards.CodeInvalid, "status")
	wantCode(t, d.svc.SetPresence(d.ctx, d.cm, d.ann.ID, openboards.PresenceOnline, 0), openboards.CodeInvalid, "capacity")
	wantCode(t, d.svc.SetPresence(d.ctx, d.cm, d.ann.ID, openboards.PresenceOnline, openboards.MaxChatCapacity+1), openboards.CodeInvalid, "capacity")
	wantCode(t, d.svc.SetPresence(d.ctx, d.cm, d.ro.ID, openboards.PresenceOnline, 2), openboards.CodeInvalid, "user")
	if _, err := d.store.FindPresence(d.ctx, d.cm.ID, d.ann.ID); openboards.ErrorCode(err) != openboards.CodeNotFound {
		t.Fatalf("a refused presence was stored: %v", err)
	}

	if err := d.svc.SetPresence(d.ctx, d.cm, d.ann.ID, openboards.PresenceOnline, 3); err != nil {
		t.Fatal(err)
	}
	label := func() string {
		dk, err := d.svc.Desk(d.ctx, d.cm)
		if err != nil {
			t.Fatal(err)
		}
		return chat.StatusLabel(dk.Load(d.ann.ID), dk.At)
	}
	if l := label(); l != "online" {
		t.Fatalf("after going online: %q", l)
	}
	// Inactive for the timeout: away, until a sign of activity.
	d.advance(openboards.PresenceTimeout)
	if l := label(); !strings.HasPrefix(l, "away (inactive since 09:00") {
		t.Fatalf("after %v idle: %q", openboards.PresenceTimeout, l)
	}
	if err := d.svc.Seen(d.ctx, d.cm, d.ann.ID); err != nil {
		t.Fatal(err)
	}
	if l := label(); l != "online" {
		t.Fatalf("after activity: %q", l)
	}
	// Activity does not bring back one who chose to be away.
	if err := d.svc.SetPresence(d.ctx, d.cm, d.ann.ID, openboards.PresenceAway, 3); err != nil {
		t.Fatal(err)
	}
	d.advance(time.Hour)
	if err := d.svc.Seen(d.ctx, d.cm, d.ann.ID); err != nil {
		t.Fatal(err)
	}
	if l := label(); l != "away" {
		t.Fatalf("away after activity: %q", l)
	}
	if err := d.svc.Seen(d.ctx, d.cm, d.bob.ID); err != nil {
		t.Fatalf("seen without a presence: %v", err)
	}
	if _, err := d.store.FindPresence(d.ctx, d.cm.ID, d.bob.ID); openboards.ErrorCode(err) != openboards.CodeNotFound {
		t.Fatalf("activity stored a presence: %v", err)
	}
}

// The desk lists the queue in order with the teammates' loads.
func TestDesk(t *testing.T) {
	d := newDesk(t)
	var ids []int64
	for range 3 {
		ids = append(ids, d.open(t, false))
	}
	d.open(t, true)
	if err := d.svc.SetPresence(d.ctx, d.cm, d.bob.ID, openboards.PresenceOnline, 2); err != nil {
		t.Fatal(err)
	}
	if err := d.svc.Take(d.ctx, d.cm, d.bob.ID, ids[1]); err != nil {
		t.Fatal(err)
	}
	dk, err := d.svc.Desk(d.ctx, d.cm)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range dk.Queue {
		got = append(got, fmt.Sprintf("%d@%d", w.Ticket.ID, w.Position))
	}
	want := []string{fmt.Sprintf("%d@1", ids[0]), fmt.Sprintf("%d@2", ids[2])}
	if !slices.Equal(got, want) || dk.Queued != 2 {
		t.Fatalf("queue %v (%d), want %v", got, dk.Queued, want)
	}
	if l := dk.Load(d.bob.ID); l.Holding != 1 || l.Free() != 1 || !l.Online(dk.At) {
		t.Fatalf("bob's load %+v", l)
	}
	if dk.Stats.Slots != 2 || dk.Stats.Free != 1 {
		t.Fatalf("stats %+v", dk.Stats)
	}
}

// assignees lists who holds each conversation, "" for nobody.
func (d *desk) assignees(t *testing.T, ids ...int64) []string {
	t.Helper()
	names := map[string]string{"": "-", d.ann.ID: "ann", d.bob.ID: "bob"}
	var out []string
	for _, id := range ids {
		out = append(out, names[d.assignee(t, id)])
	}
	return out
}

func TestAutoAssign(t *testing.T) {
	d := newDesk(t)
	ids := []int64{d.open(t, false), d.open(t, false), d.open(t, false), d.open(t, false)}
	bot := d.open(t, true)
	online := func(u *openboards.User, capacity int) {
		t.Helper()
		if err := d.svc.SetPresence(d.ctx, d.cm, u.ID, openboards.PresenceOnline, capacity); err != nil {
			t.Fatal(err)
		}
	}
	online(d.ann, 2)
	online(d.bob, 1)
	// Off by default: nothing is assigned.
	if n, err := d.svc.AutoAssign(d.ctx, d.cm); err != nil || n != 0 {
		t.Fatalf("assigned %d (%v) with the setting off", n, err)
	}
	if err := d.svc.SetAutoAssign(d.ctx, d.cm, true); err != nil {
		t.Fatal(err)
	}
	// Most room first (Ann), then the one assigned longest ago (Bob, never),
	// then Ann again; the fourth waits, and the bot keeps its own.
	if n, err := d.svc.AutoAssign(d.ctx, d.cm); err != nil || n != 3 {
		t.Fatalf("assigned %d (%v), want 3", n, err)
	}
	if got := d.assignees(t, append(ids, bot)...); !slices.Equal(got, []string{"ann", "bob", "ann", "-", "-"}) {
		t.Fatalf("assignees %v", got)
	}
	if q, _ := d.svc.Queue(d.ctx, d.cm, ids[3]); q.Position != 1 {
		t.Fatalf("the fourth is at %d", q.Position)
	}
	// Room again when Bob closes his: the fourth goes to him.
	if _, err := d.svc.Close(d.ctx, d.cm, ids[1]); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.svc.AutoAssign(d.ctx, d.cm); n != 1 || d.assignees(t, ids[3])[0] != "bob" {
		t.Fatalf("after Bob's close: assigned %d to %v", n, d.assignees(t, ids[3]))
	}
	// Nobody away or inactive receives one.
	next := d.open(t, false)
	if _, err := d.svc.Close(d.ctx, d.cm, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := d.svc.SetPresence(d.ctx, d.cm, d.ann.ID, openboards.PresenceAway, 2); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.svc.AutoAssign(d.ctx, d.cm); n != 0 {
		t.Fatalf("assigned %d to teammates away", n)
	}
	online(d.ann, 2)
	d.advance(openboards.PresenceTimeout)
	if n, _ := d.svc.AutoAssign(d.ctx, d.cm); n != 0 {
		t.Fatalf("assigned %d to inactive teammates", n)
	}
	if err := d.svc.Seen(d.ctx, d.cm, d.ann.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.svc.AutoAssign(d.ctx, d.cm); n != 1 || d.assignees(t, next)[0] != "ann" {
		t.Fatalf("after Ann's return: assigned %d to %v", n, d.assignees(t, next))
	}
	// Turned off, it assigns nothing more.
	if err := d.svc.SetAutoAssign(d.ctx, d.cm, false); err != nil {
		t.Fatal(err)
	}
	last := d.open(t, false)
	if n, _ := d.svc.AutoAssign(d.ctx, d.cm); n != 0 || d.assignee(t, last) != "" {
		t.Fatalf("assigned %d with the setting off again", n)
	}
}

// publisher passes the live events of committed changes to a chat
// service, as the server does.
type publisher struct{ svc *chat.Service }

func (p *publisher) Publish(events ...live.Event) { p.svc.Observe(events...) }

// RunRouting assigns as conversations arrive.
func TestRunRouting(t *testing.T) {
	d := newDesk(t)
	pub := &publisher{}
	d.svc = chat.NewService(d.store, ticket.NewService(d.store, ticket.NoEvents, pub, d.Now), d.Now)
	pub.svc = d.svc
	if err := d.svc.SetAutoAssign(d.ctx, d.cm, true); err != nil {
		t.Fatal(err)
	}
	if err := d.svc.SetPresence(d.ctx, d.cm, d.bob.ID, openboards.PresenceOnline, 3); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(d.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.svc.RunRouting(ctx, slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() {
		stop()
		<-done
	})
	id := d.open(t, false)
	for deadline := time.Now().Add(10 * time.Second); d.assignee(t, id) != d.bob.ID; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the new conversation was not assigned to Bob")
		}
	}
}

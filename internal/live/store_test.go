package live_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"openboards/internal/community"
	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/sqlite"
	"openboards/internal/ticket"
)

// recorder collects what a PublishingStore publishes.
type recorder struct {
	mu    sync.Mutex
	calls [][]live.Event
}

func (r *recorder) Publish(es ...live.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, slices.Clone(es))
}

// take returns what was published since the last take, each event as
// "<type> <community>:<ticket>".
func (r *recorder) take() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var got [][]string
	for _, es := range r.calls {
		var call []string
		for _, e := range es {
			call = append(call, fmt.Sprintf("%s %d:%d", e.Type, e.CommunityID, e.TicketID))
		}
		got = append(got, call)
	}
	r.calls = nil
	return got
}

// ev formats an event as take does.
func ev(typ live.Type, community, ticket int64) string {
	return fmt.Sprintf("%s %d:%d", typ, community, ticket)
}

// newCommunity creates a community through the community service.
func newCommunity(t *testing.T, store openboards.Store, name string) *openboards.Community {
	t.Helper()
	ctx := context.Background()
	svc, err := community.NewService(ctx, store, time.Now, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.Create(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return c.Community
}

func newTicket(t *testing.T, svc *ticket.Service, cm *openboards.Community, title string) int64 {
	t.Helper()
	email := "customer@example.com"
	id, err := svc.CreateTicket(context.Background(), cm, ticket.CreateTicketInput{
		Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI,
		Title: title, Message: "Hello", Creator: &ticket.CreatorInput{Email: &email},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var errTest = errors.New("test: roll back")

func TestPublishingStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "live.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	rec := &recorder{}
	store := live.PublishingStore(raw, rec)
	cm := newCommunity(t, store, "Acme")
	if got := rec.take(); got != nil {
		t.Fatalf("creating a community published %v", got)
	}
	svc := ticket.NewService(store, ticket.NoEvents, live.Discard, time.Now)

	// A new ticket: created and logged, published once.
	id := newTicket(t, svc, cm, "First")
	want := [][]string{{ev(live.TicketCreated, cm.ID, id)}}
	if got := rec.take(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("after creating a ticket: published %v, want %v", got, want)
	}
	want = [][]string{{ev(live.TicketChanged, cm.ID, id)}}

	// A reply, which logs the reply and the status change.
	if _, err := svc.CreateReply(ctx, cm, id, ticket.CreateReplyInput{Author: openboards.UserRef{ID: cm.APIUserID}, Message: "Hi"}); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("after a reply: published %v, want %v", got, want)
	}

	// A transaction that fails publishes nothing, though it wrote a log
	// entry before failing.
	err = store.InTx(ctx, func(tx openboards.Tx) error {
		if err := tx.CreateLogEntry(ctx, &openboards.LogEntry{TicketID: id, CommunityID: cm.ID, UserID: cm.APIUserID,
			ActionType: openboards.ActionTicketRead, ActionString: "read the ticket", CreatedAt: time.Now()}); err != nil {
			return err
		}
		return errTest
	})
	if !errors.Is(err, errTest) {
		t.Fatalf("InTx = %v", err)
	}
	if got := rec.take(); got != nil {
		t.Fatalf("a rolled-back transaction published %v", got)
	}
	// So does a change the service refuses.
	if err := svc.UpdateTicketStatus(ctx, cm, id, "no such status"); err == nil {
		t.Fatal("a bad status was accepted")
	}
	if got := rec.take(); got != nil {
		t.Fatalf("a refused change published %v", got)
	}

	// Two tickets in one transaction, one of them twice.
	second := newTicket(t, svc, cm, "Second")
	rec.take()
	err = store.InTx(ctx, func(tx openboards.Tx) error {
		for _, tid := range []int64{second, id, second} {
			if err := tx.CreateLogEntry(ctx, &openboards.LogEntry{TicketID: tid, CommunityID: cm.ID, UserID: cm.APIUserID,
				ActionType: openboards.ActionTicketRead, ActionString: "read the ticket", CreatedAt: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want = [][]string{{ev(live.TicketChanged, cm.ID, second), ev(live.TicketChanged, cm.ID, id)}}
	if got := rec.take(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("after two tickets' changes: published %v, want %v", got, want)
	}
}

// retryingStore runs every transaction twice: the first run rolls back,
// as a serialization failure would make it, and the second commits.
type retryingStore struct {
	openboards.Store
}

func (s retryingStore) InTx(ctx context.Context, fn func(openboards.Tx) error) error {
	err := s.Store.InTx(ctx, func(tx openboards.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errTest
	})
	if !errors.Is(err, errTest) {
		return err
	}
	return s.Store.InTx(ctx, fn)
}

// TestPublishingStoreRetry checks that only what the committed run of a
// retried transaction changed is published.
func TestPublishingStoreRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "live.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	cm := newCommunity(t, raw, "Acme")
	svc := ticket.NewService(raw, ticket.NoEvents, live.Discard, time.Now)
	first, second := newTicket(t, svc, cm, "First"), newTicket(t, svc, cm, "Second")

	rec := &recorder{}
	store := live.PublishingStore(retryingStore{raw}, rec)
	run := 0
	err = store.InTx(ctx, func(tx openboards.Tx) error {
		run++
		tid := first
		if run == 2 {
			tid = second
		}
		return tx.CreateLogEntry(ctx, &openboards.LogEntry{TicketID: tid, CommunityID: cm.ID, UserID: cm.APIUserID,
			ActionType: openboards.ActionTicketRead, ActionString: "read the ticket", CreatedAt: time.Now()})
	})
	if err != nil || run != 2 {
		t.Fatalf("InTx = %v after %d runs", err, run)
	}
	want := [][]string{{ev(live.TicketChanged, cm.ID, second)}}
	if got := rec.take(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("published %v, want %v", got, want)
	}
}

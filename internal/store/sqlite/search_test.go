package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"openboards/internal/openboards"
)

// TestSearchIndexGroupCommit creates tickets from many goroutines at once,
// so that they share group commits, with every third write failing after
// its ticket was inserted. Afterwards the index finds exactly the
// committed tickets, passes FTS5's own integrity check and has nothing
// left waiting; a ticket written around the store (as a copy does) is
// indexed when the store next opens.
func TestSearchIndexGroupCommit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	cm := &openboards.Community{Name: "Batched", ClientID: openboards.NewID(), APIUserID: openboards.NewID(), CreatedAt: now}
	author := &openboards.User{ID: openboards.NewID(), Name: "Ada", Status: openboards.StatusClient, CreatedAt: now}
	if err := b.store.InTx(ctx, func(tx openboards.Tx) error {
		if err := tx.CreateCommunity(ctx, cm); err != nil {
			return err
		}
		author.CommunityID = cm.ID
		return tx.CreateUser(ctx, author)
	}); err != nil {
		t.Fatal(err)
	}
	newTicket := func(title string) *openboards.Ticket {
		return &openboards.Ticket{CommunityID: cm.ID, AuthorID: author.ID, Title: title, Message: "common words", HTMLMessage: "<p>common words</p>",
			Status: openboards.TicketOpen, Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI,
			CreatedAt: now, LastActivityAt: now, UpdatedAt: now}
	}
	failed := errors.New("fails after its insert")
	const n = 300
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = b.store.InTx(ctx, func(tx openboards.Tx) error {
				if err := tx.CreateTicket(ctx, newTicket(fmt.Sprintf("word%d", i))); err != nil {
					return err
				}
				if i%3 == 0 {
					return failed
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i%3 == 0 && !errors.Is(err, failed) || i%3 != 0 && err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	found := func(word string) int {
		t.Helper()
		ts, err := b.store.FindTickets(ctx, openboards.TicketFilter{CommunityID: cm.ID, Text: word, Take: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(ts)
	}
	for i := range n {
		want := 1
		if i%3 == 0 {
			want = 0
		}
		if got := found(fmt.Sprintf("word%d", i)); got != want {
			t.Errorf("word%d: found %d tickets, want %d", i, got, want)
		}
	}
	checkIndex := func() {
		t.Helper()
		if _, err := b.store.wdb.ExecContext(ctx, `INSERT INTO tickets_fts (tickets_fts) VALUES ('integrity-check')`); err != nil {
			t.Errorf("FTS5 integrity check: %v", err)
		}
		var waiting int
		if err := b.store.wdb.QueryRowContext(ctx, `SELECT count(*) FROM tickets_fts_pending`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting != 0 {
			t.Errorf("%d tickets still wait for the index", waiting)
		}
	}
	checkIndex()

	// A row inserted around the store waits until the store opens again.
	if _, err := b.store.wdb.ExecContext(ctx, `INSERT INTO tickets (community_id, title, message, html_message, author_id, status, source, detailed_source, created_at, last_activity_at, updated_at)
		SELECT community_id, 'outsider', message, html_message, author_id, status, source, detailed_source, created_at, last_activity_at, updated_at FROM tickets LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if got := found("outsider"); got != 0 {
		t.Fatalf("outsider found %d times before the store reopened", got)
	}
	if err := b.store.Close(); err != nil {
		t.Fatal(err)
	}
	b.store = openStore(t, b.path, Options{})
	if got := found("outsider"); got != 1 {
		t.Errorf("outsider found %d times after the store reopened, want 1", got)
	}
	checkIndex()
}

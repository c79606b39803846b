package chat_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"openboards/internal/chat"
	"openboards/internal/community"
	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/sqlite"
	"openboards/internal/ticket"
)

// BenchmarkQueuePosition measures GET .../queue's work (the position and
// the wait estimate) for the conversation at the back of queues of 100 and
// 10,000 on SQLite, and reports the p99 of the calls: the cost must not
// grow with the queue.
func BenchmarkQueuePosition(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("queued=%d", n), func(b *testing.B) { benchmarkQueue(b, n) })
	}
}

func benchmarkQueue(b *testing.B, queued int) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "openboards.db"), sqlite.Options{ReadConns: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	communities, err := community.NewService(ctx, store, time.Now, "openboards.test", nil)
	if err != nil {
		b.Fatal(err)
	}
	created, err := communities.Create(ctx, "acme")
	if err != nil {
		b.Fatal(err)
	}
	cm := created.Community
	tickets := ticket.NewService(store, ticket.NoEvents, live.Discard, time.Now)
	svc := chat.NewService(store, tickets, time.Now)
	var last int64
	// Fill the queue in batches of 100 conversations per transaction.
	for i := 0; i < queued; i += 100 {
		err := tickets.InTx(ctx, cm, func(w *ticket.Writer) error {
			for j := range 100 {
				u := &openboards.User{ID: openboards.NewID(), CommunityID: cm.ID, Name: fmt.Sprintf("Client %d", i+j), Status: openboards.StatusClient, CreatedAt: w.Now()}
				if err := w.Tx().CreateUser(ctx, u); err != nil {
					return err
				}
				t, _, err := w.CreateConversation(ctx, ticket.NewConversation{Ticket: ticket.NewTicket{Title: "Chat", Author: u,
					DetailedSource: openboards.DetailedSourceChatAPI}})
				if err != nil {
					return err
				}
				last = t.ID
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	q, err := svc.Queue(ctx, cm, last)
	if err != nil || q.Position != queued {
		b.Fatalf("last conversation at %d (%v), want %d", q.Position, err, queued)
	}
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := svc.Queue(ctx, cm, last); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durations)
	if len(durations) > 0 {
		b.ReportMetric(float64(durations[len(durations)*99/100].Microseconds())/1000, "p99-ms")
	}
}

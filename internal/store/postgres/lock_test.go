package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	"openboards/internal/openboards"
	"openboards/internal/store/postgres/pgtest"
)

// TestLockTicketWaitsForCommit: while one transaction holds a ticket's lock,
// a second transaction's LockTicket on that ticket waits; it returns only
// after the first has committed, and then reads what the first wrote.
//
// The first transaction keeps the lock until the database shows the second
// blocked behind it (pg_blocking_pids), so the order is observed, not
// assumed from timing. A LockTicket that does not lock lets the second
// return while the first still holds the lock, which the test reports.
func TestLockTicketWaitsForCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t, pgtest.NewSchema(t), Options{MaxConns: 4})
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	cm := &openboards.Community{Name: "Locks", ClientID: openboards.NewID(), APIUserID: openboards.NewID(), CreatedAt: now}
	author := &openboards.User{ID: openboards.NewID(), Name: "Ada", Status: openboards.StatusClient, CreatedAt: now}
	tk := &openboards.Ticket{Title: "Locked", Message: "m", HTMLMessage: "<p>m</p>", Status: openboards.TicketOpen,
		Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI, CreatedAt: now, LastActivityAt: now, UpdatedAt: now}
	err := s.InTx(ctx, func(tx openboards.Tx) error {
		if err := tx.CreateCommunity(ctx, cm); err != nil {
			return err
		}
		author.CommunityID, tk.CommunityID, tk.AuthorID = cm.ID, cm.ID, author.ID
		if err := tx.CreateUser(ctx, author); err != nil {
			return err
		}
		return tx.CreateTicket(ctx, tk)
	})
	if err != nil {
		t.Fatal(err)
	}

	// The first transaction names its connection, so that the test can ask
	// the database which backends wait for it.
	holder := fmt.Sprintf("openboards-lock-holder-%d-%d", os.Getpid(), tk.ID)
	locked := make(chan struct{})     // the first holds the lock and has written
	committing := make(chan struct{}) // the first is about to commit
	type result struct {
		early  bool // LockTicket returned before the first was committing
		status openboards.TicketStatus
		err    error
	}
	second := make(chan result, 1)
	go func() {
		<-locked
		var r result
		r.err = s.InTx(ctx, func(tx openboards.Tx) error {
			if err := tx.LockTicket(ctx, cm.ID, tk.ID); err != nil {
				return err
			}
			select {
			case <-committing:
			default:
				r.early = true
			}
			got, err := tx.FindTicketByID(ctx, cm.ID, tk.ID)
			if err != nil {
				return err
			}
			r.status = got.Status
			return nil
		})
		second <- r
	}()

	var early *result // set when the second finished while the first held the lock
	err = s.InTx(ctx, func(tx openboards.Tx) error {
		if err := tx.LockTicket(ctx, cm.ID, tk.ID); err != nil {
			return err
		}
		_, err := tx.(interface {
			Exec(context.Context, string, ...any) (sql.Result, error)
		}).Exec(ctx, `SELECT set_config('application_name', ?, true)`, holder)
		if err != nil {
			return err
		}
		completed := openboards.TicketCompleted
		if err := tx.UpdateTicket(ctx, cm.ID, tk.ID, openboards.TicketUpdate{Status: &completed, UpdatedAt: now.Add(time.Minute)}); err != nil {
			return err
		}
		close(locked)
		for {
			select {
			case r := <-second:
				early = &r
				return nil
			default:
			}
			var waiting int
			err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity w, pg_stat_activity h
				WHERE h.application_name = $1 AND h.pid = ANY (pg_blocking_pids(w.pid))`, holder).Scan(&waiting)
			if err != nil {
				return err
			}
			if waiting > 0 {
				break
			}
		}
		close(committing)
		return nil
	})
	if err != nil {
		t.Fatalf("first transaction: %v", err)
	}
	if early != nil {
		t.Fatalf("the second LockTicket returned while the first transaction held the lock (second: %+v)", *early)
	}
	r := <-second
	if r.err != nil {
		t.Fatalf("second transaction: %v", r.err)
	}
	if r.early {
		t.Fatalf("the second LockTicket returned before the first transaction was committing")
	}
	if r.status != openboards.TicketCompleted {
		t.Fatalf("after the lock the second read status %q, want the first's %q", r.status, openboards.TicketCompleted)
	}
}

package postgres

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"openboards/internal/community"
	"openboards/internal/live"
	"openboards/internal/ticket"

	"openboards/internal/openboards"
	"openboards/internal/store/postgres/pgtest"
	"openboards/internal/store/storetest"
)

func TestStore(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	storetest.Run(t, func(t *testing.T) openboards.Store {
		return openStore(t, pgtest.NewSchema(t), Options{MaxConns: 4})
	})
}

func openStore(t *testing.T, dsn string, opt Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewSchema(t)
	openStore(t, dsn, Options{MaxConns: 2})
	if err := Migrate(context.Background(), dsn); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	s := openStore(t, dsn, Options{MaxConns: 2})
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	files, err := migrationFS.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	if n != len(files) {
		t.Fatalf("schema_migrations has %d rows, want one per migration (%d)", n, len(files))
	}
}

// TestCategoryMovesCannotFormACycle moves two categories under each other
// at the same moment from two stores (two nodes): at most one move may win.
func TestCategoryMovesCannotFormACycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.NewSchema(t)
	a, b := openStore(t, dsn, Options{MaxConns: 4}), openStore(t, dsn, Options{MaxConns: 4})
	cs, err := community.NewService(ctx, a, time.Now, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cs.Create(ctx, "Tree")
	if err != nil {
		t.Fatal(err)
	}
	cm := c.Community
	na, nb := ticket.NewService(a, ticket.NoEvents, live.Discard, time.Now), ticket.NewService(b, ticket.NoEvents, live.Discard, time.Now)
	name := func(s string) *string { return &s }
	for i := 0; i < 30; i++ {
		x, err := na.CreateCategory(ctx, cm, ticket.CategoryInput{Name: name("x")})
		if err != nil {
			t.Fatal(err)
		}
		y, err := na.CreateCategory(ctx, cm, ticket.CategoryInput{Name: name("y")})
		if err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		errs := make(chan error, 2)
		move := func(s *ticket.Service, child, parent int64) {
			<-start
			p := &parent
			_, err := s.UpdateCategory(ctx, cm, child, ticket.CategoryInput{ParentID: &p})
			errs <- err
		}
		go move(na, x.ID, y.ID)
		go move(nb, y.ID, x.ID)
		close(start)
		won := 0
		for range 2 {
			if err := <-errs; err == nil {
				won++
			} else if openboards.ErrorCode(err) != openboards.CodeInvalid {
				t.Fatalf("move: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d of two crossing moves succeeded, want exactly 1", i, won)
		}
	}
}

// TestConflictAfterDeadlockIsRetried: a unique violation that follows a
// run ended by a deadlock is the first conflict, not a repeated one, so the
// transaction runs again (two creators of one new customer can deadlock on
// their other rows, then race on the customer's e-mail).
func TestConflictAfterDeadlockIsRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t, pgtest.NewSchema(t), Options{MaxConns: 2})
	codes := []string{"40P01", "23505"} // deadlock, then unique violation
	runs := 0
	err := s.InTx(ctx, func(tx openboards.Tx) error {
		runs++
		if runs > len(codes) {
			return nil
		}
		_, err := tx.(interface {
			Exec(context.Context, string, ...any) (sql.Result, error)
		}).Exec(ctx, `DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '`+codes[runs-1]+`'; END $$`)
		return err
	})
	if err != nil || runs != 3 {
		t.Fatalf("InTx: %v after %d runs, want success on the third", err, runs)
	}
	// Two unique violations in a row are a real conflict.
	runs = 0
	err = s.InTx(ctx, func(tx openboards.Tx) error {
		runs++
		_, err := tx.(interface {
			Exec(context.Context, string, ...any) (sql.Result, error)
		}).Exec(ctx, `DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '23505'; END $$`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "23505") || runs != 2 {
		t.Fatalf("repeated unique violation: %v after %d runs, want it returned after 2", err, runs)
	}
}

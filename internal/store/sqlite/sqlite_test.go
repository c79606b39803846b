package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"openboards/internal/openboards"
	"openboards/internal/store/storetest"
)

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) openboards.Store {
		return openStore(t, filepath.Join(t.TempDir(), "openboards.db"), Options{})
	})
}

// openStore opens the database at path and closes it when t ends.
func openStore(t *testing.T, path string, opt Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, opt)
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

// bundle is the state of one test: a store on a file of its own.
type bundle struct {
	path  string
	store *Store
}

func setup(t *testing.T) *bundle {
	t.Helper()
	path := filepath.Join(t.TempDir(), "openboards.db")
	return &bundle{path: path, store: openStore(t, path, Options{})}
}

// embeddedVersions lists the versions of the migrations built into the
// program, in order.
func embeddedVersions(t *testing.T) []int64 {
	t.Helper()
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, name := range names {
		v, err := strconv.ParseInt(strings.SplitN(filepath.Base(name), "_", 2)[0], 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", name, err)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	if len(out) == 0 {
		t.Fatal("no migrations are embedded")
	}
	return out
}

type migration struct {
	version   int64
	appliedAt int64
}

// migrations reads schema_migrations of the database at path, bypassing
// the store.
func migrations(t *testing.T, path string) []migration {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT version, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []migration
	for rows.Next() {
		var m migration
		if err := rows.Scan(&m.version, &m.appliedAt); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func versionsOf(ms []migration) []int64 {
	var out []int64
	for _, m := range ms {
		out = append(out, m.version)
	}
	return out
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if err := b.store.Close(); err != nil {
			t.Fatal(err)
		}
		first := migrations(t, b.path)
		if got, want := versionsOf(first), embeddedVersions(t); !slices.Equal(got, want) {
			t.Fatalf("recorded versions %v, want %v", got, want)
		}
		for _, m := range first {
			if m.appliedAt <= 0 {
				t.Fatalf("version %d has applied_at %d", m.version, m.appliedAt)
			}
		}
		// Re-opening, with or without Migrate, applies nothing.
		for _, opt := range []Options{{}, {Migrate: true}} {
			s, err := Open(context.Background(), b.path, opt)
			if err != nil {
				t.Fatalf("re-open with %+v: %v", opt, err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if got := migrations(t, b.path); !slices.Equal(got, first) {
				t.Fatalf("re-open with %+v changed schema_migrations from %v to %v", opt, first, got)
			}
		}
		// Migrate on an up-to-date database is a no-op too.
		if err := Migrate(context.Background(), b.path); err != nil {
			t.Fatal(err)
		}
		if got := migrations(t, b.path); !slices.Equal(got, first) {
			t.Fatalf("Migrate changed schema_migrations from %v to %v", first, got)
		}
	})
	t.Run("ErrSchemaOutdated", func(t *testing.T) {
		t.Parallel()
		// A database at an older schema: it records a migration (version 0,
		// older than every embedded one) and lacks the rest. Deleting the
		// last row of a migrated database would not do while a single
		// migration exists: with no row left the file counts as new and
		// Open re-applies 0001 on top of its tables.
		path := filepath.Join(t.TempDir(), "old.db")
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
			`INSERT INTO schema_migrations (version, applied_at) VALUES (0, 1)`,
		} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		s, err := Open(context.Background(), path, Options{})
		if !errors.Is(err, ErrSchemaOutdated) {
			if err == nil {
				s.Close()
			}
			t.Fatalf("Open of an old schema: got %v, want ErrSchemaOutdated", err)
		}
		if got := versionsOf(migrations(t, path)); !slices.Equal(got, []int64{0}) {
			t.Fatalf("a refused Open recorded versions %v", got)
		}

		s = openStore(t, path, Options{Migrate: true})
		if got, want := versionsOf(migrations(t, path)), append([]int64{0}, embeddedVersions(t)...); !slices.Equal(got, want) {
			t.Fatalf("after migrating: versions %v, want %v", got, want)
		}
		err = s.InTx(context.Background(), func(tx openboards.Tx) error {
			return tx.CreateCommunity(context.Background(), &openboards.Community{Name: "After", ClientID: openboards.NewID(), APIUserID: openboards.NewID(), CreatedAt: time.Now()})
		})
		if err != nil {
			t.Fatalf("write after migrating: %v", err)
		}
	})
}

func TestReopen(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	now := time.Date(2024, 1, 2, 3, 4, 5, 600700800, time.UTC)
	cm := &openboards.Community{Name: "Durable", ClientID: openboards.NewID(), APIUserID: openboards.NewID(), CreatedAt: now}
	email := "ada@example.com"
	author := &openboards.User{ID: openboards.NewID(), Name: "Ada", Email: &email, Status: openboards.StatusClient, CreatedAt: now}
	tk := &openboards.Ticket{Title: "Kept", Message: "m", HTMLMessage: "<p>m</p>", Status: openboards.TicketOpen,
		Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI, CreatedAt: now, LastActivityAt: now, UpdatedAt: now}
	err := b.store.InTx(ctx, func(tx openboards.Tx) error {
		if err := tx.CreateCommunity(ctx, cm); err != nil {
			return err
		}
		author.CommunityID, tk.CommunityID, tk.AuthorID = cm.ID, cm.ID, author.ID
		if err := tx.CreateUser(ctx, author); err != nil {
			return err
		}
		if err := tx.PutSetting(ctx, "key", []byte("value")); err != nil {
			return err
		}
		return tx.CreateTicket(ctx, tk)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.store.Close(); err != nil {
		t.Fatal(err)
	}

	s := openStore(t, b.path, Options{})
	got, err := s.FindCommunityByName(ctx, "durable")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != cm.ID || !got.CreatedAt.Equal(now) {
		t.Fatalf("community after re-open: %+v, want %+v", got, cm)
	}
	if v, err := s.Setting(ctx, "key"); err != nil || string(v) != "value" {
		t.Fatalf("setting after re-open: %q, %v", v, err)
	}
	gt, err := s.FindTicketByID(ctx, cm.ID, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gt.Title != "Kept" || gt.Author == nil || gt.Author.ID != author.ID || !gt.CreatedAt.Equal(now) {
		t.Fatalf("ticket after re-open: %+v", gt)
	}
}

func TestInTx(t *testing.T) {
	t.Parallel()
	t.Run("Panic", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		err := b.store.InTx(ctx, func(tx openboards.Tx) error {
			if err := tx.PutSetting(ctx, "before-panic", []byte("x")); err != nil {
				return err
			}
			panic("something broke")
		})
		if err == nil || openboards.ErrorCode(err) != openboards.CodeInternal || !strings.Contains(err.Error(), "something broke") {
			t.Fatalf("InTx with a panicking fn returned %v, want an internal error naming the panic", err)
		}
		if _, err := b.store.Setting(ctx, "before-panic"); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Fatalf("the write before the panic was kept: %v", err)
		}
		// The store keeps working.
		if err := b.store.InTx(ctx, func(tx openboards.Tx) error { return tx.PutSetting(ctx, "after", []byte("y")) }); err != nil {
			t.Fatalf("write after a panic: %v", err)
		}
		if v, err := b.store.Setting(ctx, "after"); err != nil || string(v) != "y" {
			t.Fatalf("setting after a panic: %q, %v", v, err)
		}
	})
	t.Run("PanicAmongConcurrentWrites", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		const n = 20
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = b.store.InTx(ctx, func(tx openboards.Tx) error {
					if err := tx.PutSetting(ctx, fmt.Sprint("k", i), []byte{1}); err != nil {
						return err
					}
					if i == n/2 {
						panic("one bad write")
					}
					return nil
				})
			})
		}
		close(start)
		wg.Wait()
		for i := range n {
			_, err := b.store.Setting(ctx, fmt.Sprint("k", i))
			if i == n/2 {
				if errs[i] == nil || openboards.ErrorCode(err) != openboards.CodeNotFound {
					t.Errorf("panicking write: InTx returned %v, setting lookup %v", errs[i], err)
				}
				continue
			}
			if errs[i] != nil || err != nil {
				t.Errorf("write %d beside a panic: InTx returned %v, setting lookup %v", i, errs[i], err)
			}
		}
	})
	t.Run("CanceledContext", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		called := false
		err := b.store.InTx(ctx, func(tx openboards.Tx) error {
			called = true
			return tx.PutSetting(ctx, "k", []byte("v"))
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("InTx with a canceled context returned %v, want context.Canceled", err)
		}
		if called {
			t.Fatal("fn ran with a canceled context")
		}
		if _, err := b.store.Setting(context.Background(), "k"); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Fatalf("setting written with a canceled context: %v", err)
		}
	})
}

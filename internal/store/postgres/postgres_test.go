package postgres

import (
	"context"
	"testing"

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
	if n != 1 {
		t.Fatalf("schema_migrations has %d rows, want 1", n)
	}
}

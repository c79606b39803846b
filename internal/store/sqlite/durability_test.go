package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"openboards/internal/openboards"
	"openboards/internal/store/sqlstore"
)

// TestCommitsAreSynchronousWAL: the connection that commits runs in WAL
// mode with synchronous=FULL, so every commit fsyncs the log before the
// write is acknowledged (NORMAL would leave the last commits to the next
// checkpoint, OFF to the operating system). The checkpointer's connection,
// which writes the database file and lets the log restart, syncs as fully.
// The pragmas are read inside a write transaction, on the writer
// connection itself, so a change to how that connection is opened shows.
func TestCommitsAreSynchronousWAL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "openboards.db"), Options{})
	var sync, mode string
	err := s.InTx(ctx, func(tx openboards.Tx) error {
		c := tx.(*sqlstore.Tx)
		if err := c.QueryRow(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
			return err
		}
		return c.QueryRow(ctx, `PRAGMA journal_mode`).Scan(&mode)
	})
	if err != nil {
		t.Fatal(err)
	}
	if sync != "2" || mode != "wal" {
		t.Errorf("writer connection: synchronous=%s journal_mode=%s, want 2 (FULL) and wal", sync, mode)
	}
	conn, err := s.cdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if sync != "2" || mode != "wal" {
		t.Errorf("checkpoint connection: synchronous=%s journal_mode=%s, want 2 (FULL) and wal", sync, mode)
	}
}

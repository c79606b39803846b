package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrations describes a backend's embedded migrations: files named
// NNNN_name.sql under "migrations/", applied in order, each in its own
// transaction and recorded in schema_migrations.
type Migrations struct {
	Dialect *Dialect
	Files   fs.FS
	// OtherTables counts the schema's tables other than schema_migrations,
	// to tell a new database from one not made by this program.
	OtherTables string
	// Outdated is returned when migrations are pending and apply is false.
	Outdated error
}

// migrator is what Migrate needs of a *sql.DB or *sql.Conn.
type migrator interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// Migrate applies the pending migrations. A new, empty database is always
// migrated; one that already has a schema only when apply is set.
func (m Migrations) Migrate(ctx context.Context, db migrator, apply bool) error {
	name := m.Dialect.Name
	bind := func(q string) string { return (&Conn{d: m.Dialect, cache: &cache{}}).rewrite(q) }
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version bigint PRIMARY KEY, applied_at bigint NOT NULL)`); err != nil {
		return fmt.Errorf("%s: migrate: %w", name, err)
	}
	var applied, tables int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("%s: migrate: %w", name, err)
	}
	if err := db.QueryRowContext(ctx, m.OtherTables).Scan(&tables); err != nil {
		return fmt.Errorf("%s: migrate: %w", name, err)
	}
	if applied == 0 && tables > 0 {
		return fmt.Errorf("%s: the database has tables but no migration record; it was not made by openboards", name)
	}
	names, err := fs.Glob(m.Files, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, file := range names {
		version, err := strconv.Atoi(strings.SplitN(path.Base(file), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("%s: migration %s: bad name", name, file)
		}
		var n int
		if err := db.QueryRowContext(ctx, bind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), version).Scan(&n); err != nil {
			return fmt.Errorf("%s: migrate: %w", name, err)
		}
		if n > 0 {
			continue
		}
		if applied > 0 && !apply {
			return m.Outdated
		}
		body, err := fs.ReadFile(m.Files, file)
		if err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("%s: migration %s: %w", name, file, err)
		}
		_, err = tx.ExecContext(ctx, string(body))
		if err == nil {
			_, err = tx.ExecContext(ctx, bind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), version, time.Now().UnixNano())
		}
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			return errors.Join(fmt.Errorf("%s: migration %s: %w", name, file, err), tx.Rollback())
		}
	}
	return nil
}

// Package pgtest gives tests a PostgreSQL schema of their own, on the
// server named by OPENBOARDS_TEST_POSTGRES_URL, so that tests can run in
// parallel on one database.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// EnvURL names the environment variable holding the test server's URL.
const EnvURL = "OPENBOARDS_TEST_POSTGRES_URL"

// URL returns the test server's URL, skipping t (saying why) when none is
// configured.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		t.Skip(EnvURL + " is not set; skipping the PostgreSQL test")
	}
	return u
}

// NewSchema creates a fresh schema on the test server and returns a DSN
// whose connections use it; the schema is dropped when t ends. It skips t
// when no test server is configured.
func NewSchema(t testing.TB) string {
	t.Helper()
	base := URL(t)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "obtest_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		db.Close()
		t.Fatalf("pgtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
		db.Close()
	})
	return WithSchema(t, base, schema)
}

// WithSchema returns dsn with its connections' search_path set to schema
// and then the schema of the extensions the store uses, and their
// application_name set to the schema's name, so that a test can find (and
// terminate) its own connections.
func WithSchema(t testing.TB, dsn, schema string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgtest: %s is not a URL: %v", EnvURL, err)
	}
	ext, err := extensionSchema(dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema+","+ext)
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// BackendEnv selects the store a package's tests run on: "postgres" runs
// them on a fresh schema of the test server, anything else on SQLite.
const BackendEnv = "OPENBOARDS_TEST_BACKEND"

// OnPostgres reports whether this test process runs its package's tests on
// PostgreSQL (set by Rerun).
func OnPostgres() bool { return os.Getenv(BackendEnv) == "postgres" }

// Rerun runs every test of the package again on PostgreSQL, in a child
// process of the test binary, when a test server is configured; suite
// names the tests in the failure message. Call it from one test of the
// package (TestOnPostgres), which then skips in the child.
func Rerun(t *testing.T, suite string) {
	t.Helper()
	if OnPostgres() {
		t.Skip("already running on PostgreSQL")
	}
	URL(t)
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run", "^Test", "-test.skip", "^"+t.Name()+"$")
	cmd.Env = append(os.Environ(), BackendEnv+"=postgres")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s failed on PostgreSQL: %v\n%s", suite, err, out)
	}
}

var extensions struct {
	once   sync.Once
	schema string
	err    error
}

// extensionSchema installs the extensions the store's migrations create
// (pg_trgm) once for the whole database, outside the tests' schemas, and
// returns the schema holding them. A migration run in a test's schema
// alone would install them there, and dropping that schema at the test's
// end would take them from every other test.
func extensionSchema(dsn string) (string, error) {
	extensions.once.Do(func() {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			extensions.err = err
			return
		}
		defer db.Close()
		ctx := context.Background()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			extensions.err = err
			return
		}
		defer tx.Rollback()
		// Test processes start side by side; they take turns here.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(0x6f6274657374)); err != nil {
			extensions.err = err
			return
		}
		if _, err := tx.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`); err != nil {
			extensions.err = err
			return
		}
		if err := tx.QueryRowContext(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
			WHERE e.extname = 'pg_trgm'`).Scan(&extensions.schema); err != nil {
			extensions.err = err
			return
		}
		extensions.err = tx.Commit()
	})
	return extensions.schema, extensions.err
}

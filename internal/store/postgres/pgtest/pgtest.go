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
// and their application_name set to the schema's name, so that a test can
// find (and terminate) its own connections.
func WithSchema(t testing.TB, dsn, schema string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgtest: %s is not a URL: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
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

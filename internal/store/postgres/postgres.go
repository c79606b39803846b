// Package postgres implements openboards.Store on PostgreSQL (13 or later)
// through pgx, so that several Openboards processes can share one
// database.
//
// Transactions run at READ COMMITTED. Every change of a ticket starts by
// reading the ticket, and inside a transaction that read first locks the
// ticket's row (SELECT ... FOR UPDATE): two changes of one ticket, from any
// node, take turns, and the second reads the first's result, so no update
// is lost and previousAssigneeId checks hold. A concurrent insert of the same unique key
// (two nodes adding the same customer at once), a deadlock or a
// serialization failure makes InTx run the transaction again, so the
// second sees the first's row.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"openboards/internal/openboards"
	"openboards/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options tune a Store. The zero value is usable.
type Options struct {
	// MaxConns caps open connections; 0 means 4×GOMAXPROCS (at least 8).
	MaxConns int
	// MaxIdleConns caps idle connections kept open; 0 means MaxConns.
	MaxIdleConns int
	// Log receives errors that cannot be returned to a caller.
	Log *slog.Logger
	// Migrate applies pending migrations to a database that already has a
	// schema. An empty database is always migrated.
	Migrate bool
}

// maxAttempts bounds how often InTx runs a transaction that keeps meeting
// serialization failures.
const maxAttempts = 8

// Store is an openboards.Store on a PostgreSQL database.
type Store struct {
	*sqlstore.Conn
	db  *sql.DB
	dsn string
	log *slog.Logger
}

var _ openboards.Store = (*Store)(nil)

// ErrSchemaOutdated reports a database whose schema is older than this
// program's and that was opened without Options.Migrate.
var ErrSchemaOutdated = errors.New("postgres: database schema is out of date; run `openboards migrate` or serve with --migrate")

// Open connects to the database at dsn (a postgres:// URL) and applies
// migrations as Options say.
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	if opt.MaxConns <= 0 {
		opt.MaxConns = max(8, 4*runtime.GOMAXPROCS(0))
	}
	if opt.MaxIdleConns <= 0 || opt.MaxIdleConns > opt.MaxConns {
		opt.MaxIdleConns = opt.MaxConns
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	db.SetMaxOpenConns(opt.MaxConns)
	db.SetMaxIdleConns(opt.MaxIdleConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := migrate(ctx, db, opt.Migrate); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{Conn: sqlstore.New(db, dialect, ticketSQL), db: db, dsn: dsn, log: opt.Log}, nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.Conn.Close()
	return s.db.Close()
}

// Listen calls fn for every notification on channel, until ctx ends. It
// holds a connection of its own, outside the pool, and reconnects when it
// is lost; fn is also called after each (re)connection, since
// notifications sent meanwhile are lost.
func (s *Store) Listen(ctx context.Context, channel string, fn func()) {
	s.ListenPayload(ctx, channel, func(string) { fn() })
}

// ListenPayload is Listen for notifications whose payload matters: fn gets
// each notification's payload, and an empty one after each
// (re)connection.
func (s *Store) ListenPayload(ctx context.Context, channel string, fn func(payload string)) {
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listen(ctx, channel, fn)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("postgres: listening for notifications failed; reconnecting", "channel", channel, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func (s *Store) listen(ctx context.Context, channel string, fn func(string)) error {
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	fn("")
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}

// Notify sends a notification on channel for each payload, in one
// statement through the pool, outside any transaction.
func (s *Store) Notify(ctx context.Context, channel string, payloads ...string) error {
	if len(payloads) == 0 {
		return nil
	}
	list, err := json.Marshal(payloads)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `SELECT pg_notify($1, p) FROM jsonb_array_elements_text($2::jsonb) AS p`, channel, string(list))
	return err
}

// DB returns the underlying pool, for tools that copy data.
func (s *Store) DB() *sql.DB { return s.db }

// Migrate applies pending migrations to the database at dsn.
func Migrate(ctx context.Context, dsn string) error {
	s, err := Open(ctx, dsn, Options{Migrate: true, MaxConns: 2})
	if err != nil {
		return err
	}
	return s.Close()
}

// migrationLock is the advisory lock key that serialises migrations of
// nodes starting at the same time.
const migrationLock = 0x6f70656e626f61 // "openboa"

func migrate(ctx context.Context, db *sql.DB, apply bool) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock)
	return sqlstore.Migrations{
		Dialect: dialect,
		Files:   migrationFS,
		OtherTables: `SELECT COUNT(*) FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'`,
		Outdated: ErrSchemaOutdated,
	}.Migrate(ctx, conn, apply)
}

// InTx runs fn in a transaction and commits it, running it again (up to
// maxAttempts times, with a short random pause) when it meets a
// serialization failure, a deadlock or a concurrent insert of the same
// unique key. fn must therefore be safe to run more than once.
func (s *Store) InTx(ctx context.Context, fn func(openboards.Tx) error) error {
	var err error
	conflicts := 0
	for attempt := 1; ; attempt++ {
		var retry bool
		retry, err = s.try(ctx, fn)
		// A unique violation from a race is gone on the next run, which
		// sees the row the other transaction committed; one that comes
		// back is a real conflict (a name already taken). Runs that ended
		// for another reason (a deadlock, say) do not count.
		var pe *pgconn.PgError
		if openboards.ErrorCode(err) == openboards.CodeConflict || (errors.As(err, &pe) && pe.Code == uniqueViolation) {
			conflicts++
		}
		if !retry || attempt == maxAttempts || conflicts >= 2 {
			return err
		}
		pause := time.Duration(rand.Int64N(int64(attempt) * int64(2*time.Millisecond)))
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// try runs fn once and reports whether a failure is worth retrying.
func (s *Store) try(ctx context.Context, fn func(openboards.Tx) error) (retry bool, err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return lostConnection(err), unavailable(err)
	}
	defer conn.Close()
	tc := &txConn{Conn: conn}
	c := s.Conn.WithQuerier(tc, tc.batch)
	if err := fn(pgTx{Tx: c, conn: tc}); err != nil {
		tc.rollback()
		return c.Retryable() || retryable(err) || lostConnection(err), err
	}
	if err := tc.commit(ctx); err != nil {
		if retryable(err) {
			return true, err
		}
		return false, unavailable(err)
	}
	return false, nil
}

// unavailable reports a failure to reach the database as CodeUnavailable.
func unavailable(err error) error {
	if classify(err) == openboards.CodeUnavailable || errors.Is(err, sql.ErrConnDone) {
		return errors.Join(openboards.Errorf(openboards.CodeUnavailable, "%s", sqlstore.Unavailable), fmt.Errorf("postgres: %w", err))
	}
	return fmt.Errorf("postgres: %w", err)
}

// SQLSTATE codes InTx retries.
const (
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
	uniqueViolation      = "23505"
)

// lostConnection reports an error of a connection that broke, as opposed
// to one the server answered.
func lostConnection(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01"
	}
	return classify(err) == openboards.CodeUnavailable
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == serializationFailure || pe.Code == deadlockDetected || pe.Code == uniqueViolation
	}
	return false
}

// dialect is PostgreSQL's SQL: $n placeholders, JSON array parameters
// expanded with jsonb_array_elements_text. pgx caches prepared statements
// per connection itself.
var dialect = &sqlstore.Dialect{
	Name:      "postgres",
	Numbered:  true,
	IntList:   "SELECT jsonb_array_elements_text(?::jsonb)::bigint",
	TextList:  "SELECT jsonb_array_elements_text(?::jsonb)",
	IntArray:  "ARRAY(SELECT jsonb_array_elements_text(?::jsonb)::bigint)",
	Classify:  classify,
	Retryable: retryable,
	Faq:       faqSQL,
}

// DeliveriesChannel is the LISTEN channel that wakes webhook dispatchers
// when deliveries are queued.
const DeliveriesChannel = "openboards_deliveries"

// ChangesChannel is the LISTEN channel on which every process sends the
// live events of the changes it committed (JSON payloads made by
// live.Relay), so that the subscribers on the other processes, such as
// open inbox pages, receive them.
const ChangesChannel = "openboards_changes"

func classify(err error) openboards.Code {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == uniqueViolation || pe.Code == "23503": // foreign_key_violation
			return openboards.CodeConflict
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // admin or crash shutdown, cannot connect now
			pe.Code == "53300", // too many connections
			pe.Code == serializationFailure, pe.Code == deadlockDetected:
			return openboards.CodeUnavailable
		}
		return ""
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "driver: bad connection") {
		return openboards.CodeUnavailable
	}
	return ""
}

// Package sqlite implements openboards.Store on an embedded SQLite database
// (the pure-Go modernc.org/sqlite driver, so the binary needs no cgo).
//
// All writes go through one connection owned by a writer goroutine. Writes
// that arrive while a commit is in flight are gathered into the next
// transaction, each inside its own savepoint, so many requests share one
// fsync (group commit) while each still commits or rolls back on its own.
// Reads use a separate pool of read-only connections, which WAL mode lets
// run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"openboards/internal/openboards"
	"openboards/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options tune a Store. The zero value is usable.
type Options struct {
	// ReadConns is the size of the read pool; 0 means max(4, 2×GOMAXPROCS).
	ReadConns int
	// MaxBatch caps how many write transactions share one commit; 0 means 256.
	MaxBatch int
	// Log receives errors that cannot be returned to a caller.
	Log *slog.Logger
	// Migrate applies pending migrations to a database that already has a
	// schema. A new, empty database is always migrated.
	Migrate bool
}

// Store is an openboards.Store on one SQLite file.
type Store struct {
	*sqlstore.Conn // reads on the read pool

	path   string
	wdb    *sql.DB
	rdb    *sql.DB
	cdb    *sql.DB        // the checkpointer's connection
	wconn  *sqlstore.Conn // statement cache of the writer connection
	writes chan *writeReq
	stop   chan struct{}
	done   chan struct{}
	// checkpointed is closed when the checkpointer has stopped.
	checkpointed chan struct{}
	batch        int
	log          *slog.Logger
	close        sync.Once

	// mu orders InTx's queueing against Close: once closed is set no
	// request enters the queue, so none is left without an answer.
	mu     sync.RWMutex
	closed bool
}

var _ openboards.Store = (*Store)(nil)

// ErrSchemaOutdated reports a database whose schema is older than this
// program's and that was opened without Options.Migrate.
var ErrSchemaOutdated = errors.New("sqlite: database schema is out of date; run `openboards migrate` or serve with --migrate")

// Open opens (creating if needed) the database at path and applies
// migrations as Options say.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	if opt.ReadConns <= 0 {
		opt.ReadConns = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 256
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: create data directory: %w", err)
		}
	}
	// busy_timeout comes first so that the pragmas after it wait for locks.
	// synchronous=FULL makes every commit fsync the WAL: an acknowledged
	// write survives power loss, not only a process crash.
	base := "file:" + (&url.URL{Path: path}).EscapedPath() + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_pragma=temp_store(2)"
	// Commits never checkpoint (wal_autocheckpoint 0): a checkpoint copies
	// pages into the database file and fsyncs it, and on the writer it
	// would hold every waiting write back. The checkpointer goroutine does
	// it on a connection of its own instead, while writes go on.
	wdb, err := sql.Open("sqlite", base+"&_txlock=immediate&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	// Only the writer goroutine uses wdb, one transaction at a time. The
	// second connection lets a statement be prepared (and cached) while the
	// first is inside that transaction; database/sql then re-prepares it on
	// the transaction's connection once and reuses it.
	wdb.SetMaxOpenConns(2)
	wdb.SetMaxIdleConns(2)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	if err := wdb.PingContext(ctx); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := migrate(ctx, wdb, opt.Migrate); err != nil {
		wdb.Close()
		return nil, err
	}
	rdb, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	cdb, err := sql.Open("sqlite", base+"&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		wdb.Close()
		rdb.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	cdb.SetMaxOpenConns(1)
	rdb.SetMaxOpenConns(opt.ReadConns)
	rdb.SetMaxIdleConns(opt.ReadConns)
	rdb.SetConnMaxLifetime(0)
	rdb.SetConnMaxIdleTime(0)

	s := &Store{
		Conn:         sqlstore.New(rdb, dialect, ticketSQL),
		path:         path,
		wdb:          wdb,
		rdb:          rdb,
		cdb:          cdb,
		wconn:        sqlstore.New(wdb, dialect, ticketSQL),
		writes:       make(chan *writeReq, 4*opt.MaxBatch),
		stop:         make(chan struct{}),
		checkpointed: make(chan struct{}),
		done:         make(chan struct{}),
		batch:        opt.MaxBatch,
		log:          opt.Log,
	}
	go s.writeLoop()
	go s.checkpointLoop()
	// Tickets written by other means than the store (a copy into this
	// database) wait in tickets_fts_pending; an empty write indexes them
	// as every commit does.
	if err := s.InTx(ctx, func(openboards.Tx) error { return nil }); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// checkpointInterval is how often the checkpointer copies committed pages
// from the write-ahead log into the database file.
const checkpointInterval = 250 * time.Millisecond

// checkpointLoop checkpoints the write-ahead log in the background, in
// PASSIVE mode: it copies what no reader still needs and never waits for
// readers or the writer, so the log stays short without stalling commits.
func (s *Store) checkpointLoop() {
	defer close(s.checkpointed)
	tick := time.NewTicker(checkpointInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		if _, err := s.cdb.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			s.log.Warn("sqlite: checkpoint failed", "err", err)
		}
	}
}

// Close stops the writer after the writes already queued and closes the
// database.
func (s *Store) Close() error {
	var err error
	s.close.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.stop)
		<-s.done
		<-s.checkpointed
		s.Conn.Close()
		s.wconn.Close()
		err = errors.Join(s.rdb.Close(), s.cdb.Close(), s.wdb.Close())
	})
	return err
}

// ReadDB returns the read-only pool, for tools that copy data out.
func (s *Store) ReadDB() *sql.DB { return s.rdb }

// Migrate applies pending migrations to the database at path and closes it.
func Migrate(ctx context.Context, path string) error {
	s, err := Open(ctx, path, Options{Migrate: true, ReadConns: 1})
	if err != nil {
		return err
	}
	return s.Close()
}

// migrate applies the embedded migrations not yet recorded.
func migrate(ctx context.Context, db *sql.DB, apply bool) error {
	return sqlstore.Migrations{
		Dialect:     dialect,
		Files:       migrationFS,
		OtherTables: `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT IN ('schema_migrations', 'sqlite_sequence')`,
		Outdated:    ErrSchemaOutdated,
	}.Migrate(ctx, db, apply)
}

// writeReq is one InTx call waiting for the writer.
type writeReq struct {
	ctx  context.Context
	fn   func(openboards.Tx) error
	done chan error
}

// InTx runs fn on the writer connection inside a savepoint of the current
// group transaction and returns once that transaction has committed (or fn
// failed and its savepoint was rolled back).
func (s *Store) InTx(ctx context.Context, fn func(openboards.Tx) error) error {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return openboards.Errorf(openboards.CodeUnavailable, "the server is shutting down")
	}
	select {
	case s.writes <- req:
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	s.mu.RUnlock()
	// Once queued, the outcome is waited for even if ctx ends: the write may
	// already be committed, and the caller must not report otherwise.
	return <-req.done
}

func (s *Store) writeLoop() {
	defer close(s.done)
	batch := make([]*writeReq, 0, s.batch)
	for {
		var first *writeReq
		select {
		case first = <-s.writes:
		case <-s.stop:
			// Finish what is queued, then stop.
			for {
				select {
				case r := <-s.writes:
					s.commit([]*writeReq{r})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	gather:
		for len(batch) < s.batch {
			select {
			case r := <-s.writes:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		s.commit(batch)
	}
}

// commit runs a batch of writes in one transaction, each in a savepoint.
func (s *Store) commit(batch []*writeReq) {
	ctx := context.Background()
	errs := make([]error, len(batch))
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		s.log.Error("sqlite: begin", "err", err)
		for _, r := range batch {
			r.done <- fmt.Errorf("sqlite: begin: %w", err)
		}
		return
	}
	c := s.wconn.WithTx(tx)
	ok := 0
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := c.Exec(ctx, "SAVEPOINT w"); err != nil {
			errs[i] = fmt.Errorf("sqlite: savepoint: %w", err)
			continue
		}
		errs[i] = s.run(r, c)
		if errs[i] != nil {
			if _, err := c.Exec(ctx, "ROLLBACK TO w"); err != nil {
				// The transaction can no longer be trusted: fail the whole batch.
				s.log.Error("sqlite: rollback to savepoint", "err", err)
				tx.Rollback()
				for j, r := range batch {
					if errs[j] == nil || j == i {
						errs[j] = fmt.Errorf("sqlite: rollback to savepoint: %w", err)
					}
					r.done <- errs[j]
				}
				return
			}
		} else {
			ok++
		}
		if _, err := c.Exec(ctx, "RELEASE w"); err != nil {
			s.log.Error("sqlite: release savepoint", "err", err)
		}
	}
	if ok == 0 {
		err = tx.Rollback()
	} else if err = indexPending(ctx, c); err != nil {
		tx.Rollback()
	} else {
		err = tx.Commit()
	}
	if err != nil {
		s.log.Error("sqlite: commit", "err", err, "writes", len(batch))
		for i := range errs {
			if errs[i] == nil {
				errs[i] = fmt.Errorf("sqlite: commit: %w", err)
			}
		}
	}
	for i, r := range batch {
		r.done <- errs[i]
	}
}

// indexPending adds the tickets that this transaction inserted to the
// full-text index (see migration 0006): once per batch, outside the
// writes' savepoints, so that the batch's terms reach the index as one
// segment.
func indexPending(ctx context.Context, c *sqlstore.Tx) error {
	if _, err := c.Exec(ctx, `INSERT INTO tickets_fts (rowid, title, message)
		SELECT t.id, t.title, t.message FROM tickets_fts_pending p JOIN tickets t ON t.id = p.id`); err != nil {
		return fmt.Errorf("sqlite: index new tickets: %w", err)
	}
	if _, err := c.Exec(ctx, `DELETE FROM tickets_fts_pending`); err != nil {
		return fmt.Errorf("sqlite: index new tickets: %w", err)
	}
	return nil
}

// run calls r.fn, turning a panic into an error so that one bad request
// cannot take the writer down.
func (s *Store) run(r *writeReq, c *sqlstore.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			buf := make([]byte, 4096)
			buf = buf[:runtime.Stack(buf, false)]
			s.log.Error("sqlite: panic in transaction", "panic", p, "stack", string(buf))
			err = fmt.Errorf("sqlite: panic in transaction: %v", p)
		}
	}()
	return r.fn(c)
}

// dialect is SQLite's SQL: ? placeholders, JSON array parameters expanded
// with json_each.
var dialect = &sqlstore.Dialect{
	Name:     "sqlite",
	Prepare:  true,
	IntList:  "SELECT value FROM json_each(?)",
	TextList: "SELECT value FROM json_each(?)",
	Classify: classify,
	Faq:      faqSQL,
}

func classify(err error) openboards.Code {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return ""
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return openboards.CodeConflict
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_READONLY:
		return openboards.CodeUnavailable
	}
	switch se.Code() & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_FULL:
		return openboards.CodeUnavailable
	}
	return ""
}

var _ openboards.Store = (*Store)(nil)

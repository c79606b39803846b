// Package sqlstore implements the storage seam (openboards.Reader and
// openboards.Tx) in SQL over database/sql, once for both backends: Conn
// holds the reads, Tx the writes. The SQL is written with ? placeholders in
// the common subset of SQLite and PostgreSQL; placeholders, list
// parameters and error codes are a Dialect, and the ticket reads' JSON
// aggregate and full-text search a TicketSQL. A backend whose writers run
// side by side (PostgreSQL) embeds Tx in a type of its own that replaces,
// with the reason, the methods needing row locks or notifications.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"openboards/internal/openboards"
)

// Dialect is what every statement must spell per database: placeholders,
// list parameters and the meaning of driver errors. Ticket reads differ
// beyond that (TicketSQL), and so do the knowledge base's (Faq); other
// statements that differ are methods of the backend's own transaction
// type, with the reason next to them.
type Dialect struct {
	// Name prefixes wrapped errors, e.g. "sqlite".
	Name string
	// Numbered rewrites ? placeholders as $1, $2, ... (PostgreSQL).
	Numbered bool
	// Prepare caches one prepared statement per query text. Drivers that
	// cache prepared statements themselves (pgx) leave it false.
	Prepare bool
	// IntList and TextList are sub-selects yielding the elements of one
	// parameter holding a JSON array of integers or strings.
	IntList, TextList string
	// IntArray, when set, is an array expression of the elements of one
	// JSON array parameter, for "col = ANY (...)" conditions.
	IntArray string
	// Classify maps a driver error to a code (CodeConflict for a unique
	// violation, ...), or "" for any other error.
	Classify func(error) openboards.Code
	// Retryable reports a driver error after which the whole transaction
	// is worth running again (serialization failures); nil means never.
	Retryable func(error) bool
	// Faq is how the knowledge base locks, aggregates and searches.
	Faq *FaqSQL
}

// Conn runs the store's reads on a *sql.DB, or inside one transaction of
// it. Its methods implement openboards.Reader.
type Conn struct {
	db     *sql.DB
	tx     *sql.Tx
	d      *Dialect
	ticket *TicketSQL
	cache  *cache
	retry  *bool // set when a statement of tx met a retryable error
	// q, when set, runs the statements instead of db or tx: a
	// connection on which the backend began the transaction itself.
	q     Querier
	batch BatchFunc // sends a read-ahead's queries together; nil reads nothing ahead
	ahead *ahead    // what the last read-ahead fetched, until read
}

// cache is what the Conns of one database share: rewritten query texts and
// prepared statements.
type cache struct {
	queries sync.Map // query text → rewritten text
	stmts   sync.Map // query text → *sql.Stmt
}

// New returns a Conn on db that reads tickets with ticket.
func New(db *sql.DB, d *Dialect, ticket *TicketSQL) *Conn {
	return &Conn{db: db, d: d, ticket: ticket, cache: &cache{}}
}

// Tx runs the store's reads and writes inside one transaction. Its
// methods are the shared SQL of openboards.Tx; each backend embeds it in a
// transaction type of its own that adds or replaces the methods whose SQL
// differs (row locks on PostgreSQL, say).
type Tx struct {
	*Conn
}

// WithTx returns a Tx that runs inside tx, sharing c's caches.
func (c *Conn) WithTx(tx *sql.Tx) *Tx {
	return &Tx{Conn: &Conn{db: c.db, tx: tx, d: c.d, ticket: c.ticket, cache: c.cache, retry: new(bool)}}
}

// Retryable reports whether a statement run through this transaction's
// Conn failed in a way that makes running the transaction again worthwhile,
// whatever became of the error on its way up.
func (c *Conn) Retryable() bool { return c.retry != nil && *c.retry }

// Close closes the cached prepared statements.
func (c *Conn) Close() {
	c.cache.stmts.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		c.cache.stmts.Delete(k)
		return true
	})
}

// Exec runs a statement that returns no rows, for backend packages.
func (c *Conn) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.exec(ctx, query, args...)
}

// QueryRow runs a statement that returns one row, for backend packages.
func (c *Conn) QueryRow(ctx context.Context, query string, args ...any) interface{ Scan(...any) error } {
	return c.queryRow(ctx, query, args...)
}

// Err maps an error of a statement run through Exec as the shared methods
// map theirs (a coded error for the client, the driver's for the log), op
// naming the operation.
func (c *Conn) Err(err error, op string) error { return c.interpret(err, op, "") }

// rewrite turns ? placeholders into $n when the dialect numbers them. The
// store's SQL has no ? inside string literals.
func (c *Conn) rewrite(query string) string {
	if !c.d.Numbered {
		return query
	}
	if q, ok := c.cache.queries.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	q := b.String()
	c.cache.queries.Store(query, q)
	return q
}

// stmt returns the cached prepared statement for query, bound to the
// transaction if there is one. database/sql prepares a statement lazily on
// each connection and reuses it in transactions on that connection.
func (c *Conn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	v, ok := c.cache.stmts.Load(query)
	if !ok {
		st, err := c.db.PrepareContext(ctx, c.rewrite(query))
		if err != nil {
			return nil, err
		}
		if v, ok = c.cache.stmts.LoadOrStore(query, st); ok {
			st.Close()
		}
	}
	st := v.(*sql.Stmt)
	if c.tx != nil {
		st = c.tx.StmtContext(ctx, st)
	}
	return st, nil
}

func (c *Conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if !c.d.Prepare {
		if c.q != nil {
			if err := c.q.Begin(ctx); err != nil {
				return nil, err
			}
			c.ahead.forget(query)
			return c.q.ExecContext(ctx, c.rewrite(query), args...)
		}
		if c.tx != nil {
			return c.tx.ExecContext(ctx, c.rewrite(query), args...)
		}
		return c.db.ExecContext(ctx, c.rewrite(query), args...)
	}
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *Conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if !c.d.Prepare {
		if c.q != nil {
			if err := c.q.Begin(ctx); err != nil {
				return nil, err
			}
			c.ahead.forget(query)
			return c.q.QueryContext(ctx, c.rewrite(query), args...)
		}
		if c.tx != nil {
			return c.tx.QueryContext(ctx, c.rewrite(query), args...)
		}
		return c.db.QueryContext(ctx, c.rewrite(query), args...)
	}
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// row is a *sql.Row that may carry an error from preparing its statement.
type row struct {
	r   *sql.Row
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.r.Scan(dest...)
}

func (c *Conn) queryRow(ctx context.Context, query string, args ...any) row {
	if !c.d.Prepare {
		if c.q != nil {
			if err := c.q.Begin(ctx); err != nil {
				return row{err: err}
			}
			c.ahead.forget(query)
			return row{r: c.q.QueryRowContext(ctx, c.rewrite(query), args...)}
		}
		if c.tx != nil {
			return row{r: c.tx.QueryRowContext(ctx, c.rewrite(query), args...)}
		}
		return row{r: c.db.QueryRowContext(ctx, c.rewrite(query), args...)}
	}
	st, err := c.stmt(ctx, query)
	if err != nil {
		return row{err: err}
	}
	return row{r: st.QueryRowContext(ctx, args...)}
}

// affected returns CodeNotFound with msg when res changed no row.
func affected(res sql.Result, err error, msg string, args ...any) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return openboards.Errorf(openboards.CodeNotFound, msg, args...)
	}
	return nil
}

// interpret maps errors to coded ones: no rows to not_found (with the given
// message), unique and foreign-key violations to conflict, and wraps the
// rest with op for the log.
func (c *Conn) interpret(err error, op string, notFound string, args ...any) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return openboards.Errorf(openboards.CodeNotFound, notFound, args...)
	}
	var oe *openboards.Error
	if errors.As(err, &oe) {
		return err
	}
	if c.retry != nil && c.d.Retryable != nil && c.d.Retryable(err) {
		*c.retry = true
	}
	switch code := c.d.Classify(err); code {
	case openboards.CodeConflict:
		return openboards.Errorf(code, "%s: already exists or still in use", op)
	case "":
	default:
		return &wrapped{coded: openboards.Errorf(code, "%s", Unavailable), err: fmt.Errorf("%s: %s: %w", c.d.Name, op, err)}
	}
	return fmt.Errorf("%s: %s: %w", c.d.Name, op, err)
}

// Unavailable is the message of errors that mean the database cannot be
// reached or written for now.
const Unavailable = "the database is unavailable; try again shortly"

// wrapped is a coded error that keeps its driver error for the log.
type wrapped struct {
	coded *openboards.Error
	err   error
}

func (w *wrapped) Error() string { return w.err.Error() }

func (w *wrapped) Unwrap() []error { return []error{w.coded, w.err} }

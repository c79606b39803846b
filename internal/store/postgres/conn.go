package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"openboards/internal/store/sqlstore"
)

// txConn runs one transaction on a connection of the pool, beginning it
// lazily and sending what it can together, since every statement sent
// alone is a network round trip: BEGIN travels with the transaction's
// read-ahead when that comes first (Tx.ReadAhead), and alone before any
// other first statement; writes whose results nobody reads (log entries,
// AppendLogEntry) wait for the next statement or the commit and travel
// with it. A ticket creation thus costs three round trips (BEGIN with its
// reads, the ticket insert, the log insert with COMMIT) where
// database/sql's Tx, sending each statement alone, cost eight.
type txConn struct {
	*sql.Conn
	begun   bool
	pending []sqlstore.Query // written statements not sent yet
}

// Begin readies the connection for the next statement: it sends BEGIN
// unless the transaction has begun, and the pending writes.
func (c *txConn) Begin(ctx context.Context) error {
	if !c.begun {
		if _, err := c.Conn.ExecContext(ctx, "BEGIN"); err != nil {
			return err
		}
		c.begun = true
	}
	if len(c.pending) == 0 {
		return nil
	}
	return c.batch(ctx, nil)
}

// later queues a write to travel with the next statement or the commit.
func (c *txConn) later(q sqlstore.Query) { c.pending = append(c.pending, q) }

// raw runs fn on the pgx connection under c.
func (c *txConn) raw(fn func(*pgx.Conn) error) error {
	return c.Conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres: driver connection is %T, not pgx", dc)
		}
		return fn(sc.Conn())
	})
}

// batch sends queries in one round trip, after BEGIN when the transaction
// has not begun and after the pending writes, and hands each query's rows
// to its Scan.
func (c *txConn) batch(ctx context.Context, queries []sqlstore.Query) error {
	return c.raw(func(pc *pgx.Conn) error {
		b := &pgx.Batch{}
		if !c.begun {
			b.Queue("BEGIN")
		}
		pending := c.pending
		c.pending = nil
		for _, q := range pending {
			b.Queue(q.SQL, q.Args...)
		}
		for _, q := range queries {
			b.Queue(q.SQL, q.Args...)
		}
		br := pc.SendBatch(ctx, b)
		if !c.begun {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return err
			}
			c.begun = true
		}
		for range pending {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return err
			}
		}
		for _, q := range queries {
			rows, err := br.Query()
			if err != nil {
				br.Close()
				return err
			}
			err = q.Scan(rows)
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
			if err != nil {
				br.Close()
				return err
			}
		}
		return br.Close()
	})
}

// errRolledBack is COMMIT answered by a rollback: the transaction had
// failed, though no statement reported it.
var errRolledBack = errors.New("postgres: commit: the transaction was rolled back")

// commit ends the transaction, if it began, durably, after the pending
// writes and in the same round trip. When one of them fails, the
// transaction is rolled back.
func (c *txConn) commit(ctx context.Context) error {
	if !c.begun && len(c.pending) == 0 {
		return nil
	}
	err := c.raw(func(pc *pgx.Conn) error {
		b := &pgx.Batch{}
		if !c.begun {
			b.Queue("BEGIN")
		}
		for _, q := range c.pending {
			b.Queue(q.SQL, q.Args...)
		}
		b.Queue("COMMIT")
		br := pc.SendBatch(ctx, b)
		if !c.begun {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return err
			}
			c.begun = true
		}
		for range c.pending {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return err
			}
		}
		c.pending = nil
		tag, err := br.Exec()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		c.begun = false
		if tag.String() != "COMMIT" {
			return errRolledBack
		}
		return nil
	})
	if err != nil {
		c.rollback()
	}
	return err
}

// rollback ends the transaction, if it began, without a trace. A
// connection whose rollback fails is closed rather than reused.
func (c *txConn) rollback() {
	c.pending = nil
	if !c.begun {
		return
	}
	c.raw(func(pc *pgx.Conn) error {
		if _, err := pc.Exec(context.Background(), "ROLLBACK"); err != nil {
			return driver.ErrBadConn
		}
		c.begun = false
		return nil
	})
}

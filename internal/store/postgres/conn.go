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
// lazily: BEGIN travels in one round trip with the transaction's
// read-ahead when that comes first (Tx.ReadAhead), and alone before any
// other first statement. A ticket creation thus costs four round trips
// (BEGIN with its reads, the two inserts, COMMIT) where database/sql's
// Tx, which sends BEGIN and each read on its own, cost eight.
type txConn struct {
	*sql.Conn
	begun bool
}

// Begin sends BEGIN unless the transaction has begun.
func (c *txConn) Begin(ctx context.Context) error {
	if c.begun {
		return nil
	}
	if _, err := c.Conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	c.begun = true
	return nil
}

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
// has not begun, and hands each one's rows to its Scan.
func (c *txConn) batch(ctx context.Context, queries []sqlstore.Query) error {
	return c.raw(func(pc *pgx.Conn) error {
		b := &pgx.Batch{}
		if !c.begun {
			b.Queue("BEGIN")
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

// commit ends the transaction, if it began, durably.
func (c *txConn) commit(ctx context.Context) error {
	if !c.begun {
		return nil
	}
	return c.raw(func(pc *pgx.Conn) error {
		tag, err := pc.Exec(ctx, "COMMIT")
		c.begun = false
		if err != nil {
			return err
		}
		if tag.String() != "COMMIT" {
			return errRolledBack
		}
		return nil
	})
}

// rollback ends the transaction, if it began, without a trace. A
// connection whose rollback fails is closed rather than reused.
func (c *txConn) rollback() {
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

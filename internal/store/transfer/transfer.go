// Package transfer copies an installation's data from one database to
// another (SQLite to PostgreSQL for `openboards copy`): every table, ids
// preserved, sequences advanced past the copied ids, row counts verified.
//
// What to copy comes from the source's own catalogue (sqlite_master and the
// table pragmas on SQLite, pg_catalog and information_schema on
// PostgreSQL): the tables, their columns, the order their foreign keys
// require and which ids come from a sequence. A table that a later
// migration adds is therefore copied without a change here; a table or
// column that only one side has stops the copy before anything is written.
//
// The copy reads the source in one read transaction, so a server may keep
// running on it (the copy is the state at the moment the copy began, and
// the row counts are that state's), and writes the target in one
// transaction, so a failed copy leaves the target as it was and can simply
// be run again.
package transfer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Backend names the database system behind a pool: it decides which
// catalogue is read and how statements are written.
type Backend int

// The backends a copy reads and writes.
const (
	SQLite Backend = iota + 1
	PostgreSQL
)

// DB is one side of a copy.
type DB struct {
	Pool    *sql.DB
	Backend Backend
}

// ErrTargetNotEmpty reports a target that already holds data.
var ErrTargetNotEmpty = errors.New("transfer: the target database is not empty; pass --force to replace its contents")

// Count is one table's rows in the source and, after the copy, the target.
type Count struct {
	Table          string
	Source, Target int64
}

// Options tune Copy.
type Options struct {
	// Force replaces the target's contents instead of refusing a non-empty
	// target.
	Force bool
	// Progress, if set, is called after each table.
	Progress func(table string, rows int64)
}

// Copy copies every table of src into dst, whose schema must be migrated
// to the same version, and returns the row counts, in copy order. Source
// counts are taken in the read transaction the rows come from; target
// counts are taken after the commit, and Copy fails if any differs.
func Copy(ctx context.Context, src, dst DB, opt Options) ([]Count, error) {
	ropt := &sql.TxOptions{ReadOnly: true}
	if src.Backend == PostgreSQL {
		// One snapshot for every statement, not one per statement.
		ropt.Isolation = sql.LevelRepeatableRead
	}
	rtx, err := src.Pool.BeginTx(ctx, ropt)
	if err != nil {
		return nil, fmt.Errorf("transfer: read source: %w", err)
	}
	defer rtx.Rollback()
	wtx, err := dst.Pool.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("transfer: write target: %w", err)
	}
	defer wtx.Rollback()

	from, err := readSchema(ctx, rtx, src.Backend)
	if err != nil {
		return nil, err
	}
	to, err := readSchema(ctx, wtx, dst.Backend)
	if err != nil {
		return nil, err
	}
	if err := compatible(from, to); err != nil {
		return nil, err
	}
	order, err := from.copyOrder()
	if err != nil {
		return nil, err
	}
	w := writer{tx: wtx, backend: dst.Backend}
	if err := w.prepare(ctx, order, opt.Force); err != nil {
		return nil, err
	}
	counts := make([]Count, 0, len(order))
	for _, t := range order {
		var want int64
		if err := rtx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+ident(t.name)).Scan(&want); err != nil {
			return nil, fmt.Errorf("transfer: count %s in the source: %w", t.name, err)
		}
		n, err := w.copyTable(ctx, rtx, t, to.byName[t.name])
		if err != nil {
			return nil, fmt.Errorf("transfer: copy %s: %w", t.name, err)
		}
		if n != want {
			return nil, fmt.Errorf("transfer: %s has %d rows in the source but %d were read", t.name, want, n)
		}
		counts = append(counts, Count{Table: t.name, Source: n})
		if opt.Progress != nil {
			opt.Progress(t.name, n)
		}
	}
	for _, t := range order {
		d := to.byName[t.name]
		if t.identity == "" && d.identity == "" {
			continue
		}
		mark, err := highWater(ctx, rtx, src.Backend, t)
		if err != nil {
			return nil, fmt.Errorf("transfer: read the %s sequence: %w", t.name, err)
		}
		if err := w.advance(ctx, d, mark); err != nil {
			return nil, fmt.Errorf("transfer: advance the %s sequence: %w", t.name, err)
		}
	}
	// Checked before the commit too, so that a short table rolls back.
	if err := verify(ctx, wtx, counts); err != nil {
		return nil, err
	}
	if err := wtx.Commit(); err != nil {
		return nil, fmt.Errorf("transfer: commit: %w", err)
	}
	if err := verify(ctx, dst.Pool, counts); err != nil {
		return counts, err
	}
	return counts, nil
}

// verify sets each count's Target from q and fails on the first table
// whose count differs from the source's.
func verify(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, counts []Count) error {
	for i := range counts {
		c := &counts[i]
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+ident(c.Table)).Scan(&c.Target); err != nil {
			return fmt.Errorf("transfer: count %s in the target: %w", c.Table, err)
		}
		if c.Target != c.Source {
			return fmt.Errorf("transfer: %s has %d rows in the source but %d in the target", c.Table, c.Source, c.Target)
		}
	}
	return nil
}

// highWater returns the highest id the source's sequence for t has handed
// out, which may exceed the highest id left in t when rows were deleted;
// 0 when the source keeps no such mark (a SQLite rowid table without
// AUTOINCREMENT numbers from its highest row).
func highWater(ctx context.Context, q querier, b Backend, t *table) (int64, error) {
	var mark sql.NullInt64
	switch {
	case b == SQLite && t.autoincrement:
		err := q.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = ?`, t.name).Scan(&mark)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return mark.Int64, err
	case b == PostgreSQL && t.identity != "":
		err := q.QueryRowContext(ctx, `SELECT last_value FROM pg_sequences
			WHERE format('%I.%I', schemaname, sequencename) = pg_get_serial_sequence($1, $2)`,
			ident(t.name), t.identity).Scan(&mark)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return mark.Int64, err
	}
	return 0, nil
}

// writer writes the target inside its transaction.
type writer struct {
	tx      *sql.Tx
	backend Backend
}

// prepare refuses a non-empty target, or empties it when forced.
func (w writer) prepare(ctx context.Context, order []*table, force bool) error {
	var rows int64
	for _, t := range order {
		var n int64
		if err := w.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+ident(t.name)+` LIMIT 1) x`).Scan(&n); err != nil {
			return fmt.Errorf("transfer: inspect target: %w", err)
		}
		rows += n
	}
	if rows == 0 {
		return nil
	}
	if !force {
		return ErrTargetNotEmpty
	}
	if w.backend == PostgreSQL {
		names := make([]string, len(order))
		for i, t := range order {
			names[i] = ident(t.name)
		}
		if _, err := w.tx.ExecContext(ctx, `TRUNCATE `+strings.Join(names, ", ")); err != nil {
			return fmt.Errorf("transfer: empty the target: %w", err)
		}
		return nil
	}
	// SQLite has no TRUNCATE: delete children before their parents, which
	// also lets the full-text index's triggers remove their entries.
	for i := len(order) - 1; i >= 0; i-- {
		if _, err := w.tx.ExecContext(ctx, `DELETE FROM `+ident(order[i].name)); err != nil {
			return fmt.Errorf("transfer: empty %s in the target: %w", order[i].name, err)
		}
	}
	return nil
}

// maxParams bounds the parameters of one INSERT: PostgreSQL takes at most
// 65535, SQLite at most 32766.
const maxParams = 30000

// copyTable copies the rows of src (the source's view of the table) into
// dst (the target's), in primary key order, and returns how many it read.
func (w writer) copyTable(ctx context.Context, rtx *sql.Tx, src, dst *table) (int64, error) {
	cols := src.columns
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = ident(c)
	}
	query := `SELECT ` + strings.Join(quoted, ", ") + ` FROM ` + ident(src.name)
	if len(src.key) > 0 {
		keys := make([]string, len(src.key))
		for i, k := range src.key {
			keys[i] = ident(k)
		}
		query += ` ORDER BY ` + strings.Join(keys, ", ")
	}
	rows, err := rtx.QueryContext(ctx, query)
	if err != nil {
		return 0, err
	}
	defer rows.Close()

	// A row may reference a row of its own table that comes later in key
	// order (a category moved under a newer one): such references are
	// written as NULL and set once every row is in.
	idCol, selfCols := -1, map[int]bool{}
	for i, c := range cols {
		if len(src.key) == 1 && c == src.key[0] {
			idCol = i
		}
		for _, r := range src.selfRefs {
			if c == r {
				selfCols[i] = true
			}
		}
	}
	type link struct {
		column string
		id, to any
	}
	var links []link

	perBatch := max(1, min(1000, maxParams/len(cols)))
	batch := make([]any, 0, perBatch*len(cols))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		k := len(batch) / len(cols)
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", ident(dst.name), strings.Join(quoted, ", "))
		p := 1
		for r := 0; r < k; r++ {
			if r > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for c := range cols {
				if c > 0 {
					b.WriteString(", ")
				}
				b.WriteString(w.param(p))
				p++
			}
			b.WriteByte(')')
		}
		if _, err := w.tx.ExecContext(ctx, b.String(), batch...); err != nil {
			return err
		}
		batch = batch[:0]
		return nil
	}
	var n int64
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, c := range cols {
			vals[i] = w.convert(vals[i], dst.bools[c])
			if selfCols[i] && vals[i] != nil && (idCol < 0 || !before(vals[i], vals[idCol])) {
				if idCol < 0 {
					return n, fmt.Errorf("a reference of %s to itself needs a single-column primary key", src.name)
				}
				links = append(links, link{column: c, id: vals[idCol], to: vals[i]})
				vals[i] = nil
			}
		}
		batch = append(batch, vals...)
		n++
		if len(batch) >= perBatch*len(cols) {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if err := flush(); err != nil {
		return n, err
	}
	for _, l := range links {
		q := fmt.Sprintf(`UPDATE %s SET %s = %s WHERE %s = %s`, ident(dst.name), ident(l.column), w.param(1), ident(src.key[0]), w.param(2))
		if _, err := w.tx.ExecContext(ctx, q, l.to, l.id); err != nil {
			return n, fmt.Errorf("link %s %v to %v: %w", l.column, l.id, l.to, err)
		}
	}
	return n, nil
}

// before reports whether ref sorts before (or is) id, so that the row it
// names is already written; ids that are not integers are never assumed
// to be.
func before(ref, id any) bool {
	r, ok1 := ref.(int64)
	i, ok2 := id.(int64)
	return ok1 && ok2 && r <= i
}

// convert adapts a value read from the source to the target's column:
// SQLite stores booleans as 0 and 1, which PostgreSQL does not take for a
// boolean column, and PostgreSQL's booleans become 0 and 1 on SQLite.
func (w writer) convert(v any, boolean bool) any {
	switch x := v.(type) {
	case int64:
		if boolean && w.backend == PostgreSQL {
			return x != 0
		}
	case bool:
		if w.backend == SQLite {
			if x {
				return int64(1)
			}
			return int64(0)
		}
	}
	return v
}

// advance makes t's sequence on the target hand out ids above both the
// copied ones and the source's high-water mark.
func (w writer) advance(ctx context.Context, t *table, mark int64) error {
	switch w.backend {
	case PostgreSQL:
		if t.identity == "" {
			return nil
		}
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT MAX(%s) FROM %s), $3, 0) + 1, false)`,
			ident(t.identity), ident(t.name))
		_, err := w.tx.ExecContext(ctx, q, ident(t.name), t.identity, mark)
		return err
	case SQLite:
		// Explicit ids already raised sqlite_sequence to the highest copied
		// one; only a higher mark from the source is left to carry over.
		// A rowid table without AUTOINCREMENT keeps no mark.
		if !t.autoincrement || mark == 0 {
			return nil
		}
		if _, err := w.tx.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?`, mark, t.name); err != nil {
			return err
		}
		_, err := w.tx.ExecContext(ctx, `INSERT INTO sqlite_sequence (name, seq) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)`, t.name, mark, t.name)
		return err
	}
	return nil
}

// param returns the n-th (1-based) placeholder in the target's syntax.
func (w writer) param(n int) string {
	if w.backend == PostgreSQL {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// ident quotes a name from the catalogue as an SQL identifier, which both
// backends write the same way.
func ident(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

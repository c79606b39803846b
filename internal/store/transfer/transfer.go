// Package transfer copies an installation's data from a SQLite store to a
// PostgreSQL one: every table, ids preserved, identity sequences advanced
// past the copied ids, row counts verified.
//
// The copy reads the source in one read transaction, so a server may keep
// running on it (the copy is the state at the moment the copy began), and
// writes the target in one transaction, so a failed copy leaves the target
// as it was and can simply be run again.
package transfer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Tables lists every table of the schema in an order that satisfies the
// foreign keys (categories point at each other and get their parents in a
// second pass).
var Tables = []string{
	"settings", "communities", "refresh_tokens", "users", "user_groups", "user_group_members",
	"categories", "custom_fields", "tags", "tickets", "ticket_field_values", "replies", "notes",
	"ticket_log", "widgets", "webhooks", "webhook_events", "webhook_deliveries", "webhook_attempts", "user_passwords", "sessions",
}

// identityTables are the tables whose id comes from a sequence.
var identityTables = []string{
	"communities", "refresh_tokens", "user_groups", "categories", "custom_fields", "tags", "tickets",
	"replies", "notes", "ticket_log", "widgets", "webhooks", "webhook_events", "webhook_deliveries", "webhook_attempts",
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

// Copy copies every table from src (a SQLite pool) to dst (a PostgreSQL
// pool whose schema is migrated) and returns the verified row counts.
func Copy(ctx context.Context, src, dst *sql.DB, opt Options) ([]Count, error) {
	rtx, err := src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("transfer: read source: %w", err)
	}
	defer rtx.Rollback()
	wtx, err := dst.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("transfer: write target: %w", err)
	}
	defer wtx.Rollback()

	if err := prepareTarget(ctx, wtx, opt.Force); err != nil {
		return nil, err
	}
	bools, err := booleanColumns(ctx, wtx)
	if err != nil {
		return nil, err
	}
	counts := make([]Count, 0, len(Tables))
	for _, table := range Tables {
		n, err := copyTable(ctx, rtx, wtx, table, bools[table])
		if err != nil {
			return nil, fmt.Errorf("transfer: copy %s: %w", table, err)
		}
		counts = append(counts, Count{Table: table, Source: n})
		if opt.Progress != nil {
			opt.Progress(table, n)
		}
	}
	// Categories were inserted without parents; link them now.
	if err := linkCategories(ctx, rtx, wtx); err != nil {
		return nil, err
	}
	for _, table := range identityTables {
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), COALESCE((SELECT MAX(id) FROM %[1]s), 0) + 1, false)`, table)
		if _, err := wtx.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("transfer: advance the %s sequence: %w", table, err)
		}
	}
	for i := range counts {
		if err := wtx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+counts[i].Table).Scan(&counts[i].Target); err != nil {
			return nil, fmt.Errorf("transfer: count %s: %w", counts[i].Table, err)
		}
		if counts[i].Target != counts[i].Source {
			return counts, fmt.Errorf("transfer: %s has %d rows in the source but %d in the target", counts[i].Table, counts[i].Source, counts[i].Target)
		}
	}
	if err := wtx.Commit(); err != nil {
		return nil, fmt.Errorf("transfer: commit: %w", err)
	}
	return counts, nil
}

// prepareTarget refuses a non-empty target, or empties it when forced.
func prepareTarget(ctx context.Context, tx *sql.Tx, force bool) error {
	var rows int64
	for _, table := range Tables {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+table+` LIMIT 1) x`).Scan(&n); err != nil {
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
	if _, err := tx.ExecContext(ctx, `TRUNCATE `+strings.Join(Tables, ", ")); err != nil {
		return fmt.Errorf("transfer: empty the target: %w", err)
	}
	return nil
}

// booleanColumns returns, per table, the target's boolean columns: SQLite
// stores booleans as 0 and 1, which PostgreSQL does not take for boolean.
func booleanColumns(ctx context.Context, tx *sql.Tx) (map[string]map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type = 'boolean'`)
	if err != nil {
		return nil, fmt.Errorf("transfer: inspect target: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]bool{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, err
		}
		if out[t] == nil {
			out[t] = map[string]bool{}
		}
		out[t][c] = true
	}
	return out, rows.Err()
}

// batchRows bounds the rows of one INSERT (PostgreSQL takes at most 65535
// parameters in a statement).
const batchRows = 1000

func copyTable(ctx context.Context, rtx, wtx *sql.Tx, table string, bools map[string]bool) (int64, error) {
	// Tables with an integer id are copied in id order (a category's parent
	// comes before it); the others have no such order to keep.
	order := " ORDER BY id"
	switch table {
	case "settings", "user_group_members", "ticket_field_values", "users", "user_passwords", "sessions":
		order = ""
	}
	rows, err := rtx.QueryContext(ctx, `SELECT * FROM `+table+order)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	parentCol := -1
	for i, c := range cols {
		if table == "categories" && c == "parent_id" {
			parentCol = i
		}
	}
	var n int64
	batch := make([]any, 0, batchRows*len(cols))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		k := len(batch) / len(cols)
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
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
				fmt.Fprintf(&b, "$%d", p)
				p++
			}
			b.WriteByte(')')
		}
		if _, err := wtx.ExecContext(ctx, b.String(), batch...); err != nil {
			return err
		}
		batch = batch[:0]
		return nil
	}
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
			if bools[c] {
				vals[i] = truthy(vals[i])
			}
			if i == parentCol {
				vals[i] = nil
			}
		}
		batch = append(batch, vals...)
		n++
		if len(batch) >= batchRows*len(cols) {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, flush()
}

func truthy(v any) any {
	switch x := v.(type) {
	case int64:
		return x != 0
	case bool:
		return x
	case nil:
		return nil
	}
	return v
}

func linkCategories(ctx context.Context, rtx, wtx *sql.Tx) error {
	rows, err := rtx.QueryContext(ctx, `SELECT id, parent_id FROM categories WHERE parent_id IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("transfer: read category parents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent int64
		if err := rows.Scan(&id, &parent); err != nil {
			return err
		}
		if _, err := wtx.ExecContext(ctx, `UPDATE categories SET parent_id = $1 WHERE id = $2`, parent, id); err != nil {
			return fmt.Errorf("transfer: link category %d: %w", id, err)
		}
	}
	return rows.Err()
}

package transfer

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// migrationsTable is the migrations' own bookkeeping (sqlstore.Migrations):
// both databases were migrated by this program, so each already has its
// record, and copying it would only duplicate it.
const migrationsTable = "schema_migrations"

// table is what the copy needs to know of one table, read from the
// database's own catalogue.
type table struct {
	name    string
	columns []string
	// key is the primary key, in key order; rows are read in this order.
	key []string
	// parents are the other tables its foreign keys reference.
	parents []string
	// selfRefs are its columns that reference its own table (a category's
	// parent, a reply's parent reply).
	selfRefs []string
	// identity is the column whose values come from a sequence (a
	// PostgreSQL identity or serial column, a SQLite rowid alias), or "".
	identity string
	// autoincrement reports a SQLite AUTOINCREMENT table, whose high-water
	// mark is kept in sqlite_sequence.
	autoincrement bool
	// bools are the boolean columns (PostgreSQL; SQLite has no such type).
	bools map[string]bool
}

// schema is a database's tables, in catalogue (creation) order.
type schema struct {
	tables []*table
	byName map[string]*table
}

// querier is what reading a catalogue needs: a *sql.Tx, so that the
// catalogue and the rows come from one snapshot.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func newSchema() *schema { return &schema{byName: map[string]*table{}} }

func (s *schema) add(name string) *table {
	t := &table{name: name, bools: map[string]bool{}}
	s.tables = append(s.tables, t)
	s.byName[name] = t
	return t
}

// readSchema reads the catalogue of a database of the given backend.
func readSchema(ctx context.Context, q querier, b Backend) (*schema, error) {
	switch b {
	case SQLite:
		return readSQLiteSchema(ctx, q)
	case PostgreSQL:
		return readPostgresSchema(ctx, q)
	}
	return nil, fmt.Errorf("transfer: unknown backend %d", b)
}

// sqliteIndexQueue is the SQLite store's list of tickets still to be added
// to its full-text index.
const sqliteIndexQueue = "tickets_fts_pending"

// readSQLiteSchema reads sqlite_master and the table pragmas. Only
// ordinary tables count: pragma_table_list tells them from virtual tables
// (the full-text index) and their shadow tables, which the index's
// triggers fill as the tickets are inserted; names starting with sqlite_
// are SQLite's own. sqliteIndexQueue holds no data: the store empties it
// in every transaction that fills it.
func readSQLiteSchema(ctx context.Context, q querier) (*schema, error) {
	s := newSchema()
	names, err := queryStrings(ctx, q, `SELECT m.name, m.sql FROM sqlite_master m
		JOIN pragma_table_list l ON l.schema = 'main' AND l.name = m.name
		WHERE m.type = 'table' AND l.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\' AND m.name NOT IN (?, ?)
		ORDER BY m.rowid`, migrationsTable, sqliteIndexQueue)
	if err != nil {
		return nil, fmt.Errorf("transfer: read the SQLite catalogue: %w", err)
	}
	for _, row := range names {
		t := s.add(row[0])
		t.autoincrement = strings.Contains(strings.ToUpper(row[1]), "AUTOINCREMENT")
		cols, err := queryStrings(ctx, q, `SELECT name, upper(type), pk FROM pragma_table_info(?) ORDER BY cid`, t.name)
		if err != nil {
			return nil, fmt.Errorf("transfer: read the columns of %s: %w", t.name, err)
		}
		type keyColumn struct {
			pos  int
			name string
		}
		var key []keyColumn
		keyType := ""
		for _, c := range cols {
			t.columns = append(t.columns, c[0])
			if pos, _ := strconv.Atoi(c[2]); pos > 0 {
				key = append(key, keyColumn{pos, c[0]})
				keyType = c[1]
			}
		}
		slices.SortFunc(key, func(a, b keyColumn) int { return a.pos - b.pos })
		for _, k := range key {
			t.key = append(t.key, k.name)
		}
		// A single INTEGER PRIMARY KEY is the rowid, which SQLite numbers
		// itself when an insert leaves it out.
		if len(t.key) == 1 && keyType == "INTEGER" {
			t.identity = t.key[0]
		}
		fks, err := queryStrings(ctx, q, `SELECT "table", "from" FROM pragma_foreign_key_list(?) ORDER BY id, seq`, t.name)
		if err != nil {
			return nil, fmt.Errorf("transfer: read the foreign keys of %s: %w", t.name, err)
		}
		for _, fk := range fks {
			t.addReference(fk[0], fk[1])
		}
	}
	return s, nil
}

// readPostgresSchema reads pg_catalog and information_schema for the
// current schema (the one the connections' search_path selects).
// Creation order is the tables' oid order. A partitioned table counts
// once: its partitions' rows are read and written through it. Generated
// columns (the FAQ topics' search vector) are left out: the database
// computes them from the columns copied, and SQLite has none.
func readPostgresSchema(ctx context.Context, q querier) (*schema, error) {
	s := newSchema()
	names, err := queryStrings(ctx, q, `SELECT c.relname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> $1
		ORDER BY c.oid`, migrationsTable)
	if err != nil {
		return nil, fmt.Errorf("transfer: read the PostgreSQL catalogue: %w", err)
	}
	for _, row := range names {
		s.add(row[0])
	}
	cols, err := queryStrings(ctx, q, `SELECT table_name, column_name, data_type,
			CASE WHEN is_identity = 'YES' OR column_default LIKE 'nextval(%' THEN 'y' ELSE '' END
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_generated = 'NEVER'
		ORDER BY table_name, ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("transfer: read the PostgreSQL columns: %w", err)
	}
	for _, c := range cols {
		t := s.byName[c[0]]
		if t == nil {
			continue // a view, or the migrations table
		}
		t.columns = append(t.columns, c[1])
		if c[2] == "boolean" {
			t.bools[c[1]] = true
		}
		if c[3] != "" {
			t.identity = c[1]
		}
	}
	keys, err := queryStrings(ctx, q, `SELECT c.relname, a.attname FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
		WHERE i.indisprimary AND n.nspname = current_schema()
		ORDER BY c.relname, array_position(i.indkey::int2[], a.attnum)`)
	if err != nil {
		return nil, fmt.Errorf("transfer: read the PostgreSQL primary keys: %w", err)
	}
	for _, k := range keys {
		if t := s.byName[k[0]]; t != nil {
			t.key = append(t.key, k[1])
		}
	}
	fks, err := queryStrings(ctx, q, `SELECT c.relname, p.relname, a.attname FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_class p ON p.oid = k.confrelid
		JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
		WHERE k.contype = 'f' AND n.nspname = current_schema()
		ORDER BY c.relname, k.conname, array_position(k.conkey, a.attnum)`)
	if err != nil {
		return nil, fmt.Errorf("transfer: read the PostgreSQL foreign keys: %w", err)
	}
	for _, fk := range fks {
		if t := s.byName[fk[0]]; t != nil {
			t.addReference(fk[1], fk[2])
		}
	}
	return s, nil
}

// addReference records that column refers to the table parent.
func (t *table) addReference(parent, column string) {
	if parent == t.name {
		if !slices.Contains(t.selfRefs, column) {
			t.selfRefs = append(t.selfRefs, column)
		}
		return
	}
	if !slices.Contains(t.parents, parent) {
		t.parents = append(t.parents, parent)
	}
}

// copyOrder returns the tables so that each comes after every table its
// foreign keys reference; among tables free to go, catalogue order
// decides, which keeps the order stable and close to the migrations'.
// References of a table to itself are handled while copying it.
func (s *schema) copyOrder() ([]*table, error) {
	done := map[string]bool{}
	var out []*table
	for len(out) < len(s.tables) {
		progress := false
		for _, t := range s.tables {
			if done[t.name] {
				continue
			}
			ready := true
			for _, p := range t.parents {
				if s.byName[p] == nil {
					return nil, fmt.Errorf("transfer: %s references %s, which is not in the schema", t.name, p)
				}
				if !done[p] {
					ready = false
					break
				}
			}
			if ready {
				done[t.name] = true
				out = append(out, t)
				progress = true
				break // start again from the first table, to keep catalogue order
			}
		}
		if !progress {
			var left []string
			for _, t := range s.tables {
				if !done[t.name] {
					left = append(left, t.name)
				}
			}
			return nil, fmt.Errorf("transfer: the foreign keys of %s form a cycle; no copy order satisfies them", strings.Join(left, ", "))
		}
	}
	return out, nil
}

// compatible reports how dst differs from src: a table or column on one
// side only means the two databases are at different schema versions, and
// copying would silently drop data (or leave a column to its default).
func compatible(src, dst *schema) error {
	var diffs []string
	for _, t := range src.tables {
		d := dst.byName[t.name]
		if d == nil {
			diffs = append(diffs, "table "+t.name+" is only in the source")
			continue
		}
		for _, c := range t.columns {
			if !slices.Contains(d.columns, c) {
				diffs = append(diffs, "column "+t.name+"."+c+" is only in the source")
			}
		}
		for _, c := range d.columns {
			if !slices.Contains(t.columns, c) {
				diffs = append(diffs, "column "+t.name+"."+c+" is only in the target")
			}
		}
	}
	for _, t := range dst.tables {
		if src.byName[t.name] == nil {
			diffs = append(diffs, "table "+t.name+" is only in the target")
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("transfer: the source and target schemas differ (%s); migrate both with this version of openboards", strings.Join(diffs, "; "))
	}
	return nil
}

// queryStrings runs a query and returns its rows as strings (NULL as "").
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([][]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"openboards/internal/store/postgres"
	"openboards/internal/store/sqlite"
	"openboards/internal/store/transfer"
)

// runCopy moves an installation from SQLite to PostgreSQL.
func runCopy(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("copy", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	from := fs.String("from", "", "source: a SQLite file path or sqlite:PATH (required)")
	to := fs.String("to", "", "target: a postgres://... URL (required)")
	force := fs.Bool("force", false, "replace the target's contents if it is not empty")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(fs, pos, nil, "from", "to"); err != nil {
		return err
	}
	if !isPostgres(*to) || isPostgres(*from) {
		return usagef("copy goes from a SQLite file (--from) to PostgreSQL (--to)")
	}
	path, err := sqlitePath(*from)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("copy: source: %w", err)
	}
	log := newLogger(env.Stderr)
	// The source is only read, and must be at this program's schema version.
	src, err := sqlite.Open(ctx, path, sqlite.Options{Log: log, ReadConns: 1})
	if err != nil {
		return fmt.Errorf("copy: open source: %w", err)
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, *to, postgres.Options{Migrate: true, MaxConns: 2, Log: log})
	if err != nil {
		return fmt.Errorf("copy: open target: %w", err)
	}
	defer dst.Close()
	counts, err := transfer.Copy(ctx,
		transfer.DB{Pool: src.ReadDB(), Backend: transfer.SQLite},
		transfer.DB{Pool: dst.DB(), Backend: transfer.PostgreSQL},
		transfer.Options{
			Force: *force,
			Progress: func(table string, rows int64) {
				fmt.Fprintf(env.Stderr, "copied %-20s %d rows\n", table, rows)
			},
		})
	if err != nil {
		return err
	}
	var total int64
	for _, c := range counts {
		total += c.Target
	}
	fmt.Fprintf(env.Stdout, "Copied %d rows in %d tables from %s to %s; every table's row count matches.\n", total, len(counts), path, redact(*to))
	return nil
}

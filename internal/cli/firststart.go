package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// printWhere tells whoever started the server where the inbox is and, on a
// database without communities, the commands that make the first one and
// a teammate who can sign in. It writes in one call, so a reader sees all
// of it or none.
func printWhere(ctx context.Context, w io.Writer, s *Server, dsn string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "The inbox is at %s/signin\n", s.URL)
	cms, err := s.Store.FindCommunities(ctx)
	if err != nil {
		return fmt.Errorf("list communities: %w", err)
	}
	if len(cms) == 0 {
		db := shellQuote(redact(dsn))
		fmt.Fprintf(&b, `No community exists yet. Create the first, with an admin who can sign in to the inbox:
  openboards community create NAME --db %s
  openboards teammate add --community NAME --email E --name N --role admin --db %s
  openboards teammate password --community NAME --email E --db %s
`, db, db, db)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// shellQuote quotes s for a POSIX shell unless it needs no quotes.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

package sqlite

import (
	"strings"

	"openboards/internal/store/sqlstore"
)

// ticketSQL is how SQLite reads tickets. Custom field values come as one
// json_group_array; a text search reads the FTS5 index, which yields
// matches newest (highest rowid) first, so a page stops reading once it is
// full.
//
// The driver pays for every column of every statement (a few calls into
// the library, each under the connection's mutex), so the short values
// travel packed: 17 columns a ticket instead of 49.
var ticketSQL = &sqlstore.TicketSQL{
	Packed: true,
	FieldValues: `(SELECT json_group_array(json_array(v.field_id, v.value)) FROM
		(SELECT field_id, value FROM ticket_field_values WHERE ticket_id = t.id ORDER BY field_id) v)`,
	TextFrom:  "tickets_fts JOIN tickets t ON t.id = tickets_fts.rowid",
	TextOrder: " ORDER BY tickets_fts.rowid DESC",
	TextMatch: "tickets_fts MATCH ?",
	TextQuery: func(words []string) string {
		// Each word quoted, so that no word is read as FTS5 syntax; all
		// must be there. Whole words only: a prefix query would have to
		// merge the postings of every word it matches before yielding the
		// first, which for a short prefix is most of the index.
		q := make([]string, len(words))
		for i, w := range words {
			q[i] = `"` + w + `"`
		}
		return strings.Join(q, " AND ")
	},
}

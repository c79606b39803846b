package postgres

import (
	"strings"

	"openboards/internal/store/sqlstore"
)

// ticketSQL is how PostgreSQL reads tickets. Custom field values come as
// one json_agg; a text search matches a to_tsvector expression, which the
// tickets_search GIN index holds, and pages newest first by id.
//
// Columns are cheap for pgx, and packing short values costs PostgreSQL
// more CPU than the columns it saves, so each value is its own column.
var ticketSQL = &sqlstore.TicketSQL{
	FieldValues: `(SELECT COALESCE(json_agg(json_build_array(v.field_id, v.value) ORDER BY v.field_id), '[]')::text
		FROM ticket_field_values v WHERE v.ticket_id = t.id)`,
	TextFrom:  "tickets t",
	TextOrder: " ORDER BY t.id DESC",
	TextMatch: "to_tsvector('simple', t.title || ' ' || t.message) @@ to_tsquery('simple', ?)",
	TextQuery: func(words []string) string {
		// Words hold letters and digits only, so none is tsquery syntax.
		return strings.Join(words, " & ")
	},
}

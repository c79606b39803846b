package sqlite

import (
	"strings"

	"openboards/internal/store/sqlstore"
)

// faqSQL is how SQLite reads the knowledge base. Writers take turns (one
// writer connection), so reading a topic before changing its counters
// needs no lock. A search reads the FTS5 tables of migration 0013:
// faq_topics_fts, ranked with bm25 (a title match weighs ten times one in
// the text), its snippets cut by snippet(); and, for the typo fallback,
// faq_topics_trigram.
var faqSQL = &sqlstore.FaqSQL{
	TagIDs: `(SELECT json_group_array(x.tag_id) FROM (SELECT tag_id FROM faq_topic_tags WHERE topic_id = t.id ORDER BY tag_id) x)`,
	Search: func(words []string, prefix bool, _, where string, whereArgs []any, skip, take int) (string, []any) {
		// Each word quoted, so that none is read as FTS5 syntax (words hold
		// letters and digits only, so none holds a quote); all must be
		// there, in any order; the last one also as the start of a word.
		// The Porter stemmer applies to the query as to the index, so
		// "refunds" finds "refund".
		q := make([]string, len(words))
		for i, w := range words {
			q[i] = `"` + w + `"`
		}
		if prefix {
			q[len(q)-1] += "*"
		}
		args := append([]any{strings.Join(q, " ")}, whereArgs...)
		// FTS5's functions cannot run beside a window function, so the
		// matches are ranked in a materialised subquery and counted
		// outside it.
		return `WITH m AS MATERIALIZED (
				SELECT t.id, t.is_sticky, bm25(faq_topics_fts, 10.0, 1.0) AS rank,
					snippet(faq_topics_fts, 1, char(2), char(3), '…', 24) AS snippet
				FROM faq_topics_fts JOIN faq_topics t ON t.id = faq_topics_fts.rowid
				WHERE faq_topics_fts MATCH ? AND ` + where + `)
			SELECT id, snippet, COUNT(*) OVER () FROM m ORDER BY rank, is_sticky DESC, id LIMIT ? OFFSET ?`, append(args, take, skip)
	},
	Similar: func(words []string, where string, whereArgs []any) (string, []any) {
		// Topics holding any three-letter sequence of the words, those
		// holding the most (and the rarest, in titles most) first.
		grams := sqlstore.FaqTrigrams(words)
		if len(grams) == 0 {
			return "", nil
		}
		for i, g := range grams {
			grams[i] = `"` + g + `"`
		}
		args := append([]any{strings.Join(grams, " OR ")}, whereArgs...)
		return `SELECT t.title, t.text FROM faq_topics_trigram JOIN faq_topics t ON t.id = faq_topics_trigram.rowid
			WHERE faq_topics_trigram MATCH ? AND ` + where + `
			ORDER BY bm25(faq_topics_trigram, 10.0, 1.0), t.id LIMIT 200`, args
	},
}

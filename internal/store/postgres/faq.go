package postgres

import (
	"encoding/json"
	"strings"

	"openboards/internal/openboards"
	"openboards/internal/store/sqlstore"
)

// faqConfigs are the text search configurations of faq_search_config
// (migration 0012) by language code; every other language is 'simple'.
var faqConfigs = map[string]string{
	"en": "english", "da": "danish", "nb": "norwegian", "nn": "norwegian", "no": "norwegian",
	"sv": "swedish", "fi": "finnish", "de": "german",
}

// faqConfigList is every configuration a topic can have, in a fixed
// order.
var faqConfigList = []string{"english", "danish", "norwegian", "swedish", "finnish", "german", "simple"}

// faqHeadline is ts_headline's options: the matched words between the
// snippet marks, and about as many words as SQLite's snippet gives.
var faqHeadline = "StartSel=" + openboards.SnippetStart + ", StopSel=" + openboards.SnippetEnd + ", MinWords=12, MaxWords=24"

// faqSQL is how PostgreSQL reads the knowledge base. Writers run side by
// side, so a write that reads a topic before changing its counters locks
// its row first (FOR UPDATE).
//
// A search matches the topics' stored search_vector (title weight A, text
// weight B, in the configuration of the topic's language) with a query
// parsed by that same configuration: one condition per configuration,
// each of which the GIN index answers, since a query parsed per row could
// not use it. ts_rank_cd ranks a title match ten times one in the text;
// ts_headline cuts the snippets, for the page asked only. The typo
// fallback compares the words with pg_trgm's word_similarity; it reads
// every topic of the instance, which no index narrows, but runs only when
// the search found nothing.
var faqSQL = &sqlstore.FaqSQL{
	ForUpdate: " FOR UPDATE",
	TagIDs:    `(SELECT COALESCE(json_agg(x.tag_id ORDER BY x.tag_id), '[]')::text FROM faq_topic_tags x WHERE x.topic_id = t.id)`,
	Search: func(words []string, prefix bool, language, where string, whereArgs []any, skip, take int) (string, []any) {
		// Words hold letters and digits only, so none is tsquery syntax;
		// all must be there, the last one also as the start of a word.
		// (websearch_to_tsquery would read quotes, "or" and "-" in the
		// user's text as operators, which a help centre's visitors do not
		// mean.)
		query := strings.Join(words, " & ")
		if prefix {
			query += ":*"
		}
		configs := faqConfigList
		if language != "" {
			configs = []string{faqConfig(language)}
		}
		// The arguments in the order of their placeholders.
		args := []any{query, faqHeadline, query}
		var match []string
		for _, cfg := range configs {
			match = append(match, `(t.search_config = '`+cfg+`'::regconfig AND t.search_vector @@ to_tsquery('`+cfg+`', ?))`)
			args = append(args, query)
		}
		args = append(args, whereArgs...)
		args = append(args, take, skip)
		return `SELECT m.id, ts_headline(m.search_config, m.text, to_tsquery(m.search_config, ?), ?), m.total FROM (
				SELECT t.id, t.search_config, t.text, t.is_sticky, COUNT(*) OVER () AS total,
					ts_rank_cd('{0.1, 0.1, 0.1, 1.0}', t.search_vector, to_tsquery(t.search_config, ?)) AS rank
				FROM faq_topics t
				WHERE (` + strings.Join(match, " OR ") + `) AND ` + where + `
				ORDER BY rank DESC, t.is_sticky DESC, t.id LIMIT ? OFFSET ?
			) m ORDER BY m.rank DESC, m.is_sticky DESC, m.id`, args
	},
	Similar: func(words []string, where string, whereArgs []any) (string, []any) {
		list := `(SELECT jsonb_array_elements_text(?::jsonb) AS word)`
		args := append([]any{}, whereArgs...)
		args = append(args, jsonWords(words), jsonWords(words))
		return `SELECT t.title, t.text FROM faq_topics t
			WHERE ` + where + ` AND EXISTS (SELECT 1 FROM ` + list + ` w WHERE word_similarity(w.word, t.title || ' ' || t.text) >= 0.3)
			ORDER BY (SELECT max(word_similarity(w.word, t.title || ' ' || t.text)) FROM ` + list + ` w) DESC, t.id LIMIT 200`, args
	},
}

// faqConfig is the text search configuration of a language code.
func faqConfig(language string) string {
	if cfg, ok := faqConfigs[language]; ok {
		return cfg
	}
	return "simple"
}

// jsonWords is words as a JSON array parameter.
func jsonWords(words []string) string {
	b, _ := json.Marshal(words)
	return string(b)
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strings"

	"openboards/internal/openboards"
)

// FaqSQL is what the knowledge base's statements spell differently per
// database: row locks, the JSON aggregate of a topic's tags, and the
// search, which each database runs on its own full-text index. Each
// backend declares its own, with the reasons, in its Dialect.
type FaqSQL struct {
	// ForUpdate ends the statements that read a topic whose counters the
	// transaction is about to change: " FOR UPDATE" where writers run side
	// by side, so that two votes on a topic take turns and neither's
	// change of the counters is lost; "" where writers take turns anyway.
	ForUpdate string
	// TagIDs is a scalar sub-select of topic t's tag ids as JSON text,
	// ordered by id.
	TagIDs string
	// Search builds the ranked search of topics t that satisfy where
	// (parameters whereArgs) and hold every one of words (lower-case
	// letters and digits) in their title or text, the last one as the
	// start of a word when prefix is set; language is the filter's ("" for
	// any). The query selects t.id, a snippet of t's text with the matched
	// words between openboards.SnippetStart and SnippetEnd, and the number
	// of topics found; best match first, then sticky topics, then by id;
	// skip and take page it.
	Search func(words []string, prefix bool, language, where string, whereArgs []any, skip, take int) (string, []any)
	// Similar builds a query selecting the title and text of at most
	// faqSimilarTopics topics t that satisfy where and have words spelt
	// like words, the most alike first, or "" when no word is long enough
	// to compare.
	Similar func(words []string, where string, whereArgs []any) (string, []any)
}

// faqSimilarTopics bounds the topics a typo fallback reads its words from.
const faqSimilarTopics = 200

// faqSimilarity is the least trigram similarity (as pg_trgm's similarity
// computes it) of a searched word and the word it is taken to mean.
const faqSimilarity = 0.3

const faqInstanceColumns = `id, name, default_language, languages, is_published, created_at, updated_at`

func scanFaqInstance(r interface{ Scan(...any) error }, communityID int64) (*openboards.FaqInstance, error) {
	in := openboards.FaqInstance{CommunityID: communityID, Languages: []string{}}
	var langs string
	var created, updated int64
	if err := r.Scan(&in.ID, &in.Name, &in.DefaultLanguage, &langs, &in.IsPublished, &created, &updated); err != nil {
		return nil, err
	}
	in.CreatedAt, in.UpdatedAt = fromNanos(created), fromNanos(updated)
	return &in, fromJSON(langs, &in.Languages)
}

// FindFaqInstances lists a community's instances by id.
func (c *Conn) FindFaqInstances(ctx context.Context, communityID int64) ([]*openboards.FaqInstance, error) {
	rows, err := c.query(ctx, `SELECT `+faqInstanceColumns+` FROM faq_instances WHERE community_id = ? ORDER BY id`, communityID)
	if err != nil {
		return nil, c.interpret(err, "find faq instances", "")
	}
	defer rows.Close()
	out := []*openboards.FaqInstance{}
	for rows.Next() {
		in, err := scanFaqInstance(rows, communityID)
		if err != nil {
			return nil, c.interpret(err, "find faq instances", "")
		}
		out = append(out, in)
	}
	return out, c.interpret(rows.Err(), "find faq instances", "")
}

// FindFaqInstance returns one instance.
func (c *Conn) FindFaqInstance(ctx context.Context, communityID, id int64) (*openboards.FaqInstance, error) {
	in, err := scanFaqInstance(c.queryRow(ctx, `SELECT `+faqInstanceColumns+` FROM faq_instances WHERE community_id = ? AND id = ?`, communityID, id), communityID)
	return in, c.interpret(err, "find faq instance", "faq instance %d not found", id)
}

// CreateFaqInstance stores a new instance and sets its ID.
func (c *Tx) CreateFaqInstance(ctx context.Context, in *openboards.FaqInstance) error {
	err := c.queryRow(ctx, `INSERT INTO faq_instances (community_id, name, default_language, languages, is_published, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		in.CommunityID, in.Name, in.DefaultLanguage, jsonText(in.Languages), in.IsPublished, nanos(in.CreatedAt), nanos(in.UpdatedAt)).Scan(&in.ID)
	return c.interpret(err, "create faq instance", "")
}

// UpdateFaqInstance stores in's name, languages, publication and update
// time.
func (c *Tx) UpdateFaqInstance(ctx context.Context, in *openboards.FaqInstance) error {
	res, err := c.exec(ctx, `UPDATE faq_instances SET name = ?, default_language = ?, languages = ?, is_published = ?, updated_at = ?
		WHERE community_id = ? AND id = ?`,
		in.Name, in.DefaultLanguage, jsonText(in.Languages), in.IsPublished, nanos(in.UpdatedAt), in.CommunityID, in.ID)
	return c.interpret(affected(res, err, "faq instance %d not found", in.ID), "update faq instance", "")
}

// DeleteFaqInstance removes an instance; its categories, topics, tags and
// votes go with it (ON DELETE CASCADE).
func (c *Tx) DeleteFaqInstance(ctx context.Context, communityID, id int64) error {
	res, err := c.exec(ctx, `DELETE FROM faq_instances WHERE community_id = ? AND id = ?`, communityID, id)
	return c.interpret(affected(res, err, "faq instance %d not found", id), "delete faq instance", "")
}

// findFaqInstanceID reports CodeNotFound unless the community has the
// instance.
func (c *Conn) findFaqInstanceID(ctx context.Context, communityID, id int64, op string) error {
	var found int64
	err := c.queryRow(ctx, `SELECT id FROM faq_instances WHERE community_id = ? AND id = ?`, communityID, id).Scan(&found)
	return c.interpret(err, op, "faq instance %d not found", id)
}

const faqCategoryColumns = `id, instance_id, title, description, image_link, is_published, is_sticky, position, language, creator_id,
	created_at, updated_at, active_topic_count, published_topic_count, total_usefulness, view_count`

func scanFaqCategory(r interface{ Scan(...any) error }, communityID int64) (*openboards.FaqCategory, error) {
	cat := openboards.FaqCategory{CommunityID: communityID}
	var image sql.NullString
	var created, updated int64
	if err := r.Scan(&cat.ID, &cat.InstanceID, &cat.Title, &cat.Description, &image, &cat.IsPublished, &cat.IsSticky, &cat.Position,
		&cat.Language, &cat.CreatorID, &created, &updated,
		&cat.ActiveTopicCount, &cat.PublishedTopicCount, &cat.TotalUsefulness, &cat.ViewCount); err != nil {
		return nil, err
	}
	cat.ImageLink = nullString(image)
	cat.CreatedAt, cat.UpdatedAt = fromNanos(created), fromNanos(updated)
	return &cat, nil
}

// FindFaqCategories lists an instance's categories by position, then id.
func (c *Conn) FindFaqCategories(ctx context.Context, communityID, instanceID int64, language string, publishedOnly bool) ([]*openboards.FaqCategory, error) {
	q := `SELECT ` + faqCategoryColumns + ` FROM faq_categories WHERE community_id = ? AND instance_id = ?`
	args := []any{communityID, instanceID}
	if language != "" {
		q += ` AND language = ?`
		args = append(args, language)
	}
	if publishedOnly {
		q += ` AND is_published`
	}
	rows, err := c.query(ctx, q+` ORDER BY position, id`, args...)
	if err != nil {
		return nil, c.interpret(err, "find faq categories", "")
	}
	defer rows.Close()
	out := []*openboards.FaqCategory{}
	for rows.Next() {
		cat, err := scanFaqCategory(rows, communityID)
		if err != nil {
			return nil, c.interpret(err, "find faq categories", "")
		}
		out = append(out, cat)
	}
	return out, c.interpret(rows.Err(), "find faq categories", "")
}

// FindFaqCategory returns one category with its counters.
func (c *Conn) FindFaqCategory(ctx context.Context, communityID, id int64) (*openboards.FaqCategory, error) {
	cat, err := scanFaqCategory(c.queryRow(ctx, `SELECT `+faqCategoryColumns+` FROM faq_categories WHERE community_id = ? AND id = ?`, communityID, id), communityID)
	return cat, c.interpret(err, "find faq category", "faq category %d not found", id)
}

// CreateFaqCategory stores a new category of the instance c.InstanceID,
// with its counters at zero, and sets its ID.
func (c *Tx) CreateFaqCategory(ctx context.Context, cat *openboards.FaqCategory) error {
	if err := c.findFaqInstanceID(ctx, cat.CommunityID, cat.InstanceID, "create faq category"); err != nil {
		return err
	}
	err := c.queryRow(ctx, `INSERT INTO faq_categories (community_id, instance_id, title, description, image_link, is_published, is_sticky,
			position, language, creator_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		cat.CommunityID, cat.InstanceID, cat.Title, cat.Description, cat.ImageLink, cat.IsPublished, cat.IsSticky,
		cat.Position, cat.Language, cat.CreatorID, nanos(cat.CreatedAt), nanos(cat.UpdatedAt)).Scan(&cat.ID)
	cat.ActiveTopicCount, cat.PublishedTopicCount, cat.TotalUsefulness, cat.ViewCount = 0, 0, 0, 0
	return c.interpret(err, "create faq category", "")
}

// UpdateFaqCategory stores cat's editable fields; its instance, creator
// and counters stay.
func (c *Tx) UpdateFaqCategory(ctx context.Context, cat *openboards.FaqCategory) error {
	res, err := c.exec(ctx, `UPDATE faq_categories SET title = ?, description = ?, image_link = ?, is_published = ?, is_sticky = ?,
			position = ?, language = ?, updated_at = ? WHERE community_id = ? AND id = ?`,
		cat.Title, cat.Description, cat.ImageLink, cat.IsPublished, cat.IsSticky, cat.Position, cat.Language, nanos(cat.UpdatedAt),
		cat.CommunityID, cat.ID)
	return c.interpret(affected(res, err, "faq category %d not found", cat.ID), "update faq category", "")
}

// DeleteFaqCategory removes a category; its topics, their tag links and
// votes go with it (ON DELETE CASCADE).
func (c *Tx) DeleteFaqCategory(ctx context.Context, communityID, id int64) error {
	res, err := c.exec(ctx, `DELETE FROM faq_categories WHERE community_id = ? AND id = ?`, communityID, id)
	return c.interpret(affected(res, err, "faq category %d not found", id), "delete faq category", "")
}

// FindFaqTags lists an instance's tags by name (case-insensitive), then id.
func (c *Conn) FindFaqTags(ctx context.Context, communityID, instanceID int64) ([]*openboards.FaqTag, error) {
	rows, err := c.query(ctx, `SELECT id, name FROM faq_tags WHERE community_id = ? AND instance_id = ? ORDER BY name_key, id`, communityID, instanceID)
	if err != nil {
		return nil, c.interpret(err, "find faq tags", "")
	}
	defer rows.Close()
	out := []*openboards.FaqTag{}
	for rows.Next() {
		t := openboards.FaqTag{CommunityID: communityID, InstanceID: instanceID}
		if err := rows.Scan(&t.ID, &t.Name); err != nil {
			return nil, c.interpret(err, "find faq tags", "")
		}
		out = append(out, &t)
	}
	return out, c.interpret(rows.Err(), "find faq tags", "")
}

// CreateFaqTag stores a new tag and sets its ID; CodeConflict when the
// instance has a tag of that name in any case.
func (c *Tx) CreateFaqTag(ctx context.Context, t *openboards.FaqTag) error {
	if err := c.findFaqInstanceID(ctx, t.CommunityID, t.InstanceID, "create faq tag"); err != nil {
		return err
	}
	err := c.queryRow(ctx, `INSERT INTO faq_tags (community_id, instance_id, name, name_key) VALUES (?, ?, ?, ?) RETURNING id`,
		t.CommunityID, t.InstanceID, t.Name, strings.ToLower(t.Name)).Scan(&t.ID)
	return c.interpret(err, "create faq tag", "")
}

// DeleteFaqTag removes a tag from the instance and its topics.
func (c *Tx) DeleteFaqTag(ctx context.Context, communityID, id int64) error {
	res, err := c.exec(ctx, `DELETE FROM faq_tags WHERE community_id = ? AND id = ?`, communityID, id)
	return c.interpret(affected(res, err, "faq tag %d not found", id), "delete faq tag", "")
}

// faqTopicColumns reads topic t; tagIDs is FaqSQL.TagIDs.
func faqTopicColumns(tagIDs string) string {
	return `t.id, t.instance_id, t.category_id, t.title, t.content, t.text, t.banner_image_link, t.attachments, t.is_published, t.is_sticky,
	t.language, t.template_type, ` + tagIDs + `, t.creator_id, t.created_at, t.updated_at, t.view_count, t.useful_count, t.not_useful_count`
}

func scanFaqTopic(r interface{ Scan(...any) error }, communityID int64) (*openboards.FaqTopic, error) {
	t := openboards.FaqTopic{CommunityID: communityID, Attachments: []openboards.Attachment{}, TagIDs: []int64{}}
	var banner sql.NullString
	var attachments, tags string
	var created, updated int64
	if err := r.Scan(&t.ID, &t.InstanceID, &t.CategoryID, &t.Title, &t.Content, &t.Text, &banner, &attachments, &t.IsPublished, &t.IsSticky,
		&t.Language, &t.TemplateType, &tags, &t.CreatorID, &created, &updated, &t.ViewCount, &t.UsefulCount, &t.NotUsefulCount); err != nil {
		return nil, err
	}
	t.BannerImageLink = nullString(banner)
	t.CreatedAt, t.UpdatedAt = fromNanos(created), fromNanos(updated)
	if err := fromJSON(attachments, &t.Attachments); err != nil {
		return nil, err
	}
	return &t, fromJSON(tags, &t.TagIDs)
}

// FindFaqTopic returns one topic with its tag ids and counters.
func (c *Conn) FindFaqTopic(ctx context.Context, communityID, id int64) (*openboards.FaqTopic, error) {
	t, err := scanFaqTopic(c.queryRow(ctx, `SELECT `+faqTopicColumns(c.d.Faq.TagIDs)+` FROM faq_topics t WHERE t.community_id = ? AND t.id = ?`,
		communityID, id), communityID)
	return t, c.interpret(err, "find faq topic", "faq topic %d not found", id)
}

// faqTopicWhere is the condition on topics t that f selects, from fixed
// fragments.
func (c *Conn) faqTopicWhere(f openboards.FaqTopicFilter) (string, []any) {
	var b strings.Builder
	b.WriteString(`t.community_id = ? AND t.instance_id = ?`)
	args := []any{f.CommunityID, f.InstanceID}
	if f.CategoryID != nil {
		b.WriteString(` AND t.category_id = ?`)
		args = append(args, *f.CategoryID)
	}
	if tags := uniqueIDs(f.TagIDs); len(tags) > 0 {
		b.WriteString(` AND (SELECT COUNT(*) FROM faq_topic_tags x WHERE x.topic_id = t.id AND x.tag_id IN (` + c.d.IntList + `)) = ?`)
		args = append(args, jsonText(tags), len(tags))
	}
	if f.Language != "" {
		b.WriteString(` AND t.language = ?`)
		args = append(args, f.Language)
	}
	if f.PublishedOnly {
		b.WriteString(` AND t.is_published AND EXISTS (SELECT 1 FROM faq_categories c WHERE c.id = t.category_id AND c.is_published)`)
	}
	return b.String(), args
}

// faqOrder is the ORDER BY of a topic list: sticky topics first, then by
// the sort order, then by id.
func faqOrder(sortBy string) string {
	var key string
	switch sortBy {
	case openboards.FaqSortMostUseful:
		key = `t.useful_count - t.not_useful_count DESC`
	case openboards.FaqSortNewest:
		key = `t.created_at DESC`
	case openboards.FaqSortLastUpdated:
		key = `t.updated_at DESC`
	case openboards.FaqSortAlphabetical:
		// lower() folds ASCII letters on SQLite and every letter on
		// PostgreSQL; titles that differ beyond that may sort apart.
		key = `lower(t.title)`
	default:
		key = `t.view_count DESC`
	}
	return ` ORDER BY t.is_sticky DESC, ` + key + `, t.id`
}

// pageLimit is the LIMIT of a page of take rows; take 0 (or less) means
// every row.
func pageLimit(take int) int {
	if take <= 0 {
		return math.MaxInt32
	}
	return take
}

// FindFaqTopics lists the topics f selects, sticky ones first, and how
// many it selects without Skip and Take.
func (c *Conn) FindFaqTopics(ctx context.Context, f openboards.FaqTopicFilter) ([]*openboards.FaqTopic, int, error) {
	where, args := c.faqTopicWhere(f)
	rows, err := c.query(ctx, `SELECT `+faqTopicColumns(c.d.Faq.TagIDs)+`, COUNT(*) OVER () FROM faq_topics t WHERE `+where+faqOrder(f.SortBy)+
		` LIMIT ? OFFSET ?`, append(args, pageLimit(f.Take), max(f.Skip, 0))...)
	if err != nil {
		return nil, 0, c.interpret(err, "find faq topics", "")
	}
	defer rows.Close()
	out := []*openboards.FaqTopic{}
	total := 0
	for rows.Next() {
		t, err := scanFaqTopic(totalScanner{rows, &total}, f.CommunityID)
		if err != nil {
			return nil, 0, c.interpret(err, "find faq topics", "")
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, c.interpret(err, "find faq topics", "")
	}
	if len(out) == 0 && f.Skip > 0 {
		// A page past the end has no row to carry the total.
		err := c.queryRow(ctx, `SELECT COUNT(*) FROM faq_topics t WHERE `+where, args...).Scan(&total)
		if err != nil {
			return nil, 0, c.interpret(err, "count faq topics", "")
		}
	}
	return out, total, nil
}

// totalScanner scans a row whose last column is a COUNT(*) OVER () into
// total, and the others as the wrapped scan asks.
type totalScanner struct {
	r     interface{ Scan(...any) error }
	total *int
}

func (s totalScanner) Scan(dest ...any) error { return s.r.Scan(append(dest, s.total)...) }

// SearchFaqTopics ranks the topics f selects by how well they match
// f.Text (see FaqSQL.Search). When nothing matches, each word is taken to
// mean the most similarly spelt word of the topics that share the most
// trigrams with the search (FaqSQL.Similar), and those words are searched
// for instead, whole.
func (c *Conn) SearchFaqTopics(ctx context.Context, f openboards.FaqSearch) ([]openboards.FaqHit, int, error) {
	words := searchWords(f.Text)
	if len(words) == 0 {
		return []openboards.FaqHit{}, 0, nil
	}
	hits, total, err := c.searchFaq(ctx, f, words, true)
	if err != nil || total > 0 {
		return hits, total, err
	}
	if n, err := c.countFaq(ctx, f, words, true); err != nil || n > 0 {
		return hits, n, err // a page past the end of what was found
	}
	similar, err := c.similarFaqWords(ctx, f, words)
	if err != nil || similar == nil {
		return []openboards.FaqHit{}, 0, err
	}
	hits, total, err = c.searchFaq(ctx, f, similar, false)
	if err != nil || total > 0 {
		return hits, total, err
	}
	total, err = c.countFaq(ctx, f, similar, false)
	return hits, total, err
}

// countFaq counts what the search of words finds when f's page is past
// its end, which has no row to carry the count; 0 for a first page.
func (c *Conn) countFaq(ctx context.Context, f openboards.FaqSearch, words []string, prefix bool) (int, error) {
	if f.Skip <= 0 {
		return 0, nil
	}
	f.Skip, f.Take = 0, 1
	_, total, err := c.searchFaq(ctx, f, words, prefix)
	return total, err
}

func (c *Conn) searchFaq(ctx context.Context, f openboards.FaqSearch, words []string, prefix bool) ([]openboards.FaqHit, int, error) {
	where, args := c.faqTopicWhere(f.FaqTopicFilter)
	q, qargs := c.d.Faq.Search(words, prefix, f.Language, where, args, max(f.Skip, 0), pageLimit(f.Take))
	rows, err := c.query(ctx, q, qargs...)
	if err != nil {
		return nil, 0, c.interpret(err, "search faq topics", "")
	}
	defer rows.Close()
	var ids []int64
	snippets := map[int64]string{}
	total := 0
	for rows.Next() {
		var id int64
		var snippet sql.NullString
		if err := rows.Scan(&id, &snippet, &total); err != nil {
			return nil, 0, c.interpret(err, "search faq topics", "")
		}
		ids = append(ids, id)
		snippets[id] = snippet.String
	}
	if err := rows.Err(); err != nil {
		return nil, 0, c.interpret(err, "search faq topics", "")
	}
	rows.Close()
	hits := make([]openboards.FaqHit, 0, len(ids))
	if len(ids) == 0 {
		return hits, total, nil
	}
	topics, err := c.findFaqTopicsByID(ctx, f.CommunityID, ids)
	if err != nil {
		return nil, 0, err
	}
	for _, id := range ids {
		// A topic deleted between the two reads (outside a transaction)
		// is left out.
		if t := topics[id]; t != nil {
			hits = append(hits, openboards.FaqHit{Topic: t, Snippet: snippets[id]})
		}
	}
	return hits, total, nil
}

func (c *Conn) findFaqTopicsByID(ctx context.Context, communityID int64, ids []int64) (map[int64]*openboards.FaqTopic, error) {
	rows, err := c.query(ctx, `SELECT `+faqTopicColumns(c.d.Faq.TagIDs)+` FROM faq_topics t WHERE t.community_id = ? AND t.id IN (`+c.d.IntList+`)`,
		communityID, jsonText(ids))
	if err != nil {
		return nil, c.interpret(err, "find faq topics", "")
	}
	defer rows.Close()
	out := make(map[int64]*openboards.FaqTopic, len(ids))
	for rows.Next() {
		t, err := scanFaqTopic(rows, communityID)
		if err != nil {
			return nil, c.interpret(err, "find faq topics", "")
		}
		out[t.ID] = t
	}
	return out, c.interpret(rows.Err(), "find faq topics", "")
}

// similarFaqWords returns, for each of words, the most similarly spelt
// word of the topics FaqSQL.Similar finds, or nil when a word has none
// similar enough or the words found are the words searched.
func (c *Conn) similarFaqWords(ctx context.Context, f openboards.FaqSearch, words []string) ([]string, error) {
	where, args := c.faqTopicWhere(f.FaqTopicFilter)
	q, qargs := c.d.Faq.Similar(words, where, args)
	if q == "" {
		return nil, nil
	}
	rows, err := c.query(ctx, q, qargs...)
	if err != nil {
		return nil, c.interpret(err, "search faq topics", "")
	}
	defer rows.Close()
	vocabulary := map[string]int{}
	for rows.Next() {
		var title, text string
		if err := rows.Scan(&title, &text); err != nil {
			return nil, c.interpret(err, "search faq topics", "")
		}
		for _, w := range searchWords(title + " " + text) {
			vocabulary[w]++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, c.interpret(err, "search faq topics", "")
	}
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = mostSimilar(w, vocabulary)
		if out[i] == "" {
			return nil, nil
		}
	}
	if slices.Equal(out, words) {
		return nil, nil
	}
	return out, nil
}

// mostSimilar returns the word of vocabulary (word → occurrences) most
// similar to w, at least faqSimilarity; among equals the more frequent,
// then the first in byte order.
func mostSimilar(w string, vocabulary map[string]int) string {
	tw := trigrams(w)
	best, bestSim, bestN := "", 0.0, 0
	for v, n := range vocabulary {
		s := trigramSimilarity(tw, trigrams(v))
		if s < faqSimilarity {
			continue
		}
		if s > bestSim || (s == bestSim && (n > bestN || (n == bestN && v < best))) {
			best, bestSim, bestN = v, s, n
		}
	}
	return best
}

// trigrams returns the trigrams of a word as pg_trgm takes them: of the
// word with two spaces before it and one after, so that its start and end
// count.
func trigrams(w string) map[string]bool {
	r := []rune("  " + w + " ")
	out := make(map[string]bool, len(r))
	for i := 0; i+3 <= len(r); i++ {
		out[string(r[i:i+3])] = true
	}
	return out
}

// trigramSimilarity is pg_trgm's similarity: the trigrams two words share
// over the trigrams of either.
func trigramSimilarity(a, b map[string]bool) float64 {
	shared := 0
	for g := range a {
		if b[g] {
			shared++
		}
	}
	all := len(a) + len(b) - shared
	if all == 0 {
		return 0
	}
	return float64(shared) / float64(all)
}

// FaqTrigrams returns the distinct trigrams inside words (without the
// padding of trigrams), in order, for an index of three-letter sequences;
// words shorter than three letters have none.
func FaqTrigrams(words []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range words {
		r := []rune(w)
		for i := 0; i+3 <= len(r); i++ {
			g := string(r[i : i+3])
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	return out
}

// uniqueIDs returns ids without repeats, in order.
func uniqueIDs(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// findFaqCategoryInstance returns the instance of the community's category
// id; CodeNotFound when it has none.
func (c *Tx) findFaqCategoryInstance(ctx context.Context, communityID, id int64, op string) (int64, error) {
	var instanceID int64
	err := c.queryRow(ctx, `SELECT instance_id FROM faq_categories WHERE community_id = ? AND id = ?`, communityID, id).Scan(&instanceID)
	return instanceID, c.interpret(err, op, "faq category %d not found", id)
}

// setFaqTopicTags links topic t to its tags, which must be tags of its
// instance.
func (c *Tx) setFaqTopicTags(ctx context.Context, t *openboards.FaqTopic, op string) error {
	tags := uniqueIDs(t.TagIDs)
	if len(tags) == 0 {
		return nil
	}
	res, err := c.exec(ctx, `INSERT INTO faq_topic_tags (topic_id, tag_id, community_id)
		SELECT CAST(? AS BIGINT), id, community_id FROM faq_tags WHERE community_id = ? AND instance_id = ? AND id IN (`+c.d.IntList+`)`,
		t.ID, t.CommunityID, t.InstanceID, jsonText(tags))
	if err != nil {
		return c.interpret(err, op, "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return c.interpret(err, op, "")
	}
	if int(n) != len(tags) {
		return openboards.Errorf(openboards.CodeNotFound, "the faq instance has not every tag of %v", tags)
	}
	return nil
}

// faqCounts are the counters a topic adds to its category.
type faqCounts struct {
	topics, published, usefulness, views int
}

func topicCounts(published bool, useful, notUseful, views int) faqCounts {
	p := 0
	if published {
		p = 1
	}
	return faqCounts{topics: 1, published: p, usefulness: useful - notUseful, views: views}
}

// addFaqCounts adds n (or, with sign -1, takes it) to a category's
// counters.
func (c *Tx) addFaqCounts(ctx context.Context, categoryID int64, n faqCounts, sign int, op string) error {
	if n == (faqCounts{}) {
		return nil
	}
	_, err := c.exec(ctx, `UPDATE faq_categories SET active_topic_count = active_topic_count + ?, published_topic_count = published_topic_count + ?,
		total_usefulness = total_usefulness + ?, view_count = view_count + ? WHERE id = ?`,
		sign*n.topics, sign*n.published, sign*n.usefulness, sign*n.views, categoryID)
	return c.interpret(err, op, "")
}

// CreateFaqTopic stores a new topic of the category t.CategoryID, with its
// counters at zero, links its tags, counts it in its category and sets its
// ID and InstanceID.
func (c *Tx) CreateFaqTopic(ctx context.Context, t *openboards.FaqTopic) error {
	const op = "create faq topic"
	instanceID, err := c.findFaqCategoryInstance(ctx, t.CommunityID, t.CategoryID, op)
	if err != nil {
		return err
	}
	if t.InstanceID != 0 && t.InstanceID != instanceID {
		return openboards.Errorf(openboards.CodeNotFound, "faq category %d not found", t.CategoryID)
	}
	t.InstanceID = instanceID
	t.ViewCount, t.UsefulCount, t.NotUsefulCount = 0, 0, 0
	err = c.queryRow(ctx, `INSERT INTO faq_topics (community_id, instance_id, category_id, title, content, text, banner_image_link, attachments,
			is_published, is_sticky, language, template_type, creator_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.CommunityID, t.InstanceID, t.CategoryID, t.Title, t.Content, t.Text, t.BannerImageLink, jsonText(t.Attachments),
		t.IsPublished, t.IsSticky, t.Language, t.TemplateType, t.CreatorID, nanos(t.CreatedAt), nanos(t.UpdatedAt)).Scan(&t.ID)
	if err != nil {
		return c.interpret(err, op, "")
	}
	if err := c.setFaqTopicTags(ctx, t, op); err != nil {
		return err
	}
	return c.addFaqCounts(ctx, t.CategoryID, topicCounts(t.IsPublished, 0, 0, 0), 1, op)
}

// storedFaqTopic is what a write reads of a topic before changing it.
type storedFaqTopic struct {
	instanceID, categoryID   int64
	published                bool
	views, useful, notUseful int
}

// lockFaqTopic reads (and where writers run side by side, locks) the
// community's topic id.
func (c *Tx) lockFaqTopic(ctx context.Context, communityID, id int64, op string) (storedFaqTopic, error) {
	var s storedFaqTopic
	err := c.queryRow(ctx, `SELECT instance_id, category_id, is_published, view_count, useful_count, not_useful_count
		FROM faq_topics WHERE community_id = ? AND id = ?`+c.d.Faq.ForUpdate, communityID, id).
		Scan(&s.instanceID, &s.categoryID, &s.published, &s.views, &s.useful, &s.notUseful)
	return s, c.interpret(err, op, "faq topic %d not found", id)
}

// UpdateFaqTopic stores t's editable fields and tags; its instance,
// creator, creation time and counters stay (t's counters are set to the
// stored ones). A topic moved to another category of its instance takes
// its counts along; a change of publication changes its category's count.
func (c *Tx) UpdateFaqTopic(ctx context.Context, t *openboards.FaqTopic) error {
	const op = "update faq topic"
	old, err := c.lockFaqTopic(ctx, t.CommunityID, t.ID, op)
	if err != nil {
		return err
	}
	if t.CategoryID != old.categoryID {
		instanceID, err := c.findFaqCategoryInstance(ctx, t.CommunityID, t.CategoryID, op)
		if err != nil {
			return err
		}
		if instanceID != old.instanceID {
			return openboards.Errorf(openboards.CodeNotFound, "faq category %d not found", t.CategoryID)
		}
	}
	t.InstanceID = old.instanceID
	t.ViewCount, t.UsefulCount, t.NotUsefulCount = old.views, old.useful, old.notUseful
	_, err = c.exec(ctx, `UPDATE faq_topics SET category_id = ?, title = ?, content = ?, text = ?, banner_image_link = ?, attachments = ?,
			is_published = ?, is_sticky = ?, language = ?, template_type = ?, updated_at = ? WHERE community_id = ? AND id = ?`,
		t.CategoryID, t.Title, t.Content, t.Text, t.BannerImageLink, jsonText(t.Attachments),
		t.IsPublished, t.IsSticky, t.Language, t.TemplateType, nanos(t.UpdatedAt), t.CommunityID, t.ID)
	if err != nil {
		return c.interpret(err, op, "")
	}
	if _, err := c.exec(ctx, `DELETE FROM faq_topic_tags WHERE community_id = ? AND topic_id = ?`, t.CommunityID, t.ID); err != nil {
		return c.interpret(err, op, "")
	}
	if err := c.setFaqTopicTags(ctx, t, op); err != nil {
		return err
	}
	before := topicCounts(old.published, old.useful, old.notUseful, old.views)
	after := topicCounts(t.IsPublished, old.useful, old.notUseful, old.views)
	if t.CategoryID == old.categoryID {
		return c.addFaqCounts(ctx, t.CategoryID, faqCounts{published: after.published - before.published}, 1, op)
	}
	// The two categories' rows are updated in id order, so that two moves
	// in opposite directions lock them in the same order.
	if old.categoryID < t.CategoryID {
		if err := c.addFaqCounts(ctx, old.categoryID, before, -1, op); err != nil {
			return err
		}
		return c.addFaqCounts(ctx, t.CategoryID, after, 1, op)
	}
	if err := c.addFaqCounts(ctx, t.CategoryID, after, 1, op); err != nil {
		return err
	}
	return c.addFaqCounts(ctx, old.categoryID, before, -1, op)
}

// DeleteFaqTopic removes a topic, its tag links and votes, and its counts
// from its category.
func (c *Tx) DeleteFaqTopic(ctx context.Context, communityID, id int64) error {
	const op = "delete faq topic"
	old, err := c.lockFaqTopic(ctx, communityID, id, op)
	if err != nil {
		return err
	}
	if _, err := c.exec(ctx, `DELETE FROM faq_topics WHERE community_id = ? AND id = ?`, communityID, id); err != nil {
		return c.interpret(err, op, "")
	}
	return c.addFaqCounts(ctx, old.categoryID, topicCounts(old.published, old.useful, old.notUseful, old.views), -1, op)
}

// PutFaqVote records v, replacing the voter's earlier vote on the topic,
// and moves the topic's and its category's counters by the difference.
// The topic's row is read first (and locked where writers run side by
// side), so that votes on one topic take turns.
func (c *Tx) PutFaqVote(ctx context.Context, v *openboards.FaqVote) error {
	const op = "put faq vote"
	topic, err := c.lockFaqTopic(ctx, v.CommunityID, v.TopicID, op)
	if err != nil {
		return err
	}
	var earlier bool
	err = c.queryRow(ctx, `SELECT is_useful FROM faq_votes WHERE topic_id = ? AND voter = ?`, v.TopicID, v.Voter).Scan(&earlier)
	had := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return c.interpret(err, op, "")
	}
	_, err = c.exec(ctx, `INSERT INTO faq_votes (topic_id, voter, community_id, is_useful, downvote_reason, comment, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (topic_id, voter) DO UPDATE SET is_useful = excluded.is_useful, downvote_reason = excluded.downvote_reason,
			comment = excluded.comment, created_at = excluded.created_at`,
		v.TopicID, v.Voter, v.CommunityID, v.IsUseful, v.DownvoteReason, v.Comment, nanos(v.CreatedAt))
	if err != nil {
		return c.interpret(err, op, "")
	}
	var useful, notUseful int
	if had {
		if earlier {
			useful--
		} else {
			notUseful--
		}
	}
	if v.IsUseful {
		useful++
	} else {
		notUseful++
	}
	if useful == 0 && notUseful == 0 {
		return nil
	}
	_, err = c.exec(ctx, `UPDATE faq_topics SET useful_count = useful_count + ?, not_useful_count = not_useful_count + ? WHERE id = ?`,
		useful, notUseful, v.TopicID)
	if err != nil {
		return c.interpret(err, op, "")
	}
	return c.addFaqCounts(ctx, topic.categoryID, faqCounts{usefulness: useful - notUseful}, 1, op)
}

// AddFaqView counts one view of a topic in it and its category. Each
// counter is one increment in place, which concurrent views cannot lose.
func (c *Tx) AddFaqView(ctx context.Context, communityID, topicID int64) error {
	const op = "add faq view"
	var categoryID int64
	err := c.queryRow(ctx, `UPDATE faq_topics SET view_count = view_count + 1 WHERE community_id = ? AND id = ? RETURNING category_id`,
		communityID, topicID).Scan(&categoryID)
	if err != nil {
		return c.interpret(err, op, "faq topic %d not found", topicID)
	}
	return c.addFaqCounts(ctx, categoryID, faqCounts{views: 1}, 1, op)
}

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"sync"
	"unicode"

	"openboards/internal/openboards"
)

// TicketSQL is what ticket reads spell differently per database; each
// backend declares its own in its package, with the reason, and passes it
// to New. A ticket is read with its
// custom field values in the same statement (one round trip per page), for
// which each database has its own JSON aggregate; and a text search runs
// on each database's own full-text index.
type TicketSQL struct {
	// FieldValues is a scalar sub-select of ticket t's custom field values
	// as JSON text: [[fieldId, "value"], ...] ordered by field id.
	FieldValues string
	// TextFrom is the FROM clause of a text search, joining the full-text
	// index and tickets t; TextOrder orders its results newest first.
	TextFrom, TextOrder string
	// TextMatch is a condition on ticket t (parameter: a search built by
	// TextQuery) that holds when its title or message has every word.
	TextMatch string
	// TextQuery builds TextMatch's parameter from lower-case words of
	// letters and digits, each to be matched as a whole word.
	TextQuery func(words []string) string
	// Packed reads a ticket's short values and its users packed into a few
	// text columns (see pack), for a driver whose cost is per column;
	// otherwise each is a column of its own.
	Packed bool

	once     sync.Once
	head     string // ticketSelect's query head
	findByID string // FindTicketByID's query
}

// ticketSelect is the query head that reads tickets with their author,
// assignee, category, draft flag and custom field values in one statement.
// Where q.Packed says so, the short values travel packed (see pack), the
// author and the assignee in one column each.
func ticketSelect(q *TicketSQL) string {
	q.once.Do(func() {
		q.head = buildTicketSelect(q)
		q.findByID = q.head + ` WHERE t.community_id = ? AND t.id = ?`
	})
	return q.head
}

func buildTicketSelect(q *TicketSQL) string {
	if !q.Packed {
		return `SELECT t.id, t.community_id, t.title, t.message, t.html_message, t.category_id, cat.name, t.status, t.sentiment,
	t.source, t.detailed_source, t.channel, t.source_name, t.original_link, t.cc, t.tags, t.attachments, t.reply_count,
	t.is_muted, t.is_spam, t.is_hidden, t.is_deleted, t.is_anonymized, t.is_sensitive, t.created_at, t.last_activity_at, t.updated_at,
	EXISTS (SELECT 1 FROM replies d WHERE d.ticket_id = t.id AND d.is_draft),
	` + q.FieldValues + `,
	a.id, a.name, a.email, a.custom_identifier, a.image, a.phone_number, a.is_bot, a.status, a.role, a.created_at,
	l.id, l.name, l.email, l.custom_identifier, l.image, l.phone_number, l.is_bot, l.status, l.role, l.created_at` + ticketFrom
	}
	return `SELECT t.id, t.community_id, t.title, t.message, t.html_message, t.status, t.cc, t.tags, t.attachments, t.reply_count,
	t.created_at, t.last_activity_at, t.updated_at, ` + ticketMeta + `, ` + q.FieldValues + `, ` + packedUser("a") + `, ` + packedUser("l") + ticketFrom
}

// ticketFrom joins a ticket's author, assignee and category.
const ticketFrom = `
	FROM tickets t
	JOIN users a ON a.id = t.author_id
	LEFT JOIN users l ON l.id = t.assignee_id
	LEFT JOIN categories cat ON cat.id = t.category_id`

// ticketMeta packs a ticket's short values, in the order scanPackedTicket
// reads them.
var ticketMeta = pack("t.category_id", "cat.name", "t.sentiment", "t.source", "t.detailed_source", "t.channel", "t.source_name", "t.original_link",
	"t.is_muted", "t.is_spam", "t.is_hidden", "t.is_deleted", "t.is_anonymized", "t.is_sensitive",
	"EXISTS (SELECT 1 FROM replies d WHERE d.ticket_id = t.id AND d.is_draft)")

// packedUser packs the user columns of the users table aliased as alias,
// in the order unpackUser reads them.
func packedUser(alias string) string {
	cols := strings.Fields("id name email custom_identifier image phone_number is_bot status role created_at")
	for i, c := range cols {
		cols[i] = alias + "." + c
	}
	return pack(cols...)
}

// unpackUser reads a user that packedUser packed: nil when the join found
// none.
func unpackUser(s string, communityID int64) (*openboards.User, error) {
	r := unpacker{s: s}
	id, ok := r.next()
	u := &openboards.User{ID: id, CommunityID: communityID, Name: r.str(), Email: r.optStr(), CustomIdentifier: r.optStr(),
		Image: r.optStr(), PhoneNumber: r.optStr(), IsBot: r.bool(), Status: openboards.UserStatus(r.str()), Role: openboards.Role(r.str())}
	created, _ := r.int()
	u.CreatedAt = fromNanos(created)
	if err := r.done(); err != nil || !ok {
		return nil, err
	}
	return u, nil
}

// scanTicket reads a row that ticketSelect(q) selected.
func scanTicket(q *TicketSQL, r interface{ Scan(...any) error }) (*openboards.Ticket, error) {
	if q.Packed {
		return scanPackedTicket(r)
	}
	return scanTicketColumns(r)
}

func scanTicketColumns(r interface{ Scan(...any) error }) (*openboards.Ticket, error) {
	var t openboards.Ticket
	var catID sql.NullInt64
	var catName, sentiment, sourceName, link sql.NullString
	var cc, tags, attachments, fields string
	var created, activity, updated int64
	var author, assignee userScan
	dest := []any{&t.ID, &t.CommunityID, &t.Title, &t.Message, &t.HTMLMessage, &catID, &catName, &t.Status, &sentiment,
		&t.Source, &t.DetailedSource, &t.Channel, &sourceName, &link, &cc, &tags, &attachments, &t.ReplyCount,
		&t.IsMuted, &t.IsSpam, &t.IsHidden, &t.IsDeleted, &t.IsAnonymized, &t.IsSensitive, &created, &activity, &updated, &t.HasDraft, &fields}
	dest = append(dest, author.dest()...)
	dest = append(dest, assignee.dest()...)
	if err := r.Scan(dest...); err != nil {
		return nil, err
	}
	t.CategoryID = nullInt(catID)
	if t.CategoryID != nil {
		t.Category = &openboards.CategoryRef{ID: catID.Int64, Name: catName.String}
	}
	t.Sentiment, t.SourceName, t.OriginalLink = nullString(sentiment), nullString(sourceName), nullString(link)
	t.Author = author.user(t.CommunityID)
	t.Assignee = assignee.user(t.CommunityID)
	return finishTicket(&t, cc, tags, attachments, fields, created, activity, updated)
}

func scanPackedTicket(r interface{ Scan(...any) error }) (*openboards.Ticket, error) {
	var t openboards.Ticket
	var status, cc, tags, attachments, meta, fields, author, assignee string
	var created, activity, updated int64
	if err := r.Scan(&t.ID, &t.CommunityID, &t.Title, &t.Message, &t.HTMLMessage, &status, &cc, &tags, &attachments, &t.ReplyCount,
		&created, &activity, &updated, &meta, &fields, &author, &assignee); err != nil {
		return nil, err
	}
	t.Status = openboards.TicketStatus(status)
	m := unpacker{s: meta}
	if id, ok := m.int(); ok {
		t.CategoryID = &id
		t.Category = &openboards.CategoryRef{ID: id, Name: m.str()}
	} else {
		m.next()
	}
	t.Sentiment = m.optStr()
	t.Source, t.DetailedSource, t.Channel = m.str(), m.str(), m.str()
	t.SourceName, t.OriginalLink = m.optStr(), m.optStr()
	t.IsMuted, t.IsSpam, t.IsHidden, t.IsDeleted, t.IsAnonymized, t.IsSensitive, t.HasDraft = m.bool(), m.bool(), m.bool(), m.bool(), m.bool(), m.bool(), m.bool()
	if err := m.done(); err != nil {
		return nil, err
	}
	var err error
	if t.Author, err = unpackUser(author, t.CommunityID); err != nil {
		return nil, err
	}
	if t.Author == nil {
		return nil, errPacked // the author's join is an inner one
	}
	if t.Assignee, err = unpackUser(assignee, t.CommunityID); err != nil {
		return nil, err
	}
	return finishTicket(&t, cc, tags, attachments, fields, created, activity, updated)
}

// finishTicket decodes what both ticket scans read alike.
func finishTicket(t *openboards.Ticket, cc, tags, attachments, fields string, created, activity, updated int64) (*openboards.Ticket, error) {
	t.AuthorID = t.Author.ID
	if t.Assignee != nil {
		t.AssigneeID = &t.Assignee.ID
	}
	t.CC, t.Tags, t.Attachments = []string{}, []string{}, []openboards.Attachment{}
	if err := fromJSON(cc, &t.CC); err != nil {
		return nil, err
	}
	if err := fromJSON(tags, &t.Tags); err != nil {
		return nil, err
	}
	if err := fromJSON(attachments, &t.Attachments); err != nil {
		return nil, err
	}
	t.CreatedAt, t.LastActivityAt, t.UpdatedAt = fromNanos(created), fromNanos(activity), fromNanos(updated)
	t.CustomFields = []openboards.FieldValue{}
	if err := scanFieldValues(fields, &t.CustomFields); err != nil {
		return nil, err
	}
	return t, nil
}

// scanFieldValues decodes the [[fieldId, "value"], ...] array that
// TicketSQL.FieldValues builds.
func scanFieldValues(s string, out *[]openboards.FieldValue) error {
	var pairs [][2]json.RawMessage
	if err := fromJSON(s, &pairs); err != nil {
		return err
	}
	for _, p := range pairs {
		var v openboards.FieldValue
		if err := json.Unmarshal(p[0], &v.FieldID); err != nil {
			return err
		}
		if err := json.Unmarshal(p[1], &v.Value); err != nil {
			return err
		}
		*out = append(*out, v)
	}
	return nil
}

// FindTicketByID returns one ticket with its author, assignee, category and
// custom field values.
func (c *Conn) FindTicketByID(ctx context.Context, communityID, id int64) (*openboards.Ticket, error) {
	ticketSelect(c.ticket)
	t, err := scanTicket(c.ticket, c.queryRow(ctx, c.ticket.findByID, communityID, id))
	if err != nil {
		return nil, c.interpret(err, "find ticket", "ticket %d not found", id)
	}
	return t, nil
}

// LockTicket checks that the ticket exists. Where writers are serialised
// (SQLite's single writer) that is all a lock needs; a backend with
// concurrent writers replaces it with a row lock, using LockTicketWith.
func (c *Tx) LockTicket(ctx context.Context, communityID, id int64) error {
	return c.LockTicketWith(ctx, `SELECT id FROM tickets WHERE community_id = ? AND id = ?`, communityID, id)
}

// LockTicketWith runs query (parameters: community id, ticket id), which
// selects the ticket's id, and reports CodeNotFound when it selects none.
func (c *Tx) LockTicketWith(ctx context.Context, query string, communityID, id int64) error {
	var got int64
	err := c.queryRow(ctx, query, communityID, id).Scan(&got)
	return c.interpret(err, "lock ticket", "ticket %d not found", id)
}

// ticketWhere builds the WHERE clause of a filter from fixed fragments.
func (c *Conn) ticketWhere(q *TicketSQL, f openboards.TicketFilter) (string, []any) {
	var b strings.Builder
	args := []any{f.CommunityID}
	b.WriteString(` WHERE t.community_id = ?`)
	if f.CategorySet {
		if f.CategoryID == nil {
			b.WriteString(` AND t.category_id IS NULL`)
		} else {
			b.WriteString(` AND t.category_id = ?`)
			args = append(args, *f.CategoryID)
		}
	}
	if f.Status != nil {
		b.WriteString(` AND t.status = ?`)
		args = append(args, string(*f.Status))
	}
	if f.Source != nil {
		b.WriteString(` AND t.source = ?`)
		args = append(args, *f.Source)
	}
	if f.From != nil {
		b.WriteString(` AND t.created_at >= ?`)
		args = append(args, nanos(*f.From))
	}
	if f.To != nil {
		b.WriteString(` AND t.created_at <= ?`)
		args = append(args, nanos(*f.To))
	}
	if f.TicketIDs != nil {
		list, _ := json.Marshal(f.TicketIDs)
		b.WriteString(` AND t.id IN (` + c.d.IntList + `)`)
		args = append(args, string(list))
	}
	for _, cf := range f.CustomFields {
		b.WriteString(` AND EXISTS (SELECT 1 FROM ticket_field_values v WHERE v.ticket_id = t.id AND v.field_id = ? AND v.value = ?)`)
		args = append(args, cf.FieldID, cf.Value)
	}
	if f.AssigneeSet {
		if f.AssigneeID == nil {
			b.WriteString(` AND t.assignee_id IS NULL`)
		} else {
			b.WriteString(` AND t.assignee_id = ?`)
			args = append(args, strings.ToLower(*f.AssigneeID))
		}
	}
	if f.Tag != "" {
		// tags holds a JSON array of strings: the tag matches as one
		// whole, quoted element.
		quoted, _ := json.Marshal(strings.ToLower(f.Tag))
		b.WriteString(` AND lower(t.tags) LIKE ? ESCAPE '\'`)
		args = append(args, "%"+likeEscape(string(quoted))+"%")
	}
	if words := searchWords(f.Text); len(words) > 0 {
		b.WriteString(` AND ` + q.TextMatch)
		args = append(args, q.TextQuery(words))
	}
	return b.String(), args
}

// searchWords splits text into lower-case words of letters and digits,
// as both databases' full-text indexes split titles and messages, so that
// punctuation in a search can neither break nor widen the query.
func searchWords(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// likeEscape escapes LIKE's wildcards (and its escape character) in s.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func ticketOrder(orderBy string) string {
	switch orderBy {
	case openboards.OrderLastActivityAsc:
		return ` ORDER BY t.last_activity_at, t.id`
	case openboards.OrderCreationDesc:
		return ` ORDER BY t.created_at DESC, t.id DESC`
	case openboards.OrderCreationAsc:
		return ` ORDER BY t.created_at, t.id`
	default:
		return ` ORDER BY t.last_activity_at DESC, t.id DESC`
	}
}

// ticketSource returns the FROM clause and the orders (of the id query,
// and of the rows) for f. A text search lists the newest matches first,
// read from the full-text index in that order where the database can, so
// that a page takes as long for a common word as for a rare one.
func ticketSource(q *TicketSQL, f openboards.TicketFilter) (from, order, outer string) {
	if len(searchWords(f.Text)) > 0 {
		return ` FROM ` + q.TextFrom, q.TextOrder, ` ORDER BY t.id DESC`
	}
	return ` FROM tickets t`, ticketOrder(f.OrderBy), ticketOrder(f.OrderBy)
}

// FindTickets lists the tickets matching f, one page of them.
func (c *Conn) FindTickets(ctx context.Context, f openboards.TicketFilter) ([]*openboards.Ticket, error) {
	q := c.ticket
	where, args := c.ticketWhere(q, f)
	args = append(args, f.Take, f.Skip)
	from, order, outer := ticketSource(q, f)
	// The page's ids come from the index alone; only those rows are then
	// joined and read. Reading whole rows for the skipped ones would make
	// OFFSET cost as much as returning them.
	rows, err := c.query(ctx, ticketSelect(q)+` WHERE t.id IN (SELECT t.id`+from+where+order+` LIMIT ? OFFSET ?)`+outer, args...)
	if err != nil {
		return nil, c.interpret(err, "find tickets", "")
	}
	defer rows.Close()
	out := []*openboards.Ticket{}
	for rows.Next() {
		t, err := scanTicket(q, rows)
		if err != nil {
			return nil, c.interpret(err, "find tickets", "")
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, c.interpret(err, "find tickets", "")
	}
	return out, nil
}

// FindTicketIDs lists the ids of the tickets matching f, one page of them.
func (c *Conn) FindTicketIDs(ctx context.Context, f openboards.TicketFilter) ([]int64, error) {
	q := c.ticket
	where, args := c.ticketWhere(q, f)
	args = append(args, f.Take, f.Skip)
	from, order, _ := ticketSource(q, f)
	rows, err := c.query(ctx, `SELECT t.id`+from+where+order+` LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, c.interpret(err, "find ticket ids", "")
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, c.interpret(err, "find ticket ids", "")
		}
		out = append(out, id)
	}
	return out, c.interpret(rows.Err(), "find ticket ids", "")
}

// CountTicketsByStatus counts tickets per status.
func (c *Conn) CountTicketsByStatus(ctx context.Context, communityID int64) (map[openboards.TicketStatus]int, error) {
	rows, err := c.query(ctx, `SELECT status, COUNT(*) FROM tickets WHERE community_id = ? GROUP BY status`, communityID)
	if err != nil {
		return nil, c.interpret(err, "count tickets", "")
	}
	defer rows.Close()
	out := map[openboards.TicketStatus]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, c.interpret(err, "count tickets", "")
		}
		out[openboards.TicketStatus(st)] = n
	}
	return out, c.interpret(rows.Err(), "count tickets", "")
}

// CreateTicket stores a new ticket with its custom field values and sets
// its ID.
func (c *Tx) CreateTicket(ctx context.Context, t *openboards.Ticket) error {
	err := c.queryRow(ctx, `INSERT INTO tickets (community_id, title, message, html_message, author_id, category_id, assignee_id, status,
		sentiment, source, detailed_source, channel, source_name, original_link, cc, tags, attachments, reply_count, created_at, last_activity_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.CommunityID, t.Title, t.Message, t.HTMLMessage, t.AuthorID, t.CategoryID, t.AssigneeID, string(t.Status),
		t.Sentiment, t.Source, t.DetailedSource, t.Channel, t.SourceName, t.OriginalLink, jsonText(t.CC), jsonText(t.Tags), jsonText(t.Attachments),
		t.ReplyCount, nanos(t.CreatedAt), nanos(t.LastActivityAt), nanos(t.UpdatedAt)).Scan(&t.ID)
	if err != nil {
		return c.interpret(err, "create ticket", "")
	}
	for _, v := range t.CustomFields {
		if _, err := c.exec(ctx, `INSERT INTO ticket_field_values (ticket_id, field_id, value) VALUES (?, ?, ?)`, t.ID, v.FieldID, v.Value); err != nil {
			return c.interpret(err, "create ticket field value", "")
		}
	}
	return nil
}

// UpdateTicket applies u to a ticket.
func (c *Tx) UpdateTicket(ctx context.Context, communityID, id int64, u openboards.TicketUpdate) error {
	var b strings.Builder
	var args []any
	b.WriteString(`UPDATE tickets SET updated_at = ?`)
	args = append(args, nanos(u.UpdatedAt))
	if u.Status != nil {
		b.WriteString(`, status = ?`)
		args = append(args, string(*u.Status))
	}
	if u.CategoryID != nil {
		b.WriteString(`, category_id = ?`)
		args = append(args, *u.CategoryID)
	}
	if u.AssigneeID != nil {
		b.WriteString(`, assignee_id = ?`)
		args = append(args, *u.AssigneeID)
	}
	if u.Tags != nil {
		b.WriteString(`, tags = ?`)
		args = append(args, jsonText(*u.Tags))
	}
	if u.ReplyCountDiff != 0 {
		b.WriteString(`, reply_count = reply_count + ?`)
		args = append(args, u.ReplyCountDiff)
	}
	if u.LastActivityAt != nil {
		// Activity only moves forward: a change stamped earlier than the
		// last one leaves it.
		b.WriteString(`, last_activity_at = CASE WHEN last_activity_at < ? THEN ? ELSE last_activity_at END`)
		args = append(args, nanos(*u.LastActivityAt), nanos(*u.LastActivityAt))
	}
	b.WriteString(` WHERE community_id = ? AND id = ?`)
	args = append(args, communityID, id)
	res, err := c.exec(ctx, b.String(), args...)
	return c.interpret(affected(res, err, "ticket %d not found", id), "update ticket", "")
}

// SetTicketFieldValue sets or (with an empty value) clears one value.
func (c *Tx) SetTicketFieldValue(ctx context.Context, communityID, ticketID, fieldID int64, value string) error {
	// The ticket and the field must both belong to the community.
	var n int
	err := c.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM tickets WHERE community_id = ? AND id = ?) +
		(SELECT COUNT(*) FROM custom_fields WHERE community_id = ? AND id = ?)`, communityID, ticketID, communityID, fieldID).Scan(&n)
	if err != nil {
		return c.interpret(err, "set ticket field value", "")
	}
	if n != 2 {
		return openboards.Errorf(openboards.CodeNotFound, "ticket %d or custom field %d not found", ticketID, fieldID)
	}
	if value == "" {
		_, err = c.exec(ctx, `DELETE FROM ticket_field_values WHERE ticket_id = ? AND field_id = ?`, ticketID, fieldID)
	} else {
		_, err = c.exec(ctx, `INSERT INTO ticket_field_values (ticket_id, field_id, value) VALUES (?, ?, ?)
			ON CONFLICT (ticket_id, field_id) DO UPDATE SET value = excluded.value`, ticketID, fieldID, value)
	}
	return c.interpret(err, "set ticket field value", "")
}

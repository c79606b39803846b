package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"openboards/internal/openboards"
)

const replySelect = `SELECT r.id, r.ticket_id, r.community_id, r.parent_reply_id, r.level, r.message, r.html_message, r.is_by_team, r.is_draft,
	r.is_hidden, r.tags, r.attachments, r.cc_emails, r.to_emails, r.created_at, r.updated_at, ` + `
	a.id, a.name, a.email, a.custom_identifier, a.image, a.phone_number, a.is_bot, a.status, a.role, a.created_at
	FROM replies r JOIN users a ON a.id = r.author_id`

func scanReply(r interface{ Scan(...any) error }) (*openboards.Reply, error) {
	var rp openboards.Reply
	var parent sql.NullInt64
	var tags, attachments, cc, to string
	var created, updated int64
	var author userScan
	dest := []any{&rp.ID, &rp.TicketID, &rp.CommunityID, &parent, &rp.Level, &rp.Message, &rp.HTMLMessage, &rp.IsByTeam, &rp.IsDraft,
		&rp.IsHidden, &tags, &attachments, &cc, &to, &created, &updated}
	if err := r.Scan(append(dest, author.dest()...)...); err != nil {
		return nil, err
	}
	rp.ParentReplyID = nullInt(parent)
	rp.Tags, rp.Attachments, rp.CCEmails, rp.ToEmails = []string{}, []openboards.Attachment{}, []string{}, []string{}
	for _, p := range []struct {
		s string
		v any
	}{{tags, &rp.Tags}, {attachments, &rp.Attachments}, {cc, &rp.CCEmails}, {to, &rp.ToEmails}} {
		if err := fromJSON(p.s, p.v); err != nil {
			return nil, err
		}
	}
	rp.CreatedAt, rp.UpdatedAt = fromNanos(created), fromNanos(updated)
	rp.Author = author.user(rp.CommunityID)
	rp.AuthorID = rp.Author.ID
	return &rp, nil
}

// FindReplyByID returns one reply of a ticket.
func (c *Conn) FindReplyByID(ctx context.Context, communityID, ticketID, id int64) (*openboards.Reply, error) {
	rp, err := scanReply(c.queryRow(ctx, replySelect+` WHERE r.community_id = ? AND r.ticket_id = ? AND r.id = ?`, communityID, ticketID, id))
	return rp, c.interpret(err, "find reply", "reply %d not found on ticket %d", id, ticketID)
}

// FindReplies lists a ticket's replies oldest first.
func (c *Conn) FindReplies(ctx context.Context, communityID, ticketID int64, skip, take int) ([]*openboards.Reply, error) {
	rows, err := c.query(ctx, replySelect+` WHERE r.community_id = ? AND r.ticket_id = ? ORDER BY r.id LIMIT ? OFFSET ?`, communityID, ticketID, take, skip)
	if err != nil {
		return nil, c.interpret(err, "find replies", "")
	}
	defer rows.Close()
	out := []*openboards.Reply{}
	for rows.Next() {
		rp, err := scanReply(rows)
		if err != nil {
			return nil, c.interpret(err, "find replies", "")
		}
		out = append(out, rp)
	}
	return out, c.interpret(rows.Err(), "find replies", "")
}

// CreateReply stores a new reply and sets its ID.
func (c *Tx) CreateReply(ctx context.Context, r *openboards.Reply) error {
	err := c.queryRow(ctx, `INSERT INTO replies (ticket_id, community_id, author_id, parent_reply_id, level, message, html_message, is_by_team,
		is_draft, is_hidden, tags, attachments, cc_emails, to_emails, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.TicketID, r.CommunityID, r.AuthorID, r.ParentReplyID, r.Level, r.Message, r.HTMLMessage, r.IsByTeam, r.IsDraft, r.IsHidden,
		jsonText(r.Tags), jsonText(r.Attachments), jsonText(r.CCEmails), jsonText(r.ToEmails), nanos(r.CreatedAt), nanos(r.UpdatedAt)).Scan(&r.ID)
	return c.interpret(err, "create reply", "")
}

// UpdateReply applies u to a reply.
func (c *Tx) UpdateReply(ctx context.Context, communityID, ticketID, id int64, u openboards.ReplyUpdate) error {
	var b strings.Builder
	args := []any{nanos(u.UpdatedAt)}
	b.WriteString(`UPDATE replies SET updated_at = ?`)
	if u.Message != nil {
		b.WriteString(`, message = ?`)
		args = append(args, *u.Message)
	}
	if u.HTMLMessage != nil {
		b.WriteString(`, html_message = ?`)
		args = append(args, *u.HTMLMessage)
	}
	if u.IsDraft != nil {
		b.WriteString(`, is_draft = ?`)
		args = append(args, *u.IsDraft)
	}
	if u.Attachments != nil {
		b.WriteString(`, attachments = ?`)
		args = append(args, jsonText(*u.Attachments))
	}
	if u.Tags != nil {
		b.WriteString(`, tags = ?`)
		args = append(args, jsonText(*u.Tags))
	}
	b.WriteString(` WHERE community_id = ? AND ticket_id = ? AND id = ?`)
	args = append(args, communityID, ticketID, id)
	res, err := c.exec(ctx, b.String(), args...)
	return c.interpret(affected(res, err, "reply %d not found on ticket %d", id, ticketID), "update reply", "")
}

// DeleteReply removes a reply; its sub-replies stay, without a parent.
func (c *Tx) DeleteReply(ctx context.Context, communityID, ticketID, id int64) error {
	res, err := c.exec(ctx, `DELETE FROM replies WHERE community_id = ? AND ticket_id = ? AND id = ?`, communityID, ticketID, id)
	return c.interpret(affected(res, err, "reply %d not found on ticket %d", id, ticketID), "delete reply", "")
}

const noteSelect = `SELECT n.id, n.ticket_id, n.community_id, n.message, n.html_message, n.attachments, n.mentioned_user_ids, n.created_at, n.updated_at,
	a.id, a.name, a.email, a.custom_identifier, a.image, a.phone_number, a.is_bot, a.status, a.role, a.created_at
	FROM notes n JOIN users a ON a.id = n.author_id`

func scanNote(r interface{ Scan(...any) error }) (*openboards.Note, error) {
	var n openboards.Note
	var html sql.NullString
	var attachments, mentioned string
	var created, updated int64
	var author userScan
	dest := []any{&n.ID, &n.TicketID, &n.CommunityID, &n.Message, &html, &attachments, &mentioned, &created, &updated}
	if err := r.Scan(append(dest, author.dest()...)...); err != nil {
		return nil, err
	}
	n.HTMLMessage = nullString(html)
	n.Attachments, n.MentionedUserIDs = []openboards.Attachment{}, []string{}
	if err := fromJSON(attachments, &n.Attachments); err != nil {
		return nil, err
	}
	if err := fromJSON(mentioned, &n.MentionedUserIDs); err != nil {
		return nil, err
	}
	n.CreatedAt, n.UpdatedAt = fromNanos(created), fromNanos(updated)
	n.Author = author.user(n.CommunityID)
	n.AuthorID = n.Author.ID
	return &n, nil
}

// loadMentions fills MentionedUsers of notes.
func (c *Conn) loadMentions(ctx context.Context, notes ...*openboards.Note) error {
	for _, n := range notes {
		users, err := c.FindUsersByIDs(ctx, n.CommunityID, n.MentionedUserIDs)
		if err != nil {
			return err
		}
		n.MentionedUsers = users
	}
	return nil
}

// FindNoteByID returns one note of a ticket.
func (c *Conn) FindNoteByID(ctx context.Context, communityID, ticketID, id int64) (*openboards.Note, error) {
	n, err := scanNote(c.queryRow(ctx, noteSelect+` WHERE n.community_id = ? AND n.ticket_id = ? AND n.id = ?`, communityID, ticketID, id))
	if err != nil {
		return nil, c.interpret(err, "find note", "note %d not found on ticket %d", id, ticketID)
	}
	return n, c.loadMentions(ctx, n)
}

// FindNotes lists a ticket's notes oldest first.
func (c *Conn) FindNotes(ctx context.Context, communityID, ticketID int64, skip, take int) ([]*openboards.Note, error) {
	rows, err := c.query(ctx, noteSelect+` WHERE n.community_id = ? AND n.ticket_id = ? ORDER BY n.id LIMIT ? OFFSET ?`, communityID, ticketID, take, skip)
	if err != nil {
		return nil, c.interpret(err, "find notes", "")
	}
	defer rows.Close()
	out := []*openboards.Note{}
	for rows.Next() {
		n, err := scanNote(rows)
		if err != nil {
			return nil, c.interpret(err, "find notes", "")
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, c.interpret(err, "find notes", "")
	}
	return out, c.loadMentions(ctx, out...)
}

// CreateNote stores a new note and sets its ID.
func (c *Tx) CreateNote(ctx context.Context, n *openboards.Note) error {
	err := c.queryRow(ctx, `INSERT INTO notes (ticket_id, community_id, author_id, message, html_message, attachments, mentioned_user_ids, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		n.TicketID, n.CommunityID, n.AuthorID, n.Message, n.HTMLMessage, jsonText(n.Attachments), jsonText(n.MentionedUserIDs),
		nanos(n.CreatedAt), nanos(n.UpdatedAt)).Scan(&n.ID)
	return c.interpret(err, "create note", "")
}

// UpdateNote stores the message, attachments and mentions of n.
func (c *Tx) UpdateNote(ctx context.Context, n *openboards.Note) error {
	res, err := c.exec(ctx, `UPDATE notes SET message = ?, html_message = ?, attachments = ?, mentioned_user_ids = ?, updated_at = ?
		WHERE community_id = ? AND ticket_id = ? AND id = ?`,
		n.Message, n.HTMLMessage, jsonText(n.Attachments), jsonText(n.MentionedUserIDs), nanos(n.UpdatedAt), n.CommunityID, n.TicketID, n.ID)
	return c.interpret(affected(res, err, "note %d not found on ticket %d", n.ID, n.TicketID), "update note", "")
}

// DeleteNote removes a note.
func (c *Tx) DeleteNote(ctx context.Context, communityID, ticketID, id int64) error {
	res, err := c.exec(ctx, `DELETE FROM notes WHERE community_id = ? AND ticket_id = ? AND id = ?`, communityID, ticketID, id)
	return c.interpret(affected(res, err, "note %d not found on ticket %d", id, ticketID), "delete note", "")
}

// included is the stored form of openboards.IncludedItems.
type included struct {
	Categories []openboards.CategoryRef `json:"c"`
	Tags       []openboards.Tag         `json:"t"`
	Users      []openboards.User        `json:"u"`
}

const insertLogEntry = `INSERT INTO ticket_log (ticket_id, community_id, user_id, action_type, action_string, included, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`

func logEntryArgs(e *openboards.LogEntry) ([]any, error) {
	inc, err := json.Marshal(included{e.Included.Categories, e.Included.Tags, e.Included.Users})
	if err != nil {
		return nil, err
	}
	return []any{e.TicketID, e.CommunityID, e.UserID, e.ActionType, e.ActionString, string(inc), nanos(e.CreatedAt)}, nil
}

// CreateLogEntry appends an entry to a ticket's log and sets its ID.
func (c *Tx) CreateLogEntry(ctx context.Context, e *openboards.LogEntry) error {
	args, err := logEntryArgs(e)
	if err != nil {
		return err
	}
	err = c.queryRow(ctx, insertLogEntry+` RETURNING id`, args...).Scan(&e.ID)
	return c.interpret(err, "create log entry", "")
}

// AppendLogEntry appends an entry to a ticket's log; here at once.
func (c *Tx) AppendLogEntry(ctx context.Context, e *openboards.LogEntry) error {
	args, err := logEntryArgs(e)
	if err != nil {
		return err
	}
	_, err = c.exec(ctx, insertLogEntry, args...)
	return c.interpret(err, "append log entry", "")
}

// LogEntryStatement returns the statement AppendLogEntry runs, for a
// backend that sends it later.
func (c *Tx) LogEntryStatement(e *openboards.LogEntry) (Query, error) {
	args, err := logEntryArgs(e)
	if err != nil {
		return Query{}, err
	}
	return Query{SQL: c.rewrite(insertLogEntry), Args: args}, nil
}

// FindLogEntries lists a ticket's log newest first.
func (c *Conn) FindLogEntries(ctx context.Context, communityID, ticketID int64, types []string, skip, take int) ([]*openboards.LogEntry, error) {
	query := `SELECT e.id, e.ticket_id, e.community_id, e.action_type, e.action_string, e.included, e.created_at,
		a.id, a.name, a.email, a.custom_identifier, a.image, a.phone_number, a.is_bot, a.status, a.role, a.created_at
		FROM ticket_log e JOIN users a ON a.id = e.user_id WHERE e.community_id = ? AND e.ticket_id = ?`
	args := []any{communityID, ticketID}
	if len(types) > 0 {
		list, _ := json.Marshal(types)
		query += ` AND e.action_type IN (` + c.d.TextList + `)`
		args = append(args, string(list))
	}
	query += ` ORDER BY e.id DESC LIMIT ? OFFSET ?`
	args = append(args, take, skip)
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, c.interpret(err, "find log entries", "")
	}
	defer rows.Close()
	out := []*openboards.LogEntry{}
	for rows.Next() {
		var e openboards.LogEntry
		var inc string
		var created int64
		var user userScan
		dest := []any{&e.ID, &e.TicketID, &e.CommunityID, &e.ActionType, &e.ActionString, &inc, &created}
		if err := rows.Scan(append(dest, user.dest()...)...); err != nil {
			return nil, c.interpret(err, "find log entries", "")
		}
		var in included
		if err := fromJSON(inc, &in); err != nil {
			return nil, c.interpret(err, "find log entries", "")
		}
		e.Included = openboards.IncludedItems{Categories: in.Categories, Tags: in.Tags, Users: in.Users}
		e.CreatedAt = fromNanos(created)
		e.User = user.user(e.CommunityID)
		e.UserID = e.User.ID
		out = append(out, &e)
	}
	return out, c.interpret(rows.Err(), "find log entries", "")
}

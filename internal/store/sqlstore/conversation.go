package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"openboards/internal/openboards"
)

const conversationColumns = `ticket_id, community_id, initial_page_url, latest_page_url, is_assigned_to_bot, feedback_positive,
	feedback_text, queue_seq, queued, queued_at, handled_at, closed_at, updated_at`

func scanConversation(r interface{ Scan(...any) error }) (*openboards.Conversation, error) {
	var cv openboards.Conversation
	var initial, latest, text sql.NullString
	var positive sql.NullBool
	var queuedAt, handledAt, closedAt sql.NullInt64
	var updated int64
	if err := r.Scan(&cv.TicketID, &cv.CommunityID, &initial, &latest, &cv.IsAssignedToBot, &positive, &text,
		&cv.QueueSeq, &cv.Queued, &queuedAt, &handledAt, &closedAt, &updated); err != nil {
		return nil, err
	}
	cv.InitialPageURL, cv.LatestPageURL = nullString(initial), nullString(latest)
	if positive.Valid {
		cv.Feedback = &openboards.Feedback{IsPositive: positive.Bool, Text: text.String}
	}
	cv.QueuedAt, cv.HandledAt, cv.ClosedAt = fromNullNanos(queuedAt), fromNullNanos(handledAt), fromNullNanos(closedAt)
	cv.UpdatedAt = fromNanos(updated)
	return &cv, nil
}

// FindConversation returns the chat state of a ticket.
func (c *Conn) FindConversation(ctx context.Context, communityID, ticketID int64) (*openboards.Conversation, error) {
	cv, err := scanConversation(c.queryRow(ctx, `SELECT `+conversationColumns+`
		FROM conversations WHERE community_id = ? AND ticket_id = ?`, communityID, ticketID))
	if err != nil {
		return nil, c.interpret(err, "find conversation", "conversation %d not found", ticketID)
	}
	return cv, nil
}

// FindConversationMessages lists a ticket's sent replies by time.
func (c *Conn) FindConversationMessages(ctx context.Context, communityID, ticketID int64, order openboards.MessageOrder, skip, take int) ([]*openboards.Reply, error) {
	by := ` ORDER BY r.created_at DESC, r.id DESC`
	if order == openboards.OldestFirst {
		by = ` ORDER BY r.created_at, r.id`
	}
	rows, err := c.query(ctx, replySelect+` WHERE r.community_id = ? AND r.ticket_id = ? AND NOT r.is_draft`+by+` LIMIT ? OFFSET ?`,
		communityID, ticketID, take, skip)
	if err != nil {
		return nil, c.interpret(err, "find conversation messages", "")
	}
	defer rows.Close()
	out := []*openboards.Reply{}
	for rows.Next() {
		rp, err := scanReply(rows)
		if err != nil {
			return nil, c.interpret(err, "find conversation messages", "")
		}
		out = append(out, rp)
	}
	return out, c.interpret(rows.Err(), "find conversation messages", "")
}

// CountQueuedBefore sums the queue tree's nodes below seq: at most
// openboards.QueueTreeBits primary-key reads.
func (c *Conn) CountQueuedBefore(ctx context.Context, communityID, seq int64) (int, error) {
	nodes := openboards.QueueTreePrefixNodes(seq - 1)
	if len(nodes) == 0 {
		return 0, nil
	}
	list, _ := json.Marshal(nodes)
	var n int64
	err := c.queryRow(ctx, `SELECT COALESCE(SUM(n), 0) FROM chat_queue_tree WHERE community_id = ? AND node IN (`+c.d.IntList+`)`,
		communityID, string(list)).Scan(&n)
	return int(n), c.interpret(err, "count queued conversations", "")
}

// FindQueued lists the waiting conversations, first in line first.
func (c *Conn) FindQueued(ctx context.Context, communityID int64, limit int) ([]*openboards.Conversation, error) {
	rows, err := c.query(ctx, `SELECT `+conversationColumns+` FROM conversations
		WHERE community_id = ? AND queued ORDER BY queue_seq LIMIT ?`, communityID, limit)
	if err != nil {
		return nil, c.interpret(err, "find queued conversations", "")
	}
	defer rows.Close()
	out := []*openboards.Conversation{}
	for rows.Next() {
		cv, err := scanConversation(rows)
		if err != nil {
			return nil, c.interpret(err, "find queued conversations", "")
		}
		out = append(out, cv)
	}
	return out, c.interpret(rows.Err(), "find queued conversations", "")
}

// FindQueueStats reads the recent handling times and the capacity online.
func (c *Conn) FindQueueStats(ctx context.Context, communityID int64, since, seenSince time.Time) (openboards.QueueStats, error) {
	var s openboards.QueueStats
	var total sql.NullInt64
	err := c.queryRow(ctx, `SELECT COUNT(*), SUM(d) FROM (SELECT closed_at - handled_at AS d FROM conversations
		WHERE community_id = ? AND closed_at IS NOT NULL AND closed_at >= ? AND handled_at IS NOT NULL AND handled_at <= closed_at
		ORDER BY closed_at DESC LIMIT 100) recent`, communityID, nanos(since)).Scan(&s.Handled, &total)
	if err != nil {
		return s, c.interpret(err, "find queue stats", "")
	}
	if s.Handled > 0 {
		s.AverageHandling = time.Duration(total.Int64 / int64(s.Handled))
	}
	var taken sql.NullInt64
	err = c.queryRow(ctx, `SELECT COALESCE(SUM(p.capacity), 0), SUM(`+holdingCount+`)
		FROM chat_presence p JOIN users u ON u.id = p.user_id AND u.status = ?
		WHERE p.community_id = ? AND p.status = ? AND p.seen_at >= ?`,
		openboards.StatusTeam, communityID, openboards.PresenceOnline, nanos(seenSince)).Scan(&s.Slots, &taken)
	if err != nil {
		return s, c.interpret(err, "find queue stats", "")
	}
	s.Free = max(s.Slots-int(taken.Int64), 0)
	return s, nil
}

// holdingCount counts the conversations a teammate (of presence row p)
// holds: open or pending ones assigned to them. Its literals match the
// partial index tickets_chat_load, which a bound parameter would not.
const holdingCount = `(SELECT COUNT(*) FROM tickets t WHERE t.community_id = p.community_id AND t.assignee_id = p.user_id
	AND t.source = 'chat' AND t.status IN ('open', 'pending'))`

// FindChatLoads returns every teammate's presence and the conversations
// they hold, by name.
func (c *Conn) FindChatLoads(ctx context.Context, communityID int64) ([]openboards.ChatLoad, error) {
	rows, err := c.query(ctx, `SELECT u.id, COALESCE(p.status, ?), COALESCE(p.capacity, ?), COALESCE(p.seen_at, 0),
			(SELECT COUNT(*) FROM tickets t WHERE t.community_id = u.community_id AND t.assignee_id = u.id
				AND t.source = 'chat' AND t.status IN ('open', 'pending')), COALESCE(p.last_assigned_at, 0)
		FROM users u LEFT JOIN chat_presence p ON p.community_id = u.community_id AND p.user_id = u.id
		WHERE u.community_id = ? AND u.status = ? ORDER BY u.name, u.id`,
		openboards.PresenceAway, openboards.DefaultChatCapacity, communityID, openboards.StatusTeam)
	if err != nil {
		return nil, c.interpret(err, "find chat loads", "")
	}
	defer rows.Close()
	out := []openboards.ChatLoad{}
	for rows.Next() {
		l := openboards.ChatLoad{Presence: openboards.Presence{CommunityID: communityID}}
		var seen, assigned int64
		if err := rows.Scan(&l.UserID, &l.Status, &l.Capacity, &seen, &l.Holding, &assigned); err != nil {
			return nil, c.interpret(err, "find chat loads", "")
		}
		if seen != 0 {
			l.SeenAt = fromNanos(seen)
		}
		if assigned != 0 {
			l.LastAssigned = fromNanos(assigned)
		}
		out = append(out, l)
	}
	return out, c.interpret(rows.Err(), "find chat loads", "")
}

// FindMessageByClientID returns the reply a client's message id names.
func (c *Conn) FindMessageByClientID(ctx context.Context, communityID, ticketID int64, clientID string) (int64, error) {
	var id int64
	err := c.queryRow(ctx, `SELECT k.reply_id FROM chat_message_keys k JOIN replies r ON r.id = k.reply_id
		WHERE k.ticket_id = ? AND k.client_key = ? AND r.community_id = ?`, ticketID, clientID, communityID).Scan(&id)
	return id, c.interpret(err, "find message by client id", "message %q not found", clientID)
}

// FindReplyMails lists a ticket's replies waiting to go by e-mail.
func (c *Conn) FindReplyMails(ctx context.Context, communityID, ticketID int64) ([]int64, error) {
	rows, err := c.query(ctx, `SELECT reply_id FROM reply_mails WHERE community_id = ? AND ticket_id = ? AND sent_at IS NULL
		ORDER BY created_at, reply_id`, communityID, ticketID)
	if err != nil {
		return nil, c.interpret(err, "find reply mails", "")
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, c.interpret(err, "find reply mails", "")
		}
		out = append(out, id)
	}
	return out, c.interpret(rows.Err(), "find reply mails", "")
}

// FindPresence returns a teammate's presence.
func (c *Conn) FindPresence(ctx context.Context, communityID int64, userID string) (*openboards.Presence, error) {
	p := openboards.Presence{CommunityID: communityID, UserID: userID}
	var seen int64
	err := c.queryRow(ctx, `SELECT status, capacity, seen_at FROM chat_presence WHERE community_id = ? AND user_id = ?`,
		communityID, userID).Scan(&p.Status, &p.Capacity, &seen)
	if err != nil {
		return nil, c.interpret(err, "find presence", "no presence for user %s", userID)
	}
	p.SeenAt = fromNanos(seen)
	return &p, nil
}

// CreateConversation stores the chat state of a ticket.
func (c *Tx) CreateConversation(ctx context.Context, cv *openboards.Conversation) error {
	_, err := c.exec(ctx, `INSERT INTO conversations (`+conversationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		conversationArgs(cv)...)
	return c.interpret(err, "create conversation", "")
}

// UpdateConversation stores every field of cv but its ticket and community.
func (c *Tx) UpdateConversation(ctx context.Context, cv *openboards.Conversation) error {
	args := conversationArgs(cv)
	res, err := c.exec(ctx, `UPDATE conversations SET initial_page_url = ?, latest_page_url = ?, is_assigned_to_bot = ?,
		feedback_positive = ?, feedback_text = ?, queue_seq = ?, queued = ?, queued_at = ?, handled_at = ?, closed_at = ?,
		updated_at = ? WHERE ticket_id = ? AND community_id = ?`, append(args[2:], args[0], args[1])...)
	return c.interpret(affected(res, err, "conversation %d not found", cv.TicketID), "update conversation", "")
}

func conversationArgs(cv *openboards.Conversation) []any {
	var positive *bool
	var text *string
	if cv.Feedback != nil {
		positive, text = &cv.Feedback.IsPositive, &cv.Feedback.Text
	}
	return []any{cv.TicketID, cv.CommunityID, cv.InitialPageURL, cv.LatestPageURL, cv.IsAssignedToBot, positive, text,
		cv.QueueSeq, cv.Queued, nullNanos(cv.QueuedAt), nullNanos(cv.HandledAt), nullNanos(cv.ClosedAt), nanos(cv.UpdatedAt)}
}

// NextQueueSeq hands out the community's next queue place.
func (c *Tx) NextQueueSeq(ctx context.Context, communityID int64) (int64, error) {
	var seq int64
	err := c.queryRow(ctx, `INSERT INTO chat_queues (community_id, last_seq) VALUES (?, 1)
		ON CONFLICT (community_id) DO UPDATE SET last_seq = chat_queues.last_seq + 1 RETURNING last_seq`, communityID).Scan(&seq)
	if err != nil {
		return 0, c.interpret(err, "next queue place", "")
	}
	if seq > openboards.MaxQueueSeq {
		return 0, openboards.Errorf(openboards.CodeConflict, "the chat queue has given out all its places")
	}
	return seq, nil
}

// AddQueued changes the count at seq along its path up the queue tree, in
// one statement that touches the nodes in ascending order (so concurrent
// writers lock them in the same order).
func (c *Tx) AddQueued(ctx context.Context, communityID, seq int64, delta int) error {
	nodes := openboards.QueueTreeUpdateNodes(seq)
	if len(nodes) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO chat_queue_tree (community_id, node, n) VALUES `)
	args := make([]any, 0, 3*len(nodes))
	for i, n := range nodes {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?)")
		args = append(args, communityID, n, delta)
	}
	q.WriteString(` ON CONFLICT (community_id, node) DO UPDATE SET n = chat_queue_tree.n + excluded.n`)
	_, err := c.exec(ctx, q.String(), args...)
	return c.interpret(err, "update queue", "")
}

// CreateMessageClientID records a client's message id.
func (c *Tx) CreateMessageClientID(ctx context.Context, communityID, ticketID int64, clientID string, replyID int64) error {
	_, err := c.exec(ctx, `INSERT INTO chat_message_keys (ticket_id, client_key, reply_id) VALUES (?, ?, ?)`, ticketID, clientID, replyID)
	return c.interpret(err, "record message id", "")
}

// CreateReplyMail marks a reply to be sent by e-mail.
func (c *Tx) CreateReplyMail(ctx context.Context, r *openboards.Reply) error {
	_, err := c.exec(ctx, `INSERT INTO reply_mails (reply_id, community_id, ticket_id, created_at) VALUES (?, ?, ?, ?)`,
		r.ID, r.CommunityID, r.TicketID, nanos(r.UpdatedAt))
	return c.interpret(err, "mark reply for e-mail", "")
}

// SetPresence stores a teammate's presence.
func (c *Tx) SetPresence(ctx context.Context, p *openboards.Presence) error {
	_, err := c.exec(ctx, `INSERT INTO chat_presence (community_id, user_id, status, capacity, seen_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (community_id, user_id) DO UPDATE SET status = excluded.status, capacity = excluded.capacity, seen_at = excluded.seen_at`,
		p.CommunityID, p.UserID, p.Status, p.Capacity, nanos(p.SeenAt))
	return c.interpret(err, "set presence", "")
}

// FindChatSettings returns a community's chat settings.
func (c *Conn) FindChatSettings(ctx context.Context, communityID int64) (*openboards.ChatSettings, error) {
	st := &openboards.ChatSettings{CommunityID: communityID}
	err := c.queryRow(ctx, `SELECT auto_assign FROM chat_settings WHERE community_id = ?`, communityID).Scan(&st.AutoAssign)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	return st, c.interpret(err, "find chat settings", "")
}

// FindAutoAssigning lists the communities that assign automatically.
func (c *Conn) FindAutoAssigning(ctx context.Context) ([]int64, error) {
	rows, err := c.query(ctx, `SELECT community_id FROM chat_settings WHERE auto_assign ORDER BY community_id`)
	if err != nil {
		return nil, c.interpret(err, "find auto-assigning communities", "")
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, c.interpret(err, "find auto-assigning communities", "")
		}
		out = append(out, id)
	}
	return out, c.interpret(rows.Err(), "find auto-assigning communities", "")
}

// SetChatSettings stores a community's chat settings.
func (c *Tx) SetChatSettings(ctx context.Context, st *openboards.ChatSettings) error {
	_, err := c.exec(ctx, `INSERT INTO chat_settings (community_id, auto_assign) VALUES (?, ?)
		ON CONFLICT (community_id) DO UPDATE SET auto_assign = excluded.auto_assign`, st.CommunityID, st.AutoAssign)
	return c.interpret(err, "set chat settings", "")
}

// LockQueue locks the community's queue row, creating it at place 0.
func (c *Tx) LockQueue(ctx context.Context, communityID int64) error {
	_, err := c.exec(ctx, `INSERT INTO chat_queues (community_id, last_seq) VALUES (?, 0)
		ON CONFLICT (community_id) DO UPDATE SET last_seq = chat_queues.last_seq`, communityID)
	return c.interpret(err, "lock queue", "")
}

// MarkAutoAssigned records an automatic assignment to a teammate.
func (c *Tx) MarkAutoAssigned(ctx context.Context, communityID int64, userID string, at time.Time) error {
	_, err := c.exec(ctx, `UPDATE chat_presence SET last_assigned_at = ? WHERE community_id = ? AND user_id = ?`,
		nanos(at), communityID, userID)
	return c.interpret(err, "mark auto-assigned", "")
}

package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"openboards/internal/openboards"
)

const webhookColumns = `id, community_id, url, verify_token, events, status, disabled_reason, disabled_at,
	secret, previous_secret, previous_secret_until, failing_since, created_at, updated_at`

// webhookQualified is webhookColumns read through the alias w, for
// statements that join the webhook to its deliveries.
var webhookQualified = "w." + strings.Join(strings.Split(strings.Join(strings.Fields(webhookColumns), " "), ", "), ", w.")

// webhookScan receives one row of webhookColumns.
type webhookScan struct {
	w                              openboards.Webhook
	events                         string
	disabledAt, prevUntil, failing sql.NullInt64
	created, updated               int64
}

func (s *webhookScan) dest() []any {
	w := &s.w
	return []any{&w.ID, &w.CommunityID, &w.URL, &w.VerifyToken, &s.events, &w.Status, &w.DisabledReason, &s.disabledAt,
		&w.Secret, &w.PreviousSecret, &s.prevUntil, &s.failing, &s.created, &s.updated}
}

func (s *webhookScan) webhook() (*openboards.Webhook, error) {
	w := s.w
	w.Events = []string{}
	if err := fromJSON(s.events, &w.Events); err != nil {
		return nil, err
	}
	w.DisabledAt, w.PreviousSecretUntil, w.FailingSince = fromNullNanos(s.disabledAt), fromNullNanos(s.prevUntil), fromNullNanos(s.failing)
	w.CreatedAt, w.UpdatedAt = fromNanos(s.created), fromNanos(s.updated)
	return &w, nil
}

func scanWebhook(r interface{ Scan(...any) error }) (*openboards.Webhook, error) {
	var s webhookScan
	if err := r.Scan(s.dest()...); err != nil {
		return nil, err
	}
	return s.webhook()
}

func nullNanos(t *time.Time) any {
	if t == nil {
		return nil
	}
	return nanos(*t)
}

func (c *Conn) webhooks(ctx context.Context, op, where string, args ...any) ([]*openboards.Webhook, error) {
	rows, err := c.query(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, c.interpret(err, op, "")
	}
	defer rows.Close()
	out := []*openboards.Webhook{}
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, c.interpret(err, op, "")
		}
		out = append(out, w)
	}
	return out, c.interpret(rows.Err(), op, "")
}

// inInts is the condition "col is one of the ids in a JSON array
// parameter", in a form each database looks up through col's index
// whatever its statistics say: the webhook tables grow fast from empty, so
// their statistics are often stale.
func (c *Conn) inInts(col string) string {
	if c.d.IntArray != "" {
		return col + " = ANY (" + c.d.IntArray + ")"
	}
	return col + " IN (" + c.d.IntList + ")"
}

// FindWebhookByID returns a community's webhook.
func (c *Conn) FindWebhookByID(ctx context.Context, communityID, id int64) (*openboards.Webhook, error) {
	w, err := scanWebhook(c.queryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE community_id = ? AND id = ?`, communityID, id))
	if err != nil {
		return nil, c.interpret(err, "find webhook", "webhook %d not found", id)
	}
	return w, nil
}

// FindWebhooks lists a community's webhooks.
func (c *Conn) FindWebhooks(ctx context.Context, communityID int64) ([]*openboards.Webhook, error) {
	if w, ok := c.aheadWebhooks(communityID); ok {
		return w, nil
	}
	return c.webhooks(ctx, "find webhooks", `community_id = ?`, communityID)
}

// FindActiveWebhooks lists the active webhooks of every community.
func (c *Conn) FindActiveWebhooks(ctx context.Context) ([]*openboards.Webhook, error) {
	return c.webhooks(ctx, "find active webhooks", `status = ?`, string(openboards.WebhookActive))
}

// CreateWebhook adds a webhook.
func (c *Tx) CreateWebhook(ctx context.Context, w *openboards.Webhook) error {
	err := c.queryRow(ctx, `INSERT INTO webhooks (community_id, url, verify_token, events, status, disabled_reason, disabled_at,
		secret, previous_secret, previous_secret_until, failing_since, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		w.CommunityID, w.URL, w.VerifyToken, jsonText(w.Events), string(w.Status), w.DisabledReason, nullNanos(w.DisabledAt),
		w.Secret, w.PreviousSecret, nullNanos(w.PreviousSecretUntil), nullNanos(w.FailingSince), nanos(w.CreatedAt), nanos(w.UpdatedAt)).Scan(&w.ID)
	return c.interpret(err, "create webhook", "")
}

// UpdateWebhook stores a webhook's changes.
func (c *Tx) UpdateWebhook(ctx context.Context, w *openboards.Webhook) error {
	res, err := c.exec(ctx, `UPDATE webhooks SET url = ?, verify_token = ?, events = ?, status = ?, disabled_reason = ?, disabled_at = ?,
		secret = ?, previous_secret = ?, previous_secret_until = ?, failing_since = ?, updated_at = ?
		WHERE community_id = ? AND id = ?`,
		w.URL, w.VerifyToken, jsonText(w.Events), string(w.Status), w.DisabledReason, nullNanos(w.DisabledAt),
		w.Secret, w.PreviousSecret, nullNanos(w.PreviousSecretUntil), nullNanos(w.FailingSince), nanos(w.UpdatedAt),
		w.CommunityID, w.ID)
	return c.interpret(affected(res, err, "webhook %d not found", w.ID), "update webhook", "")
}

// DeleteWebhook removes a webhook, its deliveries and their attempts.
func (c *Tx) DeleteWebhook(ctx context.Context, communityID, id int64) error {
	if _, err := c.FindWebhookByID(ctx, communityID, id); err != nil {
		return err
	}
	if _, err := c.exec(ctx, `DELETE FROM webhook_attempts WHERE webhook_id = ?`, id); err != nil {
		return c.interpret(err, "delete webhook attempts", "")
	}
	if _, err := c.exec(ctx, `DELETE FROM webhook_deliveries WHERE webhook_id = ?`, id); err != nil {
		return c.interpret(err, "delete webhook deliveries", "")
	}
	res, err := c.exec(ctx, `DELETE FROM webhooks WHERE community_id = ? AND id = ?`, communityID, id)
	return c.interpret(affected(res, err, "webhook %d not found", id), "delete webhook", "")
}

// SetWebhookFailing starts a webhook's run of failures.
func (c *Tx) SetWebhookFailing(ctx context.Context, id int64, at time.Time) error {
	_, err := c.exec(ctx, `UPDATE webhooks SET failing_since = ? WHERE id = ? AND failing_since IS NULL`, nanos(at), id)
	return c.interpret(err, "set webhook failing", "")
}

// ClearWebhooksFailing ends webhooks' runs of failures.
func (c *Tx) ClearWebhooksFailing(ctx context.Context, ids []int64) error {
	_, err := c.exec(ctx, `UPDATE webhooks SET failing_since = NULL WHERE failing_since IS NOT NULL AND `+c.inInts("id"), jsonText(ids))
	return c.interpret(err, "clear webhook failing", "")
}

// CreateEvent records an event and fans it out to webhooks.
func (c *Tx) CreateEvent(ctx context.Context, e *openboards.Event, webhookIDs []int64) error {
	err := c.queryRow(ctx, `INSERT INTO webhook_events (community_id, ticket_id, type, payload, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		e.CommunityID, e.TicketID, e.Type, string(e.Payload), nanos(e.CreatedAt)).Scan(&e.ID)
	if err != nil {
		return c.interpret(err, "create event", "")
	}
	if len(webhookIDs) == 0 {
		return nil
	}
	_, err = c.exec(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, ticket_id, event_type, state, next_attempt_at, created_at)
		SELECT w.id, ?, ?, ?, 'pending', ?, ? FROM webhooks w WHERE `+c.inInts("w.id")+` ORDER BY w.id`,
		e.ID, e.TicketID, e.Type, nanos(e.CreatedAt), nanos(e.CreatedAt), jsonText(webhookIDs))
	if err != nil {
		return c.interpret(err, "create deliveries", "")
	}
	return nil
}

// CreateDeliveries queues existing events again for one webhook.
func (c *Tx) CreateDeliveries(ctx context.Context, webhookID int64, eventIDs []int64, now time.Time) ([]int64, error) {
	if len(eventIDs) == 0 {
		return []int64{}, nil
	}
	rows, err := c.query(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, ticket_id, event_type, state, next_attempt_at, created_at)
		SELECT ?, e.id, e.ticket_id, e.type, 'pending', ?, ? FROM webhook_events e WHERE `+c.inInts("e.id")+` ORDER BY e.id
		RETURNING id`,
		webhookID, nanos(now), nanos(now), jsonText(eventIDs))
	if err != nil {
		return nil, c.interpret(err, "create deliveries", "")
	}
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, c.interpret(err, "create deliveries", "")
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, c.interpret(err, "create deliveries", "")
	}
	return ids, nil
}

// FindEventByID returns a community's event.
func (c *Conn) FindEventByID(ctx context.Context, communityID, id int64) (*openboards.Event, error) {
	var e openboards.Event
	var payload string
	var created int64
	err := c.queryRow(ctx, `SELECT id, community_id, ticket_id, type, payload, created_at FROM webhook_events WHERE community_id = ? AND id = ?`,
		communityID, id).Scan(&e.ID, &e.CommunityID, &e.TicketID, &e.Type, &payload, &created)
	if err != nil {
		return nil, c.interpret(err, "find event", "event %d not found", id)
	}
	e.Payload, e.CreatedAt = []byte(payload), fromNanos(created)
	return &e, nil
}

// FindEventIDs lists event ids of a time range.
func (c *Conn) FindEventIDs(ctx context.Context, communityID int64, from, to time.Time, types []string, missingFor int64, limit int) ([]int64, error) {
	q := `SELECT e.id FROM webhook_events e WHERE e.community_id = ? AND e.created_at >= ? AND e.created_at < ?`
	args := []any{communityID, nanos(from), nanos(to)}
	if len(types) > 0 {
		q += ` AND e.type IN (` + c.d.TextList + `)`
		args = append(args, jsonText(types))
	}
	if missingFor != 0 {
		q += ` AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.webhook_id = ?)`
		args = append(args, missingFor)
	}
	q += ` ORDER BY e.created_at, e.id LIMIT ?`
	args = append(args, limit)
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return nil, c.interpret(err, "find events", "")
	}
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, c.interpret(err, "find events", "")
		}
		ids = append(ids, id)
	}
	return ids, c.interpret(rows.Err(), "find events", "")
}

const deliveryColumns = `d.id, d.webhook_id, d.event_id, d.ticket_id, d.event_type, d.state, d.attempt_count, d.next_attempt_at, d.created_at, d.done_at`

func scanDelivery(dest []any, d *openboards.Delivery) []any {
	return append(dest, &d.ID, &d.WebhookID, &d.EventID, &d.TicketID, &d.EventType, &d.State, &d.AttemptCount)
}

type deliveryScan struct {
	d              openboards.Delivery
	next, created  int64
	done           sql.NullInt64
	payload        string
	eventCreatedAt int64
}

func (s *deliveryScan) dest() []any {
	return append(scanDelivery(nil, &s.d), &s.next, &s.created, &s.done)
}

func (s *deliveryScan) delivery() *openboards.Delivery {
	d := s.d
	d.NextAttemptAt, d.CreatedAt, d.DoneAt = fromNanos(s.next), fromNanos(s.created), fromNullNanos(s.done)
	d.Attempts = []openboards.DeliveryAttempt{}
	return &d
}

// FindDeliveryByID returns one delivery of a community's webhook, with its
// attempts.
func (c *Conn) FindDeliveryByID(ctx context.Context, communityID, webhookID, id int64) (*openboards.Delivery, error) {
	var s deliveryScan
	err := c.queryRow(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
		WHERE w.community_id = ? AND d.webhook_id = ? AND d.id = ?`, communityID, webhookID, id).Scan(s.dest()...)
	if err != nil {
		return nil, c.interpret(err, "find delivery", "delivery %d not found", id)
	}
	d := s.delivery()
	if err := c.fillAttempts(ctx, []*openboards.Delivery{d}); err != nil {
		return nil, err
	}
	return d, nil
}

// FindDeliveries lists a webhook's deliveries newest first.
func (c *Conn) FindDeliveries(ctx context.Context, f openboards.DeliveryFilter) ([]*openboards.Delivery, error) {
	q := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
		WHERE w.community_id = ? AND d.webhook_id = ?`
	args := []any{f.CommunityID, f.WebhookID}
	if f.State != nil {
		q += ` AND d.state = ?`
		args = append(args, string(*f.State))
	}
	if f.EventType != "" {
		q += ` AND d.event_type = ?`
		args = append(args, f.EventType)
	}
	q += ` ORDER BY d.id DESC LIMIT ? OFFSET ?`
	args = append(args, f.Take, f.Skip)
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return nil, c.interpret(err, "find deliveries", "")
	}
	defer rows.Close()
	out := []*openboards.Delivery{}
	for rows.Next() {
		var s deliveryScan
		if err := rows.Scan(s.dest()...); err != nil {
			return nil, c.interpret(err, "find deliveries", "")
		}
		out = append(out, s.delivery())
	}
	if err := rows.Err(); err != nil {
		return nil, c.interpret(err, "find deliveries", "")
	}
	rows.Close()
	return out, c.fillAttempts(ctx, out)
}

// fillAttempts reads the attempts of ds, oldest first.
func (c *Conn) fillAttempts(ctx context.Context, ds []*openboards.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	byID := make(map[int64]*openboards.Delivery, len(ds))
	ids := make([]int64, len(ds))
	for i, d := range ds {
		byID[d.ID], ids[i] = d, d.ID
	}
	rows, err := c.query(ctx, `SELECT id, delivery_id, webhook_id, at, duration_ns, status_code, error, response
		FROM webhook_attempts WHERE `+c.inInts("delivery_id")+` ORDER BY id`, jsonText(ids))
	if err != nil {
		return c.interpret(err, "find attempts", "")
	}
	defer rows.Close()
	for rows.Next() {
		var a openboards.DeliveryAttempt
		var at, dur int64
		if err := rows.Scan(&a.ID, &a.DeliveryID, &a.WebhookID, &at, &dur, &a.StatusCode, &a.Error, &a.Response); err != nil {
			return c.interpret(err, "find attempts", "")
		}
		a.At, a.Duration = fromNanos(at), time.Duration(dur)
		d := byID[a.DeliveryID]
		d.Attempts = append(d.Attempts, a)
	}
	return c.interpret(rows.Err(), "find attempts", "")
}

// CountPendingDeliveries counts pending deliveries per webhook.
func (c *Conn) CountPendingDeliveries(ctx context.Context) (map[int64]int, error) {
	rows, err := c.query(ctx, `SELECT webhook_id, COUNT(*) FROM webhook_deliveries WHERE state = 'pending' GROUP BY webhook_id`)
	if err != nil {
		return nil, c.interpret(err, "count deliveries", "")
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, c.interpret(err, "count deliveries", "")
		}
		out[id] = n
	}
	return out, c.interpret(rows.Err(), "count deliveries", "")
}

// ClaimDeliveries leases the heads of webhooks' per-ticket queues. Where
// writers are serialised (SQLite) no other claim can run meanwhile; a
// backend with concurrent writers replaces it, passing ClaimDeliveriesWith
// a row-lock clause.
func (c *Tx) ClaimDeliveries(ctx context.Context, claims []openboards.Claim, owner string, now, leaseUntil time.Time) ([]*openboards.Job, error) {
	return c.ClaimDeliveriesWith(ctx, "", claims, owner, now, leaseUntil)
}

// ClaimDeliveriesWith is ClaimDeliveries with lock ending the statement
// that selects the deliveries to claim.
func (c *Tx) ClaimDeliveriesWith(ctx context.Context, lock string, claims []openboards.Claim, owner string, now, leaseUntil time.Time) ([]*openboards.Job, error) {
	var jobs []*openboards.Job
	for _, cl := range claims {
		// The webhook's row is read by the statement that claims, so that
		// a pause, a new URL or a rotated secret committed before the claim
		// applies to every delivery it claims, whatever the dispatcher read
		// before.
		rows, err := c.query(ctx, `SELECT `+deliveryColumns+`, e.payload, e.created_at, `+webhookQualified+`
		FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
		WHERE d.webhook_id = ? AND w.status = 'active' AND d.state = 'pending' AND d.next_attempt_at <= ? AND d.lease_until <= ?
		AND d.id = (SELECT MIN(p.id) FROM webhook_deliveries p
			WHERE p.webhook_id = d.webhook_id AND p.ticket_id = d.ticket_id AND p.state = 'pending')
		ORDER BY d.id LIMIT ?`+lock, cl.WebhookID, nanos(now), nanos(now), cl.Limit)
		if err != nil {
			return nil, c.interpret(err, "claim deliveries", "")
		}
		for rows.Next() {
			var s deliveryScan
			var ws webhookScan
			if err := rows.Scan(append(append(s.dest(), &s.payload, &s.eventCreatedAt), ws.dest()...)...); err != nil {
				rows.Close()
				return nil, c.interpret(err, "claim deliveries", "")
			}
			w, err := ws.webhook()
			if err != nil {
				rows.Close()
				return nil, c.interpret(err, "claim deliveries", "")
			}
			jobs = append(jobs, &openboards.Job{Delivery: *s.delivery(), Payload: []byte(s.payload), EventCreatedAt: fromNanos(s.eventCreatedAt), Webhook: w})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, c.interpret(err, "claim deliveries", "")
		}
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	_, err := c.exec(ctx, `UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ? WHERE `+c.inInts("id"),
		owner, nanos(leaseUntil), jsonText(ids))
	if err != nil {
		return nil, c.interpret(err, "claim deliveries", "")
	}
	return jobs, nil
}

// GiveUpDeliveries ends a webhook's pending deliveries of some event types.
func (c *Tx) GiveUpDeliveries(ctx context.Context, webhookID int64, eventTypes []string, now time.Time) (int, error) {
	if len(eventTypes) == 0 {
		return 0, nil
	}
	res, err := c.exec(ctx, `UPDATE webhook_deliveries SET state = 'failed', lease_owner = '', lease_until = 0, done_at = ?
		WHERE webhook_id = ? AND state = 'pending' AND event_type IN (`+c.d.TextList+`)`,
		nanos(now), webhookID, jsonText(eventTypes))
	if err != nil {
		return 0, c.interpret(err, "give up deliveries", "")
	}
	n, err := res.RowsAffected()
	return int(n), c.interpret(err, "give up deliveries", "")
}

// RetryNow makes a webhook's waiting deliveries due now.
func (c *Tx) RetryNow(ctx context.Context, webhookID int64, now time.Time) error {
	_, err := c.exec(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE webhook_id = ? AND state = 'pending' AND next_attempt_at > ?`,
		nanos(now), webhookID, nanos(now))
	return c.interpret(err, "retry deliveries", "")
}

// ReleaseLeases clears every lease.
func (c *Tx) ReleaseLeases(ctx context.Context) error {
	_, err := c.exec(ctx, `UPDATE webhook_deliveries SET lease_owner = '', lease_until = 0 WHERE state = 'pending' AND lease_until > 0`)
	return c.interpret(err, "release leases", "")
}

// attemptsPerInsert bounds the rows of one multi-row INSERT (7 parameters
// each, well under every database's parameter limit).
const attemptsPerInsert = 200

// FinishDeliveries records attempts and their deliveries' new states: the
// attempts in multi-row inserts, the successes in one update.
func (c *Tx) FinishDeliveries(ctx context.Context, rs []*openboards.DeliveryResult) error {
	for len(rs) > 0 {
		n := min(len(rs), attemptsPerInsert)
		if err := c.finishBatch(ctx, rs[:n]); err != nil {
			return err
		}
		rs = rs[n:]
	}
	return nil
}

func (c *Conn) finishBatch(ctx context.Context, rs []*openboards.DeliveryResult) error {
	var b strings.Builder
	b.WriteString(`INSERT INTO webhook_attempts (delivery_id, webhook_id, at, duration_ns, status_code, error, response) VALUES `)
	args := make([]any, 0, 7*len(rs))
	var succeeded []int64
	var doneAt int64
	for i, r := range rs {
		a := &r.Attempt
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		args = append(args, a.DeliveryID, a.WebhookID, nanos(a.At), int64(a.Duration), a.StatusCode, a.Error, a.Response)
		if r.State == openboards.DeliverySucceeded {
			succeeded = append(succeeded, a.DeliveryID)
			doneAt = max(doneAt, nanos(a.At.Add(a.Duration)))
		}
	}
	if _, err := c.exec(ctx, b.String(), args...); err != nil {
		return c.interpret(err, "create attempts", "")
	}
	if len(succeeded) > 0 {
		// One completion time for the batch: they finished within
		// milliseconds of each other. (The state test is written so that
		// the lookup goes through the primary key, not the partial indexes
		// of pending deliveries.)
		_, err := c.exec(ctx, `UPDATE webhook_deliveries SET state = 'succeeded', attempt_count = attempt_count + 1,
			lease_owner = '', lease_until = 0, done_at = ? WHERE `+c.inInts("id")+` AND state <> 'succeeded'`, doneAt, jsonText(succeeded))
		if err != nil {
			return c.interpret(err, "finish deliveries", "")
		}
	}
	for _, r := range rs {
		if r.State == openboards.DeliverySucceeded {
			continue
		}
		a := &r.Attempt
		var done any
		if r.State != openboards.DeliveryPending {
			done = nanos(a.At.Add(a.Duration))
		}
		_, err := c.exec(ctx, `UPDATE webhook_deliveries SET state = ?, attempt_count = attempt_count + 1, next_attempt_at = ?,
			lease_owner = '', lease_until = 0, done_at = ? WHERE id = ? AND state = 'pending'`,
			string(r.State), nanos(r.NextAttemptAt), done, a.DeliveryID)
		if err != nil {
			return c.interpret(err, "finish delivery", "")
		}
	}
	return nil
}

// PruneDeliveries deletes old finished deliveries and old events no
// pending delivery needs, a bounded batch at a time.
func (c *Tx) PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	rows, err := c.query(ctx, `SELECT id FROM webhook_deliveries WHERE done_at IS NOT NULL AND done_at < ? ORDER BY done_at LIMIT ?`, nanos(before), limit)
	if err != nil {
		return 0, c.interpret(err, "prune deliveries", "")
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, c.interpret(err, "prune deliveries", "")
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, c.interpret(err, "prune deliveries", "")
	}
	total := 0
	if len(ids) > 0 {
		list := jsonText(ids)
		res, err := c.exec(ctx, `DELETE FROM webhook_attempts WHERE `+c.inInts("delivery_id"), list)
		if err != nil {
			return 0, c.interpret(err, "prune attempts", "")
		}
		n, _ := res.RowsAffected()
		total += int(n)
		if res, err = c.exec(ctx, `DELETE FROM webhook_deliveries WHERE `+c.inInts("id"), list); err != nil {
			return 0, c.interpret(err, "prune deliveries", "")
		}
		n, _ = res.RowsAffected()
		total += int(n)
	}
	res, err := c.exec(ctx, `DELETE FROM webhook_events WHERE id IN (SELECT e.id FROM webhook_events e
		WHERE e.created_at < ? AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
		ORDER BY e.created_at LIMIT ?)`, nanos(before), limit)
	if err != nil {
		return 0, c.interpret(err, "prune events", "")
	}
	n, _ := res.RowsAffected()
	return total + int(n), nil
}

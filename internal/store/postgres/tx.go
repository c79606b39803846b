package postgres

import (
	"context"
	"time"

	"openboards/internal/openboards"
	"openboards/internal/store/sqlstore"
)

// pgTx is one transaction. Unlike SQLite's single writer, PostgreSQL runs
// transactions side by side at READ COMMITTED, so the methods below add
// what the shared SQL leaves out: row locks where a transaction reads what
// it is about to change, and a notification that wakes the other
// processes' webhook dispatchers.
type pgTx struct {
	*sqlstore.Tx
	conn *txConn
}

// LockTicket locks the ticket's row until the transaction ends, so that
// concurrent writers of one ticket take turns and each reads the state the
// one before left (at READ COMMITTED every statement sees what committed
// before it began).
func (t pgTx) LockTicket(ctx context.Context, communityID, id int64) error {
	return t.LockTicketWith(ctx, `SELECT id FROM tickets WHERE community_id = ? AND id = ? FOR UPDATE`, communityID, id)
}

// LockCategoryTree locks the community's row, which every category-tree
// change takes first, so that two concurrent moves cannot together form a
// cycle that each alone would not.
func (t pgTx) LockCategoryTree(ctx context.Context, communityID int64) error {
	_, err := t.Exec(ctx, `SELECT id FROM communities WHERE id = ? FOR UPDATE`, communityID)
	return t.Err(err, "lock category tree")
}

// ClaimDeliveries passes over deliveries another process's dispatcher is
// claiming at the same moment (SKIP LOCKED), so that dispatchers share the
// work instead of queueing behind each other's row locks.
func (t pgTx) ClaimDeliveries(ctx context.Context, claims []openboards.Claim, owner string, now, leaseUntil time.Time) ([]*openboards.Job, error) {
	return t.ClaimDeliveriesWith(ctx, " FOR UPDATE OF d SKIP LOCKED", claims, owner, now, leaseUntil)
}

// CreateEvent also wakes every process's dispatcher on commit when it
// queued deliveries, so that the event leaves without waiting for a poll.
func (t pgTx) CreateEvent(ctx context.Context, e *openboards.Event, webhookIDs []int64) error {
	if err := t.Tx.CreateEvent(ctx, e, webhookIDs); err != nil || len(webhookIDs) == 0 {
		return err
	}
	return t.notifyDeliveries(ctx)
}

// CreateDeliveries also wakes every process's dispatcher on commit.
func (t pgTx) CreateDeliveries(ctx context.Context, webhookID int64, eventIDs []int64, now time.Time) ([]int64, error) {
	ids, err := t.Tx.CreateDeliveries(ctx, webhookID, eventIDs, now)
	if err != nil || len(eventIDs) == 0 {
		return ids, err
	}
	return ids, t.notifyDeliveries(ctx)
}

// UpdateWebhook also wakes every process's dispatcher on commit when the
// webhook is active, so that a resumed webhook's queue leaves at once.
func (t pgTx) UpdateWebhook(ctx context.Context, w *openboards.Webhook) error {
	if err := t.Tx.UpdateWebhook(ctx, w); err != nil || w.Status != openboards.WebhookActive {
		return err
	}
	return t.notifyDeliveries(ctx)
}

// AppendLogEntry sends the entry with the transaction's next statement or
// its commit, saving a round trip.
func (t pgTx) AppendLogEntry(ctx context.Context, e *openboards.LogEntry) error {
	q, err := t.LogEntryStatement(e)
	if err != nil {
		return err
	}
	t.conn.later(q)
	return nil
}

// notifyDeliveries sends, on commit, the notification on DeliveriesChannel.
func (t pgTx) notifyDeliveries(ctx context.Context) error {
	_, err := t.Exec(ctx, `SELECT pg_notify('`+DeliveriesChannel+`', '')`)
	return t.Err(err, "notify deliveries")
}

var (
	_ openboards.Store = (*Store)(nil)
	_ openboards.Tx    = pgTx{}
)

// Package webhook delivers a community's ticket events to the HTTPS
// endpoints it registered. Changes record their events in the transaction
// that makes them (the outbox); a Dispatcher in every server process claims
// due deliveries, signs and sends them, and records each attempt, retrying
// with backoff. For one endpoint the events of one ticket arrive in the
// order they happened; a failing event holds back only the later events of
// its own ticket.
package webhook

import (
	"context"
	"fmt"
	"time"

	"openboards/internal/openboards"
	"openboards/internal/webhook/payload"
)

// Outbox records webhook events inside ticket transactions.
type Outbox struct {
	// InboxBase is the public base URL that InboxLink points into.
	InboxBase string
}

// Record adds the event that change c raises to the outbox, queued for
// every endpoint of the community that subscribes to it, as part of tx.
// Nothing is recorded for a community without endpoints. The ticket is read
// inside tx, so the payload shows it as the change leaves it.
func (o *Outbox) Record(ctx context.Context, tx openboards.Tx, cm *openboards.Community, c openboards.Change, at time.Time) error {
	return o.RecordAll(ctx, tx, cm, []openboards.Change{c}, at)
}

// RecordAll records the events of changes cs, in order, which are changes
// of one ticket made together (a chat message's reply_creation and
// conversation_message_added): the webhooks, the ticket and the chat state
// are read once for all of them.
func (o *Outbox) RecordAll(ctx context.Context, tx openboards.Tx, cm *openboards.Community, cs []openboards.Change, at time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	hooks, err := tx.FindWebhooks(ctx, cm.ID)
	if err != nil || len(hooks) == 0 {
		return err
	}
	t, err := tx.FindTicketByID(ctx, cm.ID, cs[0].TicketID)
	if err != nil {
		return err
	}
	var cv *openboards.Conversation
	var queue openboards.QueueInfo
	for _, c := range cs {
		if c.TicketID != t.ID {
			return fmt.Errorf("webhook: record: changes of tickets %d and %d together", t.ID, c.TicketID)
		}
		var ids []int64
		for _, w := range hooks {
			if w.Status != openboards.WebhookDisabled && w.Subscribes(c.Type) {
				ids = append(ids, w.ID)
			}
		}
		if openboards.IsConversationEvent(c.Type) {
			if cv == nil {
				if cv, err = tx.FindConversation(ctx, cm.ID, t.ID); err != nil {
					return err
				}
				if queue, err = openboards.FindQueueInfo(ctx, tx, cv, at); err != nil {
					return err
				}
			}
			c.Conversation, c.Queue, c.At = cv, queue, at
		}
		body, err := payload.Render(o.InboxBase, cm.Name, c, t)
		if err != nil {
			return err
		}
		if err := tx.CreateEvent(ctx, &openboards.Event{
			CommunityID: cm.ID, TicketID: t.ID, Type: c.Type, Payload: body, CreatedAt: at,
		}, ids); err != nil {
			return err
		}
	}
	return nil
}

// WakingStore wraps a store so that every transaction that queued
// deliveries, or changed an active webhook (a resumption makes its queue
// sendable), calls wake once it has committed, so the local dispatcher
// starts on them at once.
func WakingStore(s openboards.Store, wake func()) openboards.Store {
	return &wakingStore{Store: s, wake: wake}
}

type wakingStore struct {
	openboards.Store
	wake func()
}

func (s *wakingStore) InTx(ctx context.Context, fn func(openboards.Tx) error) error {
	queued := false
	err := s.Store.InTx(ctx, func(tx openboards.Tx) error {
		queued = false // a retried transaction starts afresh
		return fn(&wakingTx{Tx: tx, queued: &queued})
	})
	if err == nil && queued {
		s.wake()
	}
	return err
}

type wakingTx struct {
	openboards.Tx
	queued *bool
}

func (tx *wakingTx) CreateEvent(ctx context.Context, e *openboards.Event, webhookIDs []int64) error {
	if len(webhookIDs) > 0 {
		*tx.queued = true
	}
	return tx.Tx.CreateEvent(ctx, e, webhookIDs)
}

func (tx *wakingTx) CreateDeliveries(ctx context.Context, webhookID int64, eventIDs []int64, now time.Time) ([]int64, error) {
	*tx.queued = true
	return tx.Tx.CreateDeliveries(ctx, webhookID, eventIDs, now)
}

func (tx *wakingTx) UpdateWebhook(ctx context.Context, w *openboards.Webhook) error {
	if w.Status == openboards.WebhookActive {
		*tx.queued = true
	}
	return tx.Tx.UpdateWebhook(ctx, w)
}

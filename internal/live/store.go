package live

import (
	"context"

	"openboards/internal/openboards"
)

// PublishingStore wraps a store so that every transaction that creates a
// ticket or writes a ticket's log entry (as every change of a ticket does)
// calls publish once it has committed, with the tickets it changed, each
// once, in the order they were first changed. A transaction that rolls
// back publishes nothing.
func PublishingStore(s openboards.Store, publish func([]Change)) openboards.Store {
	return &publishingStore{Store: s, publish: publish}
}

type publishingStore struct {
	openboards.Store
	publish func([]Change)
}

func (s *publishingStore) InTx(ctx context.Context, fn func(openboards.Tx) error) error {
	var ch *changes
	err := s.Store.InTx(ctx, func(tx openboards.Tx) error {
		ch = &changes{} // a retried transaction starts afresh
		return fn(&publishingTx{Tx: tx, changes: ch})
	})
	if err == nil && ch != nil && len(ch.list) > 0 {
		s.publish(ch.list)
	}
	return err
}

// changes are the tickets one transaction changed, each once.
type changes struct {
	list []Change
	seen map[Change]struct{}
}

type publishingTx struct {
	openboards.Tx
	*changes
}

func (tx *publishingTx) note(communityID, ticketID int64) {
	c := Change{CommunityID: communityID, TicketID: ticketID}
	if _, ok := tx.seen[c]; ok {
		return
	}
	if tx.seen == nil {
		tx.seen = map[Change]struct{}{}
	}
	tx.seen[c] = struct{}{}
	tx.list = append(tx.list, c)
}

func (tx *publishingTx) CreateTicket(ctx context.Context, t *openboards.Ticket) error {
	if err := tx.Tx.CreateTicket(ctx, t); err != nil {
		return err
	}
	tx.note(t.CommunityID, t.ID)
	return nil
}

func (tx *publishingTx) CreateLogEntry(ctx context.Context, e *openboards.LogEntry) error {
	if err := tx.Tx.CreateLogEntry(ctx, e); err != nil {
		return err
	}
	tx.note(e.CommunityID, e.TicketID)
	return nil
}

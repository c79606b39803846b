package live

import (
	"context"

	"openboards/internal/openboards"
)

// PublishingStore wraps a store so that every transaction that creates a
// ticket or writes a ticket's log entry (as every change of a ticket does)
// publishes, once it has committed, one event per ticket it changed, in
// the order they were first changed: TicketCreated for a ticket it
// created, else TicketChanged. A transaction that rolls back publishes
// nothing. It stands in for services that publish their own events.
func PublishingStore(s openboards.Store, p Publisher) openboards.Store {
	return &publishingStore{Store: s, p: p}
}

type publishingStore struct {
	openboards.Store
	p Publisher
}

func (s *publishingStore) InTx(ctx context.Context, fn func(openboards.Tx) error) error {
	var ch *changes
	err := s.Store.InTx(ctx, func(tx openboards.Tx) error {
		ch = &changes{} // a retried transaction starts afresh
		return fn(&publishingTx{Tx: tx, changes: ch})
	})
	if err == nil && ch != nil && len(ch.list) > 0 {
		s.p.Publish(ch.list...)
	}
	return err
}

// changes are the tickets one transaction changed, each once.
type changes struct {
	list []Event
	seen map[[2]int64]struct{} // community and ticket
}

type publishingTx struct {
	openboards.Tx
	*changes
}

func (tx *publishingTx) note(e Event) {
	k := [2]int64{e.CommunityID, e.TicketID}
	if _, ok := tx.seen[k]; ok {
		return
	}
	if tx.seen == nil {
		tx.seen = map[[2]int64]struct{}{}
	}
	tx.seen[k] = struct{}{}
	tx.list = append(tx.list, e)
}

func (tx *publishingTx) CreateTicket(ctx context.Context, t *openboards.Ticket) error {
	if err := tx.Tx.CreateTicket(ctx, t); err != nil {
		return err
	}
	tx.note(Event{Type: TicketCreated, CommunityID: t.CommunityID, TicketID: t.ID})
	return nil
}

func (tx *publishingTx) CreateLogEntry(ctx context.Context, e *openboards.LogEntry) error {
	if err := tx.Tx.CreateLogEntry(ctx, e); err != nil {
		return err
	}
	tx.note(Event{Type: TicketChanged, CommunityID: e.CommunityID, TicketID: e.TicketID, UserID: e.UserID})
	return nil
}

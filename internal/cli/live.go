package cli

import (
	"context"
	"log/slog"

	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/postgres"
)

// liveFeed carries the changes of tickets to the inbox pages open on this
// server: the ones committed here and, on PostgreSQL, the ones other
// server processes announce on postgres.ChangesChannel.
type liveFeed struct {
	hub   *live.Hub
	pg    *postgres.Store // nil on SQLite, whose database is this process's alone
	relay *live.Relay     // announces this process's changes; nil on SQLite
}

func newLiveFeed(store openboards.Store, log *slog.Logger) *liveFeed {
	f := &liveFeed{hub: live.NewHub()}
	if pg, ok := store.(*postgres.Store); ok {
		f.pg = pg
		f.relay = live.NewRelay(func(ctx context.Context, payloads []string) error {
			return pg.Notify(ctx, postgres.ChangesChannel, payloads...)
		}, log)
	}
	return f
}

// wrap returns s publishing the changes its transactions commit.
func (f *liveFeed) wrap(s openboards.Store) openboards.Store {
	return live.PublishingStore(s, f.publish)
}

func (f *liveFeed) publish(cs []live.Change) {
	f.hub.PublishChanges(cs)
	if f.relay != nil {
		f.relay.Add(cs)
	}
}

// start exchanges changes with the other processes until ctx ends, and
// returns a function that waits until the last local changes are
// announced. Each process hears its own announcements too; the inbox's
// stream merges them with the local publication that came just before.
func (f *liveFeed) start(ctx context.Context) (wait func()) {
	if f.pg == nil {
		return func() {}
	}
	go f.pg.ListenPayload(ctx, postgres.ChangesChannel, f.hub.PublishPayload)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.relay.Run(ctx)
	}()
	return func() { <-done }
}

package cli

import (
	"context"
	"log/slog"

	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/postgres"
)

// liveFeed is the server's live.Publisher: it publishes the events
// committed here into the local hub, whose subscribers are the inbox
// pages open on this server, and, on PostgreSQL, sends them to the other
// server processes on postgres.ChangesChannel, publishing theirs into the
// hub in turn.
type liveFeed struct {
	hub   *live.Hub
	pg    *postgres.Store // nil on SQLite, whose database is this process's alone
	relay *live.Relay     // nil on SQLite
	// observe, when set, also takes the events committed here (live
	// chat's automatic assignment watches them).
	observe func(...live.Event)
}

func newLiveFeed(store openboards.Store, log *slog.Logger) *liveFeed {
	f := &liveFeed{hub: live.NewHub()}
	if pg, ok := store.(*postgres.Store); ok {
		f.pg = pg
		f.relay = live.NewRelay(f.hub, func(ctx context.Context, payloads []string) error {
			return pg.Notify(ctx, postgres.ChangesChannel, payloads...)
		}, log)
	}
	return f
}

// Publish publishes events into the local hub and queues them for the
// other processes. It never blocks.
func (f *liveFeed) Publish(events ...live.Event) {
	f.hub.Publish(events...)
	if f.relay != nil {
		f.relay.Add(events...)
	}
	if f.observe != nil {
		f.observe(events...)
	}
}

// start exchanges events with the other processes until ctx ends, and
// returns a function that waits until the last local events are sent.
// The hub resets its subscribers whenever the listening connection is
// made again, since events sent meanwhile were lost.
func (f *liveFeed) start(ctx context.Context) (wait func()) {
	if f.pg == nil {
		return func() {}
	}
	go f.pg.ListenPayload(ctx, postgres.ChangesChannel, f.relay.Receive)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.relay.Run(ctx)
	}()
	return func() { <-done }
}

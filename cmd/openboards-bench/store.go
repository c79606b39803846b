package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"time"

	"openboards/internal/community"
	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/store/sqlite"
	"openboards/internal/ticket"
)

// runStore measures Create Ticket without HTTP: the clients are goroutines
// of this process calling ticket.Service.CreateTicket on a new database,
// with the same input as the create phase. It shows what the store's
// single writer sustains on its own, which bounds the create phase.
func (b *bench) runStore(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "openboards-bench-store-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(ctx, filepath.Join(dir, "openboards.db"), sqlite.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	communities, err := community.NewService(ctx, store, time.Now, "openboards", nil)
	if err != nil {
		return err
	}
	created, err := communities.Create(ctx, "Bench")
	if err != nil {
		return err
	}
	cm := created.Community
	tickets := ticket.NewService(store, ticket.NoEvents, live.Discard, time.Now)
	var seq atomic.Int64
	w := workload{
		name: "create ticket, store only", unit: "tickets/s", method: "in-process", clients: b.o.clients,
		call: func(c *client) error {
			_, err := tickets.CreateTicket(ctx, cm, ticketInput(seq.Add(1)))
			return err
		},
	}
	fmt.Fprintf(b.w, "%s: %d goroutines, ticket.Service.CreateTicket in this process...\n", w.name, w.clients)
	b.waitIdle(ctx)
	w.diskDir = dir
	fsync50, fsync99 := b.fsyncProbe(w)
	// The sampled process is this one, so its CPU (the store's and the
	// generator goroutines' together) is shown as the server's.
	s := startSampler(os.Getpid())
	var prof *os.File
	lr := runLoad(ctx, "", w, b.o.warmup, b.o.duration, func() {
		s.mark()
		if b.o.profile {
			f, err := os.Create(filepath.Join(b.o.out, "create-ticket-store-only.cpu.pprof"))
			if err == nil && pprof.StartCPUProfile(f) == nil {
				prof = f
			}
		}
	})
	st := s.finish()
	if prof != nil {
		pprof.StopCPUProfile()
		prof.Close()
	}
	r := newResult(w, "ticket.Service.CreateTicket", lr, st)
	r.FsyncP50ms, r.FsyncP99ms = fsync50, fsync99
	b.print(r)
	b.rep.Results = append(b.rep.Results, r)
	return store.Close()
}

// ticketInput is the service-level form of appendTicketBody's n-th ticket.
func ticketInput(n int64) ticket.CreateTicketInput {
	customer := strconv.FormatInt(n/10, 10)
	order := strconv.FormatInt(100000+n, 10)
	name, email := "Customer "+customer, "customer"+customer+"@example.com"
	return ticket.CreateTicketInput{
		Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI,
		Title: "Order " + order + " has not arrived",
		Message: "<p>Hello,</p><p>I ordered a pair of running shoes (order " + order + ") two weeks ago and the tracking page still says " +
			"the parcel is being prepared. Could you check what is going on and tell me when it will ship? If it cannot ship this week " +
			"I would like a refund.</p><p>Thanks,<br>Customer " + customer + "</p>",
		Creator: &ticket.CreatorInput{Name: &name, Email: &email},
		Tags:    []string{ticketTags[n%int64(len(ticketTags))]},
	}
}

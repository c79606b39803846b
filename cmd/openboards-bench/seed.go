package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"openboards/internal/community"
	"openboards/internal/openboards"
	"openboards/internal/store/sqlite"
)

// seedInfo describes a seeded database; it is kept beside the database
// (PATH.bench.json) so that a later run can reuse both.
type seedInfo struct {
	Tickets      int     `json:"tickets"`
	Users        int     `json:"users"`
	Community    string  `json:"community"`
	ClientID     string  `json:"clientId"`
	RefreshToken string  `json:"refreshToken"`
	Seconds      float64 `json:"seconds"`
	Reused       bool    `json:"-"`
}

func seedInfoPath(db string) string { return db + ".bench.json" }

// prepareListDB returns a database holding n tickets at path: the one
// already there if reuse is set and it was seeded with n tickets, else a
// newly seeded one.
func prepareListDB(ctx context.Context, path string, n int, reuse bool, w io.Writer) (*seedInfo, error) {
	if reuse {
		if b, err := os.ReadFile(seedInfoPath(path)); err == nil {
			var info seedInfo
			if err := json.Unmarshal(b, &info); err == nil && info.Tickets == n {
				if _, err := os.Stat(path); err == nil {
					fmt.Fprintf(w, "seed: reusing %s (%d tickets)\n", path, n)
					info.Reused = true
					return &info, nil
				}
			}
		}
	}
	for _, p := range []string{seedInfoPath(path), path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	info, err := seed(ctx, path, n, w)
	if err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(info, "", "  ")
	if err := os.WriteFile(seedInfoPath(path), b, 0o600); err != nil {
		return nil, err
	}
	return info, nil
}

// seedBatch is the number of tickets written per transaction.
const seedBatch = 5000

// batch is one transaction's worth of seed data.
type batch struct {
	users   []*openboards.User
	tickets []*openboards.Ticket
}

// seed fills a new database with one community and n tickets through the
// store API, in transactions of seedBatch tickets. The tickets span two
// years; 30 % are open, 20 % pending and 50 % completed; most have a
// category, the pending and completed ones an assignee, and a customer
// writes about ten of them.
func seed(ctx context.Context, path string, n int, w io.Writer) (*seedInfo, error) {
	started := time.Now()
	store, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	svc, err := community.NewService(ctx, store, time.Now, "openboards", nil)
	if err != nil {
		return nil, err
	}
	created, err := svc.Create(ctx, "Bench")
	if err != nil {
		return nil, err
	}
	cm := created.Community
	now := time.Now().UTC().Truncate(100 * time.Nanosecond)

	var categories []int64
	var teammates []string
	tagNames := ticketTags
	err = store.InTx(ctx, func(tx openboards.Tx) error {
		for _, name := range []string{"Orders", "Billing", "Returns", "Account", "Product questions"} {
			c := &openboards.Category{CommunityID: cm.ID, Name: name, CanBeChosen: true}
			if err := tx.CreateCategory(ctx, c); err != nil {
				return err
			}
			categories = append(categories, c.ID)
		}
		for i := range 8 {
			email := fmt.Sprintf("agent%d@support.example.com", i)
			u := &openboards.User{ID: openboards.NewID(), CommunityID: cm.ID, Name: fmt.Sprintf("Agent %d", i),
				Email: &email, Status: openboards.StatusTeam, Role: openboards.RoleTeamMember, CreatedAt: now}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			teammates = append(teammates, u.ID)
		}
		_, err := tx.UpsertTags(ctx, cm.ID, tagNames)
		return err
	})
	if err != nil {
		return nil, err
	}

	// Batches are generated on a second goroutine while the previous one
	// is written.
	batches := make(chan batch, 2)
	genCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(batches)
		rng := rand.New(rand.NewPCG(1, 2))
		span := 2 * 365 * 24 * time.Hour
		first := now.Add(-span)
		step := span / time.Duration(max(n, 1))
		var authorID string
		for lo := 0; lo < n; lo += seedBatch {
			var b batch
			for i := lo; i < min(lo+seedBatch, n); i++ {
				if i%10 == 0 {
					c := i / 10
					email := "customer" + strconv.Itoa(c) + "@example.com"
					u := &openboards.User{ID: openboards.NewID(), CommunityID: cm.ID, Name: "Customer " + strconv.Itoa(c),
						Email: &email, Status: openboards.StatusClient, CreatedAt: first.Add(time.Duration(i) * step)}
					b.users = append(b.users, u)
					authorID = u.ID
				}
				b.tickets = append(b.tickets, seedTicket(rng, cm.ID, i, authorID, first.Add(time.Duration(i)*step), now, categories, teammates))
			}
			select {
			case batches <- b:
			case <-genCtx.Done():
				return
			}
		}
	}()

	users, done := 0, 0
	lastReport := time.Now()
	for b := range batches {
		err := store.InTx(ctx, func(tx openboards.Tx) error {
			for _, u := range b.users {
				if err := tx.CreateUser(ctx, u); err != nil {
					return err
				}
			}
			for _, t := range b.tickets {
				if err := tx.CreateTicket(ctx, t); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		users += len(b.users)
		done += len(b.tickets)
		if time.Since(lastReport) >= 5*time.Second || done == n {
			el := time.Since(started)
			fmt.Fprintf(w, "seed: %d/%d tickets in %.0f s (%.0f tickets/s)\n", done, n, el.Seconds(), float64(done)/el.Seconds())
			lastReport = time.Now()
		}
	}
	if err := store.Close(); err != nil {
		return nil, err
	}
	return &seedInfo{Tickets: n, Users: users, Community: cm.Name, ClientID: cm.ClientID, RefreshToken: created.RefreshToken,
		Seconds: time.Since(started).Seconds()}, nil
}

// seedTitles are the subjects of seeded tickets.
var seedTitles = []string{
	"Order %d has not arrived", "Refund for order %d", "Wrong size delivered (order %d)",
	"Cannot log in to my account", "Invoice %d shows the wrong address", "Question about product %d",
}

// seedTicket returns the i-th seeded ticket.
func seedTicket(rng *rand.Rand, communityID int64, i int, authorID string, created, now time.Time, categories []int64, teammates []string) *openboards.Ticket {
	order := 100000 + i
	title := seedTitles[i%len(seedTitles)]
	if strings.Contains(title, "%d") {
		title = fmt.Sprintf(title, order)
	}
	msg := "Hello, I ordered a pair of running shoes (order " + strconv.Itoa(order) + ") two weeks ago and the tracking page " +
		"still says the parcel is being prepared. Could you check what is going on and tell me when it will ship? " +
		"If it cannot ship this week I would like a refund. Thanks"
	activity := created.Add(time.Duration(rng.Int64N(int64(14 * 24 * time.Hour))))
	if activity.After(now) {
		activity = now
	}
	t := &openboards.Ticket{
		CommunityID:    communityID,
		Title:          title,
		Message:        msg,
		HTMLMessage:    "<p>" + msg + "</p>",
		AuthorID:       authorID,
		Status:         openboards.TicketCompleted,
		Source:         openboards.SourceAPI,
		DetailedSource: openboards.DetailedSourceAPI,
		Tags:           []string{ticketTags[i%len(ticketTags)]},
		ReplyCount:     rng.IntN(6),
		CreatedAt:      created,
		LastActivityAt: activity,
		UpdatedAt:      activity,
	}
	switch r := rng.IntN(10); {
	case r < 3:
		t.Status = openboards.TicketOpen
	case r < 5:
		t.Status = openboards.TicketPending
	}
	if rng.IntN(10) < 7 {
		t.CategoryID = &categories[rng.IntN(len(categories))]
	}
	if t.Status != openboards.TicketOpen {
		t.AssigneeID = &teammates[rng.IntN(len(teammates))]
	}
	return t
}

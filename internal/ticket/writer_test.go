package ticket_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

// journal is what a test saw happen, in order: the commits of the store
// and the events the service published.
type journal struct {
	mu    sync.Mutex
	lines []string
	// check, when set, runs at each Publish, before the line is written.
	check func(events []live.Event)
}

func (j *journal) add(line string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.lines = append(j.lines, line)
}

// take returns the lines so far and forgets them.
func (j *journal) take() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := j.lines
	j.lines = nil
	return out
}

// Publish implements live.Publisher.
func (j *journal) Publish(events ...live.Event) {
	if j.check != nil {
		j.check(events)
	}
	for _, e := range events {
		j.add(fmt.Sprintf("publish %s %d", e.Type, e.TicketID))
	}
}

// journalStore writes a "commit" line to its journal when a transaction
// has committed. With retries set, each InTx first runs fn in that many
// transactions that roll back, as a store does when it retries after a
// serialization failure.
type journalStore struct {
	openboards.Store
	j       *journal
	retries int
}

var errForcedRetry = errors.New("forced retry")

func (s *journalStore) InTx(ctx context.Context, fn func(openboards.Tx) error) error {
	for range s.retries {
		err := s.Store.InTx(ctx, func(tx openboards.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return errForcedRetry
		})
		if !errors.Is(err, errForcedRetry) {
			return err
		}
	}
	err := s.Store.InTx(ctx, fn)
	if err == nil {
		s.j.add("commit")
	}
	return err
}

// journaled returns a bundle whose service publishes to a journal that
// also records the store's commits.
func journaled(t *testing.T, retries int) (*bundle, *journal) {
	t.Helper()
	j := &journal{}
	b := setupWith(t, options{pub: j, wrap: func(s openboards.Store) openboards.Store {
		return &journalStore{Store: s, j: j, retries: retries}
	}})
	j.take() // the setup's own commits
	return b, j
}

func TestNewServiceRequiresEvents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, c := range []struct {
		name   string
		events ticket.Recorder
		pub    live.Publisher
		want   string
	}{
		{"NilRecorder", nil, live.Discard, "nil Recorder"},
		{"NilPublisher", ticket.NoEvents, nil, "nil live.Publisher"},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, c.want) {
					t.Fatalf("NewService panicked with %v, want a message containing %q", r, c.want)
				}
			}()
			ticket.NewService(b.store, c.events, c.pub, time.Now)
		})
	}
}

func TestInTxPublishesAfterCommit(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b, j := journaled(t, 0)
		// At the moment of publishing, the change is there for anyone to read.
		j.check = func(events []live.Event) {
			for _, e := range events {
				if _, err := b.store.FindTicketByID(b.ctx, e.CommunityID, e.TicketID); err != nil {
					t.Errorf("published %s of ticket %d, which a reader cannot find: %v", e.Type, e.TicketID, err)
				}
			}
		}
		id, err := b.create(ticket.CreateTicketInput{Title: "Help", Creator: &ticket.CreatorInput{Email: b.customer.Email}})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"commit", fmt.Sprintf("publish ticket.created %d", id)}
		if got := j.take(); !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}

		// A teammate's reply to an open ticket: the reply, then the status
		// change it caused, in one publish after the commit.
		b.reply(t, id, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.member.ID}, Message: "On it"})
		want = []string{"commit", fmt.Sprintf("publish message.added %d", id), fmt.Sprintf("publish status.changed %d", id)}
		if got := j.take(); !slices.Equal(got, want) {
			t.Fatalf("after a reply: got %q, want %q", got, want)
		}
	})
	t.Run("ErrRollback", func(t *testing.T) {
		t.Parallel()
		b, j := journaled(t, 0)
		boom := errors.New("boom")
		var id int64
		err := b.svc.InTx(b.ctx, b.cm, func(w *ticket.Writer) error {
			tk, err := w.CreateTicket(b.ctx, ticket.NewTicket{Title: "Lost", Author: b.customer,
				Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI})
			if err != nil {
				return err
			}
			id = tk.ID
			if got := len(w.Queued()); got != 1 {
				t.Errorf("queued %d events, want 1", got)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx: got %v, want %v", err, boom)
		}
		if got := j.take(); len(got) != 0 {
			t.Fatalf("a rolled back transaction: got %q, want nothing", got)
		}
		if _, err := b.store.FindTicketByID(b.ctx, b.cm.ID, id); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Fatalf("the rolled back ticket: got %v, want not found", err)
		}
	})
	t.Run("ErrServiceRollback", func(t *testing.T) {
		t.Parallel()
		b, j := journaled(t, 0)
		tk := b.newTicket(t, ticket.CreateTicketInput{})
		j.take()
		// The reply is written, then the parent check fails: nothing is
		// published.
		_, err := b.svc.CreateReply(b.ctx, b.cm, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.member.ID}, Message: "Hi", ParentReplyID: ptr(int64(999))})
		wantErr(t, err, openboards.CodeInvalid, "parentReplyId")
		if got := j.take(); len(got) != 0 {
			t.Fatalf("a failed reply: got %q, want nothing", got)
		}
	})
	t.Run("Retried", func(t *testing.T) {
		t.Parallel()
		// Each transaction runs twice; the first attempt's events must not
		// be published with the second's.
		b, j := journaled(t, 1)
		id, err := b.create(ticket.CreateTicketInput{Title: "Help", Creator: &ticket.CreatorInput{Email: b.customer.Email}})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"commit", fmt.Sprintf("publish ticket.created %d", id)}
		if got := j.take(); !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
		if got := b.ticketIDs(t); !slices.Equal(got, []int64{id}) {
			t.Fatalf("tickets: got %v, want only %d", got, id)
		}
	})
}

func TestServiceLiveEvents(t *testing.T) {
	t.Parallel()
	b, j := journaled(t, 0)
	tk := b.newTicket(t, ticket.CreateTicketInput{})
	cat := b.category(t, "Billing", ticket.CategoryInput{})
	j.take()
	steps := []struct {
		name string
		do   func() error
		want []live.Type
	}{
		{"status", func() error { return b.svc.UpdateTicketStatus(b.ctx, b.cm, tk.ID, "pending") }, []live.Type{live.StatusChanged}},
		{"same status", func() error { return b.svc.UpdateTicketStatus(b.ctx, b.cm, tk.ID, "pending") }, nil},
		{"assignee", func() error { return b.svc.UpdateTicketAssignee(b.ctx, b.cm, tk.ID, &b.member.ID, nil) }, []live.Type{live.AssigneeChanged}},
		{"category", func() error { return b.svc.UpdateTicketCategory(b.ctx, b.cm, tk.ID, &cat.ID) }, []live.Type{live.TicketChanged}},
		{"tags", func() error { return b.svc.SetTicketTags(b.ctx, b.cm, tk.ID, []string{"vip"}) }, []live.Type{live.TicketChanged}},
		{"read", func() error { return b.svc.MarkRead(b.ctx, b.cm, tk.ID, openboards.UserRef{ID: b.member.ID}) }, []live.Type{live.TicketChanged}},
		{"customer reply", func() error {
			_, err := b.svc.CreateReply(b.ctx, b.cm, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.customer.ID}, Message: "Any news?"})
			return err
		}, []live.Type{live.MessageAdded, live.StatusChanged}},
		{"draft", func() error {
			_, err := b.svc.CreateReply(b.ctx, b.cm, tk.ID, ticket.CreateReplyInput{Author: openboards.UserRef{ID: b.member.ID}, Message: "Draft", IsDraft: true})
			return err
		}, []live.Type{live.TicketChanged}},
		{"note", func() error {
			_, err := b.svc.CreateNote(b.ctx, b.cm, tk.ID, ticket.NoteInput{Author: openboards.UserRef{ID: b.member.ID}, Message: "Internal"})
			return err
		}, []live.Type{live.MessageAdded}},
		{"delete category", func() error { return b.svc.DeleteCategory(b.ctx, b.cm, cat.ID) }, []live.Type{live.TicketChanged}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		want := []string{"commit"}
		for _, typ := range s.want {
			want = append(want, fmt.Sprintf("publish %s %d", typ, tk.ID))
		}
		if got := j.take(); !slices.Equal(got, want) {
			t.Fatalf("%s: got %q, want %q", s.name, got, want)
		}
	}
}

func TestWriterCreateTicket(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		var id int64
		err := b.svc.InTx(b.ctx, b.cm, func(w *ticket.Writer) error {
			tk, err := w.CreateTicket(b.ctx, ticket.NewTicket{
				Title: "Chat", Message: "Hello", HTMLMessage: "<p>Hello</p>", Author: b.customer,
				Source: "chat", DetailedSource: "chat_external", Channel: "support-bot", Tags: []string{"chat"},
			})
			if err != nil {
				return err
			}
			id = tk.ID
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got := b.ticket(t, id)
		if got.Source != "chat" || got.DetailedSource != "chat_external" || got.Channel != "support-bot" {
			t.Fatalf("stored source %q, detailed source %q, channel %q; want chat, chat_external, support-bot", got.Source, got.DetailedSource, got.Channel)
		}
		if got.Status != openboards.TicketOpen || got.AuthorID != b.customer.ID || !slices.Equal(got.Tags, []string{"chat"}) {
			t.Fatalf("stored %+v", got)
		}
		if log := b.log(t, id); len(log) != 1 || log[0].Type != openboards.ActionTicketCreated {
			t.Fatalf("log: got %+v, want the creation only", log)
		}
	})
	t.Run("ServiceChannel", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		got := b.newTicket(t, ticket.CreateTicketInput{Source: "email", DetailedSource: "email_ticket", Channel: "support@example.com"})
		if got.Source != "email" || got.DetailedSource != "email_ticket" || got.Channel != "support@example.com" {
			t.Fatalf("stored source %q, detailed source %q, channel %q", got.Source, got.DetailedSource, got.Channel)
		}
		api := b.newTicket(t, ticket.CreateTicketInput{})
		if api.Source != openboards.SourceAPI || api.DetailedSource != openboards.DetailedSourceAPI || api.Channel != "" {
			t.Fatalf("an API ticket: stored source %q, detailed source %q, channel %q", api.Source, api.DetailedSource, api.Channel)
		}
	})
	t.Run("ErrNoSource", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := b.svc.CreateTicket(b.ctx, b.cm, ticket.CreateTicketInput{Title: "Help", Creator: &ticket.CreatorInput{Email: b.customer.Email}})
		if err == nil || openboards.ErrorCode(err) != openboards.CodeInternal {
			t.Fatalf("got %v, want an internal error", err)
		}
		if got := b.ticketIDs(t); len(got) != 0 {
			t.Fatalf("tickets: got %v, want none", got)
		}
	})
}

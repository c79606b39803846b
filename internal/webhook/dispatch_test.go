package webhook_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"openboards/internal/openboards"
	"openboards/internal/ticket"
	"openboards/internal/webhook"
)

// TestEveryPathRaisesItsEvent drives a ticket through every change that
// raises an event and checks what the receiver gets: each event once, in
// order, in the documented envelope, signed so the Standard Webhooks
// library accepts it.
func TestEveryPathRaisesItsEvent(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		rc := newReceiver(t, "tok")
		w := newWorld(t, b, worldOptions{roots: rc.Server})
		hook := w.add(rc)
		if !strings.HasPrefix(hook.Secret, "whsec_") || hook.Status != openboards.WebhookActive {
			t.Fatalf("new webhook: secret %q status %q", hook.Secret, hook.Status)
		}
		ctx, cm := w.ctx, w.cm
		id := w.newTicket("First")
		w.setStatus(id, "pending")
		if err := w.tickets.SetTicketTags(ctx, cm, id, []string{"vip", "billing"}); err != nil {
			t.Fatal(err)
		}
		cat, err := w.tickets.CreateCategory(ctx, cm, ticket.CategoryInput{Name: ptr("Billing"), CanBeChosen: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.tickets.UpdateTicketCategory(ctx, cm, id, &cat.ID); err != nil {
			t.Fatal(err)
		}
		// A customer's reply reopens the ticket: reply_creation, then the
		// status change it caused.
		r, err := w.tickets.CreateReply(ctx, cm, id, ticket.CreateReplyInput{
			Author: openboards.UserRef{Email: "customer@example.com"}, Message: "<b>more</b> & more", IsHTML: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		msg := "edited"
		if _, err := w.tickets.UpdateReply(ctx, cm, id, r.ID, ticket.UpdateReplyInput{Message: &msg}); err != nil {
			t.Fatal(err)
		}
		// A draft raises nothing until it is sent.
		draft, err := w.tickets.CreateReply(ctx, cm, id, ticket.CreateReplyInput{
			Author: openboards.UserRef{Email: "customer@example.com"}, Message: "draft", IsDraft: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.tickets.DeleteReply(ctx, cm, id, draft.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.tickets.DeleteReply(ctx, cm, id, r.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.tickets.DeleteCategory(ctx, cm, cat.ID); err != nil {
			t.Fatal(err)
		}
		want := []string{
			openboards.EventTicketCreation, openboards.EventTicketStatusChange, openboards.EventTicketTagsChange,
			openboards.EventTicketCategoryChange, openboards.EventReplyCreation, openboards.EventTicketStatusChange,
			openboards.EventReplyUpdate, openboards.EventReplyDeletion, openboards.EventTicketCategoryChange,
		}
		rc.waitFor(t, len(want), 10*time.Second)
		// Stopped, the loop has recorded every attempt it made; a round
		// that finds nothing to send means nothing more will come.
		w.stop()
		w.idle("after every event arrived")
		got := rc.all()
		var types []string
		for _, g := range got {
			types = append(types, g.EventType)
			verify(t, hook.Secret, g)
			if g.TicketID != id {
				t.Errorf("%s: TicketId %d, want %d", g.EventType, g.TicketID, id)
			}
			if ct := g.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		}
		if !slices.Equal(types, want) {
			t.Fatalf("events\n got %v\nwant %v", types, want)
		}
		// Previous values, and the ticket as the change left it.
		var status struct {
			Events []struct {
				InboxLink            string
				PreviousTicketStatus string
				Ticket               struct{ Status string }
			}
		}
		json.Unmarshal(got[1].Body, &status)
		if e := status.Events[0]; e.PreviousTicketStatus != "open" || e.Ticket.Status != "pending" ||
			e.InboxLink != "https://inbox.example.com/acme/tickets?ticketId="+itoa(id) {
			t.Errorf("status change item %+v", e)
		}
		var cleared struct {
			Events []struct {
				PreviousTicketCategoryId *int64
				Ticket                   struct{ Category *struct{ Id int64 } }
			}
		}
		json.Unmarshal(got[8].Body, &cleared)
		if e := cleared.Events[0]; e.PreviousTicketCategoryId == nil || *e.PreviousTicketCategoryId != cat.ID || e.Ticket.Category != nil {
			t.Errorf("category deletion item: previous %v, category %v", e.PreviousTicketCategoryId, e.Ticket.Category)
		}
		if !strings.Contains(string(got[4].Body), `<b>more</b> &amp; more`) {
			t.Errorf("reply HTML escaped or missing: %s", got[4].Body)
		}
		// Every event was delivered once, with its own stable id.
		ids := map[string]bool{}
		for _, g := range got {
			if ids[g.ID] {
				t.Errorf("webhook-id %s delivered twice", g.ID)
			}
			ids[g.ID] = true
		}
		st := openboards.DeliverySucceeded
		if n := len(w.deliveries(hook.ID, &st)); n != len(want) {
			t.Errorf("%d deliveries recorded as succeeded, want %d", n, len(want))
		}
	})
}

// TestSubscriptionsAndEndpoints sends each endpoint only the events it
// chose, and never another community's.
func TestSubscriptionsAndEndpoints(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		notes, statuses := newReceiver(t, "n"), newReceiver(t, "s")
		w := newWorld(t, b, worldOptions{roots: notes.Server})
		w.add(notes, openboards.EventNoteCreation, openboards.EventNoteUpdate, openboards.EventNoteDeletion)
		w.add(statuses, openboards.EventTicketStatusChange)
		id := w.newTicket("T")
		admin := addTeammate(t, w)
		n, err := w.tickets.CreateNote(w.ctx, w.cm, id, ticket.NoteInput{Author: openboards.UserRef{ID: admin.ID}, Message: "internal"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.tickets.UpdateNote(w.ctx, w.cm, id, n.ID, ticket.NoteInput{Message: "changed"}); err != nil {
			t.Fatal(err)
		}
		if err := w.tickets.DeleteNote(w.ctx, w.cm, id, n.ID); err != nil {
			t.Fatal(err)
		}
		w.setStatus(id, "completed")
		notes.waitFor(t, 3, 10*time.Second)
		statuses.waitFor(t, 1, 10*time.Second)
		w.stop()
		w.idle("after every event arrived")
		gotNotes := notes.all()
		if len(gotNotes) != 3 || gotNotes[0].EventType != "note_creation" || gotNotes[1].EventType != "note_update" || gotNotes[2].EventType != "note_deletion" {
			t.Fatalf("note endpoint got %v", kinds(gotNotes))
		}
		if g := statuses.all(); len(g) != 1 || g[0].EventType != "ticket_status_change" {
			t.Errorf("status endpoint got %v", kinds(g))
		}
		var del struct {
			Events []struct{ Note struct{ Message string } }
		}
		json.Unmarshal(gotNotes[2].Body, &del)
		if del.Events[0].Note.Message != "changed" {
			t.Errorf("note_deletion carries the note as it was: got %q", del.Events[0].Note.Message)
		}
	})
}

func kinds(rs []received) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.EventType)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func addTeammate(t *testing.T, w *world) *openboards.User {
	t.Helper()
	u := &openboards.User{ID: openboards.NewID(), CommunityID: w.cm.ID, Name: "Ann", Email: ptr("ann@example.com"),
		Status: openboards.StatusTeam, Role: openboards.RoleAdmin, CreatedAt: time.Now()}
	if err := w.store.InTx(w.ctx, func(tx openboards.Tx) error { return tx.CreateUser(w.ctx, u) }); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestOrderHoldsUnderFailures fails one ticket's first event several times:
// that ticket's later events wait for it, while another ticket's events go
// through at once; in the end each ticket's events arrived in order.
func TestOrderHoldsUnderFailures(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		rc := newReceiver(t, "tok")
		w := newWorld(t, b, worldOptions{roots: rc.Server})
		w.add(rc, openboards.EventTicketCreation, openboards.EventTicketStatusChange)
		stuck := w.newTicket("stuck")
		failures := 0
		rc.mu.Lock()
		rc.respond = func(n int, r received) int {
			if r.TicketID == stuck && r.EventType == openboards.EventTicketCreation && failures < 3 {
				failures++
				return http.StatusInternalServerError
			}
			return http.StatusOK
		}
		rc.mu.Unlock()
		w.setStatus(stuck, "pending")
		w.setStatus(stuck, "completed")
		free := w.newTicket("free")
		w.setStatus(free, "pending")
		w.setStatus(free, "completed")
		// The free ticket's three events arrive while the stuck one waits
		// out its backoff (5 s by the test clock, which stands still).
		eventually(t, 10*time.Second, "the free ticket's events", func() bool { return len(byTicket(rc.all())[free]) == 3 })
		w.stop()
		w.idle("while the stuck ticket's creation waits out its backoff")
		if got := byTicket(rc.all())[stuck]; len(got) != 1 {
			t.Fatalf("stuck ticket: %d notifications before its retry, want 1 (the failed creation)", len(got))
		}
		// Each retry comes due when the clock passes its backoff, and then
		// the ticket's two status changes go out one after the other.
		for i := range 5 {
			w.clock.advance(time.Minute)
			if n := w.round(); n != 1 {
				t.Fatalf("round %d after the clock moved: %d attempts, want 1", i, n)
			}
		}
		w.idle("after the stuck ticket's events")
		got := byTicket(rc.all())
		if k := kinds(got[stuck]); !slices.Equal(k, []string{"ticket_creation", "ticket_creation", "ticket_creation", "ticket_creation", "ticket_status_change", "ticket_status_change"}) {
			t.Errorf("stuck ticket order %v", k)
		}
		if k := kinds(got[free]); !slices.Equal(k, []string{"ticket_creation", "ticket_status_change", "ticket_status_change"}) {
			t.Errorf("free ticket order %v", k)
		}
		// The retries of one event share its webhook-id.
		if s := got[stuck]; s[0].ID != s[3].ID || s[3].ID == s[4].ID {
			t.Errorf("ids %s %s %s", s[0].ID, s[3].ID, s[4].ID)
		}
	})
}

func byTicket(rs []received) map[int64][]received {
	out := map[int64][]received{}
	for _, r := range rs {
		out[r.TicketID] = append(out[r.TicketID], r)
	}
	return out
}

// TestSlowEndpointDoesNotHoldOthers has one endpoint that hangs past the
// request timeout; the other gets everything at once.
func TestSlowEndpointDoesNotHoldOthers(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		slow, fast := newReceiver(t, "s"), newReceiver(t, "f")
		release := make(chan struct{})
		slow.respond = func(int, received) int { <-release; return 200 }
		// The slow endpoint's requests hang until the test ends: no
		// timeout frees its slots while the test looks.
		w := newWorld(t, b, worldOptions{roots: slow.Server, timeout: time.Hour})
		t.Cleanup(func() { close(release) }) // before the dispatcher waits for them
		slowHook := w.add(slow)
		w.add(fast)
		for i := range 40 {
			w.newTicket("t" + itoa(int64(i)))
		}
		fast.waitFor(t, 40, 30*time.Second)
		// Everything reached the fast endpoint while every request to the
		// slow one was still unanswered.
		for _, d := range w.deliveries(slowHook.ID, nil) {
			if len(d.Attempts) != 0 {
				t.Fatalf("slow endpoint: delivery %d has a recorded attempt %+v, want none before it answers", d.ID, d.Attempts[0])
			}
		}
		if n := len(slow.all()); n == 0 {
			t.Errorf("the slow endpoint got no request")
		}
	})
}

// TestRetryAfterAndGiveUp checks the retry schedule with the test clock:
// exponential backoff, Retry-After honoured, and the delivery given up
// once the next attempt would fall after the retry period, after which the
// ticket's next event goes out.
func TestRetryAfterAndGiveUp(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		rc := newReceiver(t, "tok")
		w := newWorld(t, b, worldOptions{roots: rc.Server, opt: webhook.Options{RetryFor: 3 * time.Minute, DisableAfter: 24 * time.Hour}})
		hook := w.add(rc, openboards.EventTicketCreation, openboards.EventTicketStatusChange)
		rc.respond = func(n int, r received) int {
			if r.EventType == openboards.EventTicketCreation {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		}
		w.stop()
		id := w.newTicket("x")
		w.setStatus(id, "pending")
		var prevNext time.Time
		var waits []time.Duration
		for attempt := 1; attempt <= 10; attempt++ {
			if n := w.round(); n != 1 {
				t.Fatalf("attempt %d: the round made %d attempts, want 1 (the creation)", attempt, n)
			}
			ds := w.deliveries(hook.ID, nil)
			if len(ds) != 2 || ds[1].AttemptCount != attempt {
				t.Fatalf("attempt %d: deliveries %+v", attempt, ds)
			}
			d := ds[1]
			if d.State == openboards.DeliveryFailed {
				break
			}
			w.idle("before the retry comes due")
			last := d.Attempts[len(d.Attempts)-1]
			waits = append(waits, d.NextAttemptAt.Sub(last.At.Add(last.Duration)).Round(time.Second))
			if !prevNext.IsZero() && !d.NextAttemptAt.After(prevNext) {
				t.Fatalf("next attempt did not move forward")
			}
			prevNext = d.NextAttemptAt
			w.clock.advance(d.NextAttemptAt.Sub(w.clock.now()) + time.Millisecond)
		}
		if want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second}; !slices.Equal(waits, want) {
			t.Errorf("backoff %v, want %v", waits, want)
		}
		ds := w.deliveries(hook.ID, nil)
		if ds[1].State != openboards.DeliveryFailed {
			t.Fatalf("creation delivery %s after %d attempts, want failed", ds[1].State, ds[1].AttemptCount)
		}
		// Given up, it no longer holds back the status change.
		if n := w.settle(); n != 1 {
			t.Errorf("after the creation was given up, %d attempts, want 1 (the status change)", n)
		}
		if !slices.Contains(kinds(rc.all()), openboards.EventTicketStatusChange) {
			t.Errorf("the status change did not go out after the given-up creation: %v", kinds(rc.all()))
		}
	})
}

// TestChainDoesNotWaitForPoll: when a round stores the outcome of the
// only request under way, the same round claims the ticket's next event;
// nothing waits for the next poll.
func TestChainDoesNotWaitForPoll(t *testing.T) {
	rc := newReceiver(t, "tok")
	w := newWorld(t, sqliteBackend, worldOptions{roots: rc.Server, opt: webhook.Options{Concurrency: 1, Poll: time.Hour}})
	w.add(rc, openboards.EventTicketCreation, openboards.EventTicketStatusChange)
	w.stop()
	id := w.newTicket("chain")
	w.setStatus(id, "pending")
	w.setStatus(id, "completed")
	w.setStatus(id, "open")
	w.start()
	w.dispatcher.Wake()
	// Far less than the hour between polls.
	got := rc.waitFor(t, 4, 30*time.Second)
	if k := kinds(got); !slices.Equal(k, []string{"ticket_creation", "ticket_status_change", "ticket_status_change", "ticket_status_change"}) {
		t.Errorf("order %v", k)
	}
}

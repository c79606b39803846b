package storetest

import (
	"testing"
	"time"

	"openboards/internal/openboards"
)

// webhook stores an active endpoint of cm subscribed to every event type.
func (b *bundle) webhook(cm *openboards.Community) *openboards.Webhook {
	b.t.Helper()
	n := b.next()
	w := &openboards.Webhook{
		CommunityID: cm.ID, URL: "https://hooks.example.com/" + time.Duration(n).String(),
		Events: openboards.EventTypes, Status: openboards.WebhookActive,
		Secret: "whsec_c2VjcmV0", CreatedAt: at(n), UpdatedAt: at(n),
	}
	b.tx(func(tx openboards.Tx) error { return tx.CreateWebhook(b.ctx, w) })
	return w
}

// event records an event of ticket t at time when, queued for hooks.
func (b *bundle) event(t *openboards.Ticket, typ string, when time.Time, hooks ...*openboards.Webhook) *openboards.Event {
	b.t.Helper()
	e := &openboards.Event{CommunityID: t.CommunityID, TicketID: t.ID, Type: typ, Payload: []byte(`{"n":1}`), CreatedAt: when}
	ids := make([]int64, len(hooks))
	for i, h := range hooks {
		ids[i] = h.ID
	}
	b.tx(func(tx openboards.Tx) error { return tx.CreateEvent(b.ctx, e, ids) })
	return e
}

func (b *bundle) claim(h *openboards.Webhook, limit int, owner string, now, until time.Time) []*openboards.Job {
	b.t.Helper()
	var jobs []*openboards.Job
	b.tx(func(tx openboards.Tx) (err error) {
		jobs, err = tx.ClaimDeliveries(b.ctx, []openboards.Claim{{WebhookID: h.ID, Limit: limit}}, owner, now, until)
		return err
	})
	return jobs
}

func jobEvents(jobs []*openboards.Job) []int64 {
	ids := []int64{}
	for _, j := range jobs {
		ids = append(ids, j.EventID)
	}
	return ids
}

func testEvents(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	author := b.teammate(b.cm1, "Ann")
	tk := b.ticket(b.cm1, author, &openboards.Ticket{})
	h1, h2 := b.webhook(b.cm1), b.webhook(b.cm1)
	e1 := b.event(tk, openboards.EventTicketCreation, at(10), h1, h2)
	e2 := b.event(tk, openboards.EventReplyCreation, at(11), h1)
	e3 := b.event(tk, openboards.EventReplyCreation, at(12))

	got, err := b.store.FindEventByID(b.ctx, b.cm1.ID, e1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != e1.Type || got.TicketID != tk.ID || string(got.Payload) != `{"n":1}` || !got.CreatedAt.Equal(at(10)) {
		t.Errorf("FindEventByID = %+v, want %+v", got, e1)
	}
	_, err = b.store.FindEventByID(b.ctx, b.cm2.ID, e1.ID)
	wantCode(t, err, openboards.CodeNotFound)

	// One pending delivery per webhook the event was queued for.
	pending, err := b.store.CountPendingDeliveries(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "pending deliveries", map[int64]int{h1.ID: 2, h2.ID: 1}, pending)

	ids := func(from, to time.Time, types []string, missingFor int64, limit int) []int64 {
		t.Helper()
		got, err := b.store.FindEventIDs(b.ctx, b.cm1.ID, from, to, types, missingFor, limit)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	diff(t, "all, oldest first", []int64{e1.ID, e2.ID, e3.ID}, ids(at(0), at(20), nil, 0, 10))
	diff(t, "window [from, to)", []int64{e2.ID}, ids(at(11), at(12), nil, 0, 10))
	diff(t, "types", []int64{e2.ID, e3.ID}, ids(at(0), at(20), []string{openboards.EventReplyCreation}, 0, 10))
	diff(t, "missing for h2", []int64{e2.ID, e3.ID}, ids(at(0), at(20), nil, h2.ID, 10))
	diff(t, "limit", []int64{e1.ID}, ids(at(0), at(20), nil, 0, 1))
	if got, err := b.store.FindEventIDs(b.ctx, b.cm2.ID, at(0), at(20), nil, 0, 10); err != nil || len(got) != 0 {
		t.Errorf("another community's events = %v, %v; want none", got, err)
	}

	// Queuing existing events again for one webhook.
	var created []int64
	b.tx(func(tx openboards.Tx) (err error) {
		created, err = tx.CreateDeliveries(b.ctx, h2.ID, []int64{e2.ID, e3.ID}, at(30))
		return err
	})
	if len(created) != 2 {
		t.Fatalf("CreateDeliveries made %v, want 2 deliveries", created)
	}
	diff(t, "missing for h2 after requeue", []int64{}, ids(at(0), at(20), nil, h2.ID, 10))
}

func testDeliveries(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	author := b.teammate(b.cm1, "Ann")
	t1 := b.ticket(b.cm1, author, &openboards.Ticket{})
	t2 := b.ticket(b.cm1, author, &openboards.Ticket{})
	h := b.webhook(b.cm1)
	a1 := b.event(t1, openboards.EventTicketCreation, at(10), h)
	a2 := b.event(t1, openboards.EventReplyCreation, at(11), h)
	c1 := b.event(t2, openboards.EventTicketCreation, at(12), h)

	// Nothing is due before its time.
	if jobs := b.claim(h, 10, "node-a", at(9), at(9).Add(time.Minute)); len(jobs) != 0 {
		t.Fatalf("claimed %v before they were due", jobEvents(jobs))
	}
	// Only the oldest pending delivery of each ticket is claimed.
	now := at(20)
	jobs := b.claim(h, 10, "node-a", now, now.Add(time.Minute))
	diff(t, "first claim", []int64{a1.ID, c1.ID}, jobEvents(jobs))
	if string(jobs[0].Payload) != `{"n":1}` || !jobs[0].EventCreatedAt.Equal(at(10)) {
		t.Errorf("job carries payload %q at %v", jobs[0].Payload, jobs[0].EventCreatedAt)
	}
	// Leased deliveries are not claimable by another owner until the lease
	// runs out, and the ticket's next one waits behind its head.
	if again := b.claim(h, 10, "node-b", now.Add(30*time.Second), now.Add(2*time.Minute)); len(again) != 0 {
		t.Fatalf("node-b claimed %v under node-a's lease", jobEvents(again))
	}
	after := now.Add(time.Minute)
	if again := b.claim(h, 1, "node-b", after, after.Add(time.Minute)); len(again) != 1 || again[0].EventID != a1.ID {
		t.Fatalf("after the lease, limit 1: claimed %v, want [%d]", jobEvents(again), a1.ID)
	}

	// Finishing stores the attempt and the state, and releases the lease.
	b.tx(func(tx openboards.Tx) error {
		return tx.FinishDeliveries(b.ctx, []*openboards.DeliveryResult{
			{Attempt: openboards.DeliveryAttempt{DeliveryID: jobs[0].ID, WebhookID: h.ID, At: after, Duration: 3 * time.Millisecond, StatusCode: 200},
				State: openboards.DeliverySucceeded},
			{Attempt: openboards.DeliveryAttempt{DeliveryID: jobs[1].ID, WebhookID: h.ID, At: after, StatusCode: 503, Error: "503 Service Unavailable"},
				State: openboards.DeliveryPending, NextAttemptAt: at(40)},
		})
	})
	d, err := b.store.FindDeliveryByID(b.ctx, b.cm1.ID, h.ID, jobs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != openboards.DeliverySucceeded || d.AttemptCount != 1 || d.DoneAt == nil || len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 200 {
		t.Errorf("succeeded delivery = %+v", d)
	}
	d, err = b.store.FindDeliveryByID(b.ctx, b.cm1.ID, h.ID, jobs[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != openboards.DeliveryPending || d.AttemptCount != 1 || d.DoneAt != nil || !d.NextAttemptAt.Equal(at(40)) {
		t.Errorf("retried delivery = %+v", d)
	}
	_, err = b.store.FindDeliveryByID(b.ctx, b.cm2.ID, h.ID, jobs[0].ID)
	wantCode(t, err, openboards.CodeNotFound)

	// With t1's head done, its next event is claimable; t2's waits for its
	// retry time, or for RetryNow.
	later := after.Add(time.Second)
	diff(t, "after finishing", []int64{a2.ID}, jobEvents(b.claim(h, 10, "node-a", later, later.Add(time.Minute))))
	b.tx(func(tx openboards.Tx) error { return tx.ReleaseLeases(b.ctx) })
	b.tx(func(tx openboards.Tx) error { return tx.RetryNow(b.ctx, h.ID, later) })
	diff(t, "after RetryNow and ReleaseLeases", []int64{a2.ID, c1.ID}, jobEvents(b.claim(h, 10, "node-b", later, later.Add(time.Minute))))

	// Pruning removes only finished deliveries older than the cut, with
	// their attempts, and events no delivery needs any more. A delivery is
	// done when its last attempt ended.
	done := after.Add(3 * time.Millisecond)
	var n int
	b.tx(func(tx openboards.Tx) (err error) {
		n, err = tx.PruneDeliveries(b.ctx, done, 100)
		return err
	})
	if n != 0 {
		t.Errorf("pruning before the first finish removed %d rows", n)
	}
	b.tx(func(tx openboards.Tx) (err error) {
		n, err = tx.PruneDeliveries(b.ctx, done.Add(time.Microsecond), 100)
		return err
	})
	if n != 3 { // the delivery, its attempt, its event
		t.Errorf("pruning removed %d rows, want 3", n)
	}
	_, err = b.store.FindDeliveryByID(b.ctx, b.cm1.ID, h.ID, jobs[0].ID)
	wantCode(t, err, openboards.CodeNotFound)
	_, err = b.store.FindEventByID(b.ctx, b.cm1.ID, a1.ID)
	wantCode(t, err, openboards.CodeNotFound)
	if _, err := b.store.FindDeliveryByID(b.ctx, b.cm1.ID, h.ID, jobs[1].ID); err != nil {
		t.Errorf("a pending delivery was pruned: %v", err)
	}
	pending, err := b.store.CountPendingDeliveries(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "pending after prune", map[int64]int{h.ID: 2}, pending)
}

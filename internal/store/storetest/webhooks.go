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

// deliveries returns h's deliveries by event id.
func (b *bundle) deliveries(h *openboards.Webhook) map[int64]*openboards.Delivery {
	b.t.Helper()
	ds, err := b.store.FindDeliveries(b.ctx, openboards.DeliveryFilter{CommunityID: h.CommunityID, WebhookID: h.ID, Take: 1000})
	if err != nil {
		b.t.Fatalf("FindDeliveries: %v", err)
	}
	out := map[int64]*openboards.Delivery{}
	for _, d := range ds {
		out[d.EventID] = d
	}
	return out
}

func testWebhooks(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		h1, h2, other := b.webhook(b.cm1), b.webhook(b.cm1), b.webhook(b.cm2)
		if h1.ID == 0 || h1.ID == h2.ID || h2.ID == other.ID {
			t.Fatalf("ids %d, %d, %d", h1.ID, h2.ID, other.ID)
		}
		got, err := b.store.FindWebhookByID(b.ctx, b.cm1.ID, h1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "by id", h1, got)
		list, err := b.store.FindWebhooks(b.ctx, b.cm1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "list", []*openboards.Webhook{h1, h2}, list)

		// Every field but the id, community and creation time is stored.
		u := *h2
		u.CommunityID, u.CreatedAt = b.cm1.ID, at(50)
		u.URL, u.VerifyToken, u.Events = "https://hooks.example/new", "verify-new", []string{openboards.EventReplyCreation}
		u.Status, u.DisabledReason, u.DisabledAt = openboards.WebhookDisabled, "gone (410)", ptr(at(40))
		u.Secret, u.PreviousSecret, u.PreviousSecretUntil = "secret-new", h2.Secret, ptr(at(41))
		u.FailingSince, u.UpdatedAt = ptr(at(39)), at(42)
		b.tx(func(tx openboards.Tx) error { return tx.UpdateWebhook(b.ctx, &u) })
		got, err = b.store.FindWebhookByID(b.ctx, b.cm1.ID, h2.ID)
		if err != nil {
			t.Fatal(err)
		}
		u.CreatedAt = h2.CreatedAt
		diff(t, "updated", &u, got)

		active, err := b.store.FindActiveWebhooks(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "active, of every community", []*openboards.Webhook{h1, other}, active)
	})
	t.Run("Failing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		h1, h2 := b.webhook(b.cm1), b.webhook(b.cm1)
		failingSince := func(h *openboards.Webhook) *time.Time {
			t.Helper()
			got, err := b.store.FindWebhookByID(b.ctx, h.CommunityID, h.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.FailingSince
		}
		b.tx(func(tx openboards.Tx) error { return tx.SetWebhookFailing(b.ctx, h1.ID, at(10)) })
		// A run of failures keeps its start.
		b.tx(func(tx openboards.Tx) error { return tx.SetWebhookFailing(b.ctx, h1.ID, at(11)) })
		b.tx(func(tx openboards.Tx) error { return tx.SetWebhookFailing(b.ctx, h2.ID, at(12)) })
		diff(t, "h1 failing since", ptr(at(10)), failingSince(h1))
		diff(t, "h2 failing since", ptr(at(12)), failingSince(h2))
		b.tx(func(tx openboards.Tx) error { return tx.ClearWebhooksFailing(b.ctx, []int64{h1.ID}) })
		diff(t, "h1 failing since, cleared", (*time.Time)(nil), failingSince(h1))
		diff(t, "h2 failing since, not cleared", ptr(at(12)), failingSince(h2))
		b.tx(func(tx openboards.Tx) error { return tx.SetWebhookFailing(b.ctx, h1.ID, at(13)) })
		diff(t, "h1 failing again", ptr(at(13)), failingSince(h1))
	})
	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		h, kept := b.webhook(b.cm1), b.webhook(b.cm1)
		tk := b.ticket(b.cm1, b.user(b.cm1, userOpts{}), &openboards.Ticket{})
		e := b.event(tk, openboards.EventTicketCreation, at(10), h, kept)
		b.tx(func(tx openboards.Tx) error { return tx.DeleteWebhook(b.ctx, b.cm1.ID, h.ID) })
		_, err := b.store.FindWebhookByID(b.ctx, b.cm1.ID, h.ID)
		wantCode(t, err, openboards.CodeNotFound)
		counts, err := b.store.CountPendingDeliveries(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "pending deliveries", map[int64]int{kept.ID: 1}, counts)
		if _, err := b.store.FindEventByID(b.ctx, b.cm1.ID, e.ID); err != nil {
			t.Fatalf("the event went with the webhook: %v", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		h := b.webhook(b.cm1)
		_, err := b.store.FindWebhookByID(b.ctx, b.cm2.ID, h.ID)
		wantCode(t, err, openboards.CodeNotFound)
		u := *h
		u.CommunityID, u.URL = b.cm2.ID, "https://hooks.example/stolen"
		err = b.try(func(tx openboards.Tx) error { return tx.UpdateWebhook(b.ctx, &u) })
		wantCode(t, err, openboards.CodeNotFound)
		err = b.try(func(tx openboards.Tx) error { return tx.DeleteWebhook(b.ctx, b.cm2.ID, h.ID) })
		wantCode(t, err, openboards.CodeNotFound)
		got, err := b.store.FindWebhookByID(b.ctx, b.cm1.ID, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "untouched", h, got)
	})
}

// testEventList covers the listing by time that redelivery and replay
// read, requeueing events for one webhook, and the deliveries' listing:
// newest first, by state and type, a page at a time.
func testEventList(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		h := b.webhook(b.cm1)
		tk := b.ticket(b.cm1, b.user(b.cm1, userOpts{}), &openboards.Ticket{})
		// Recorded out of time order: the list goes by time, then id.
		e12 := b.event(tk, openboards.EventTicketCreation, at(12), h)
		e10 := b.event(tk, openboards.EventReplyCreation, at(10))
		e11a := b.event(tk, openboards.EventTicketCreation, at(11), h)
		e11b := b.event(tk, openboards.EventReplyCreation, at(11))
		e13 := b.event(tk, openboards.EventReplyCreation, at(13))
		b.event(b.ticket(b.cm2, b.user(b.cm2, userOpts{}), &openboards.Ticket{}), openboards.EventTicketCreation, at(11))

		list := func(from, to time.Time, types []string, missingFor int64, limit int) []int64 {
			t.Helper()
			ids, err := b.store.FindEventIDs(b.ctx, b.cm1.ID, from, to, types, missingFor, limit)
			if err != nil {
				t.Fatal(err)
			}
			return ids
		}
		diff(t, "all", []int64{e10.ID, e11a.ID, e11b.ID, e12.ID, e13.ID}, list(at(0), at(20), nil, 0, 100))
		diff(t, "[at(11), at(13))", []int64{e11a.ID, e11b.ID, e12.ID}, list(at(11), at(13), nil, 0, 100))
		diff(t, "limit", []int64{e10.ID, e11a.ID}, list(at(0), at(20), nil, 0, 2))
		diff(t, "replies", []int64{e10.ID, e11b.ID, e13.ID}, list(at(0), at(20), []string{openboards.EventReplyCreation}, 0, 100))
		diff(t, "not queued for h", []int64{e10.ID, e11b.ID, e13.ID}, list(at(0), at(20), nil, h.ID, 100))

		// Queued again, in event order, due at now.
		ids := []int64{}
		b.tx(func(tx openboards.Tx) error {
			var err error
			ids, err = tx.CreateDeliveries(b.ctx, h.ID, []int64{e13.ID, e10.ID}, at(30))
			return err
		})
		ds := b.deliveries(h)
		if len(ids) != 2 || ds[e10.ID] == nil || ds[e13.ID] == nil || ids[0] != ds[e10.ID].ID || ids[1] != ds[e13.ID].ID {
			t.Fatalf("CreateDeliveries returned %v; deliveries %v", ids, ds)
		}
		for _, d := range []*openboards.Delivery{ds[e10.ID], ds[e13.ID]} {
			if d.State != openboards.DeliveryPending || !d.NextAttemptAt.Equal(at(30)) || !d.CreatedAt.Equal(at(30)) {
				t.Errorf("requeued delivery %+v, want pending, due and created at %v", d, at(30))
			}
		}
		diff(t, "not queued for h, after requeueing", []int64{e11b.ID}, list(at(0), at(20), nil, h.ID, 100))

		// Deliveries list newest first, by state and type, a page at a time.
		page := func(f openboards.DeliveryFilter) []int64 {
			t.Helper()
			f.CommunityID, f.WebhookID = b.cm1.ID, h.ID
			ds, err := b.store.FindDeliveries(b.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			ids := []int64{}
			for _, d := range ds {
				ids = append(ids, d.EventID)
			}
			return ids
		}
		diff(t, "deliveries", []int64{e13.ID, e10.ID, e11a.ID, e12.ID}, page(openboards.DeliveryFilter{Take: 10}))
		diff(t, "second page", []int64{e11a.ID, e12.ID}, page(openboards.DeliveryFilter{Skip: 2, Take: 2}))
		diff(t, "replies", []int64{e13.ID, e10.ID}, page(openboards.DeliveryFilter{EventType: openboards.EventReplyCreation, Take: 10}))
		diff(t, "succeeded", []int64{}, page(openboards.DeliveryFilter{State: ptr(openboards.DeliverySucceeded), Take: 10}))
		diff(t, "pending", []int64{e13.ID, e10.ID, e11a.ID, e12.ID}, page(openboards.DeliveryFilter{State: ptr(openboards.DeliveryPending), Take: 10}))
	})
}

// testDeliveryEndpoint: a claim reads the webhook with its deliveries, so
// that it sends with the webhook's current settings and claims nothing of
// a webhook that is not active; giving up ends the pending deliveries of
// the types named and no others.
func testDeliveryEndpoint(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	author := b.teammate(b.cm1, "Ann")
	t1 := b.ticket(b.cm1, author, &openboards.Ticket{})
	t2 := b.ticket(b.cm1, author, &openboards.Ticket{})
	h := b.webhook(b.cm1)
	b.event(t1, openboards.EventTicketCreation, at(10), h)
	b.event(t2, openboards.EventReplyCreation, at(11), h)

	h.Status, h.UpdatedAt = openboards.WebhookPaused, at(12)
	b.tx(func(tx openboards.Tx) error { return tx.UpdateWebhook(b.ctx, h) })
	if jobs := b.claim(h, 10, "node-a", at(20), at(80)); len(jobs) != 0 {
		t.Fatalf("claimed %v of a paused webhook", jobEvents(jobs))
	}

	until := at(13)
	h.Status, h.URL, h.PreviousSecret, h.PreviousSecretUntil, h.Secret = openboards.WebhookActive, "https://hooks.example.com/new", h.Secret, &until, "whsec_bmV3"
	b.tx(func(tx openboards.Tx) error { return tx.UpdateWebhook(b.ctx, h) })
	var given int
	b.tx(func(tx openboards.Tx) (err error) {
		given, err = tx.GiveUpDeliveries(b.ctx, h.ID, []string{openboards.EventReplyCreation}, at(14))
		return err
	})
	if given != 1 {
		t.Fatalf("GiveUpDeliveries ended %d deliveries, want the reply's", given)
	}
	jobs := b.claim(h, 10, "node-a", at(20), at(80))
	if len(jobs) != 1 || jobs[0].EventType != openboards.EventTicketCreation {
		t.Fatalf("claimed %v, want only the creation", jobEvents(jobs))
	}
	diff(t, "the claimed job's webhook", h, jobs[0].Webhook)
	failed := openboards.DeliveryFailed
	ds, err := b.store.FindDeliveries(b.ctx, openboards.DeliveryFilter{CommunityID: b.cm1.ID, WebhookID: h.ID, State: &failed, Take: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].EventType != openboards.EventReplyCreation || ds[0].DoneAt == nil || !ds[0].DoneAt.Equal(at(14)) {
		t.Fatalf("failed deliveries %+v, want the reply's, done at the give-up", ds)
	}
}

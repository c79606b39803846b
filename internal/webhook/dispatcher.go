package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"openboards/internal/openboards"
	"openboards/internal/webhook/egress"
)

// Options tune a Dispatcher. The zero value of each field means its
// default.
type Options struct {
	// Concurrency is how many requests one endpoint may have in flight
	// (default 64). Deliveries of one ticket never overlap.
	Concurrency int
	// Lease is how long a claimed delivery stays with this process before
	// another may take it over (default 25s). It must exceed the request
	// timeout.
	Lease time.Duration
	// Poll is how often the dispatcher looks for work it was not told
	// about: retries coming due, other processes' expired leases (default
	// 1s).
	Poll time.Duration
	// RetryFor is how long after an event its delivery is retried before
	// it is given up (default 72h).
	RetryFor time.Duration
	// DisableAfter disables an endpoint that has failed every attempt for
	// this long (default 5 days).
	DisableAfter time.Duration
	// Retention is how long finished deliveries, their attempts and events
	// are kept (default 30 days).
	Retention time.Duration
	// PruneEvery is how often old deliveries are pruned (default 10m).
	PruneEvery time.Duration
	// ExclusiveStore says that this process alone uses the database, so
	// leases left by an earlier run are released at start.
	ExclusiveStore bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Jitter returns a random factor in [0.8, 1.2) applied to backoff
	// delays (default random).
	Jitter func() float64
	// Log receives warnings (default slog.Default()).
	Log *slog.Logger
	// Metrics registers the dispatcher's metrics when set.
	Metrics prometheus.Registerer
}

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.Lease <= 0 {
		o.Lease = 25 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.RetryFor <= 0 {
		o.RetryFor = 72 * time.Hour
	}
	if o.DisableAfter <= 0 {
		o.DisableAfter = 5 * 24 * time.Hour
	}
	if o.Retention <= 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.PruneEvery <= 0 {
		o.PruneEvery = 10 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Jitter == nil {
		o.Jitter = func() float64 { return 0.8 + 0.4*mrand.Float64() }
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Backoff is the wait before attempt n+1 after n failed attempts: 5s
// doubling each time up to 8h, times the jitter factor. Retried that way,
// a delivery gets about 21 attempts in 72 hours.
func Backoff(n int, jitter float64) time.Duration {
	if n < 1 {
		n = 1
	}
	d := 5 * time.Second * time.Duration(math.Pow(2, float64(min(n-1, 20))))
	d = min(d, 8*time.Hour)
	return time.Duration(float64(d) * jitter)
}

// retried is how long the backoff schedule has waited in all once n
// attempts have failed and the next is scheduled. The retry period counts
// from the first attempt, so a delivery that waited behind another, or
// while its endpoint was paused, still gets its full schedule.
func retried(n int) time.Duration {
	var total time.Duration
	for k := 1; k <= n; k++ {
		total += Backoff(k, 1)
	}
	return total
}

// minRound is the least time between two dispatch rounds.
const minRound = 6 * time.Millisecond

// maxRetryAfter bounds how long a Retry-After answer can hold a delivery.
const maxRetryAfter = 24 * time.Hour

// Dispatcher sends queued deliveries. Several dispatchers (one per server
// process) can share a database: each claims deliveries under a lease, so a
// delivery is sent by one process at a time, and a dead process's work is
// taken over when its leases run out.
type Dispatcher struct {
	store  openboards.Store
	client *egress.Client
	opt    Options
	owner  string
	wake   chan struct{}
	done   chan result

	mu sync.Mutex
	// endpoints are the active webhooks by id, as the last round's claim
	// transaction read them.
	endpoints map[int64]*endpoint
	orphans   int // requests in flight to endpoints no longer active

	m dispatcherMetrics
}

type endpoint struct {
	hook     *openboards.Webhook
	inflight int
	// failing says that the log was told the endpoint's deliveries fail,
	// and failures counts the failed attempts since: one line when
	// failures start and one when they end, not one per attempt.
	failing  bool
	failures int
}

// healthLine is a log line about an endpoint's deliveries starting or
// ending to fail, written after the dispatcher's lock is released.
type healthLine struct {
	level slog.Level
	msg   string
	attrs []any
}

// noteOutcome records a stored outcome in e's health and returns the line
// it calls for, if any.
func (e *endpoint) noteOutcome(r result) (healthLine, bool) {
	a := r.res.Attempt
	if r.res.State == openboards.DeliverySucceeded {
		if !e.failing {
			return healthLine{}, false
		}
		line := healthLine{slog.LevelInfo, "webhooks: deliveries succeed again", []any{
			"community", e.hook.CommunityID, "webhook", e.hook.ID, "url", e.hook.URL, "failed_attempts", e.failures,
		}}
		e.failing, e.failures = false, 0
		return line, true
	}
	e.failures++
	if e.failing {
		return healthLine{}, false
	}
	e.failing = true
	return healthLine{slog.LevelWarn, "webhooks: deliveries failing", []any{
		"community", e.hook.CommunityID, "webhook", e.hook.ID, "url", e.hook.URL,
		"status", a.StatusCode, "err", a.Error, "next_attempt_at", r.res.NextAttemptAt,
		"note", "further failures are not logged until a delivery succeeds",
	}}, true
}

type result struct {
	job      *openboards.Job
	res      openboards.DeliveryResult
	gone     bool // the endpoint answered 410 Gone
	finished time.Time
}

// NewDispatcher returns a dispatcher that sends with client.
func NewDispatcher(store openboards.Store, client *egress.Client, opt Options) *Dispatcher {
	opt.defaults()
	var b [8]byte
	rand.Read(b[:])
	d := &Dispatcher{
		store: store, client: client, opt: opt, owner: hex.EncodeToString(b[:]),
		wake: make(chan struct{}, 1), done: make(chan result, 4096),
		endpoints: map[int64]*endpoint{},
	}
	d.m.register(opt.Metrics, d)
	return d
}

// Wake tells the dispatcher that deliveries were queued. It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run dispatches until ctx ends, then waits for requests in flight (each
// bounded by the client's timeout) and stores their outcome.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.opt.ExclusiveStore {
		if err := d.store.InTx(ctx, func(tx openboards.Tx) error { return tx.ReleaseLeases(ctx) }); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("webhooks: release leases: %w", err)
		}
	}
	poll := time.NewTicker(d.opt.Poll)
	defer poll.Stop()
	var pending []result
	lastPrune := d.opt.Now()
	var lastRound time.Time
	for {
		select {
		case <-ctx.Done():
			return d.drain(pending)
		case <-d.wake:
		case r := <-d.done:
			pending = append(pending, r)
		case <-poll.C:
		}
		// Under load, rounds are spaced at least minRound apart: each round
		// is a write transaction, and one that stores many outcomes at once
		// writes each database page once for all of them.
		if wait := minRound - time.Since(lastRound); wait > 0 {
			time.Sleep(wait)
		}
		lastRound = time.Now()
		pending = d.collect(pending)
		now := d.opt.Now()
		sends, left, err := d.round(ctx, pending, true)
		if err != nil && ctx.Err() == nil {
			d.opt.Log.Warn("webhooks: dispatch round failed", "err", err)
		}
		pending = left
		for _, j := range sends {
			go d.send(ctx, j, d.done)
		}
		if now.Sub(lastPrune) >= d.opt.PruneEvery {
			lastPrune = now
			go func() {
				if _, err := d.prune(ctx); err != nil && ctx.Err() == nil {
					d.opt.Log.Warn("webhooks: prune failed", "err", err)
				}
			}()
		}
	}
}

// runOnce makes one whole round: it claims what is due now, sends it,
// waits for every attempt it started and stores their outcomes. It returns
// how many attempts it made; zero means that nothing was due. Tests drive
// the dispatcher with it, with Run stopped, so that what a round did is
// known once it returns.
func (d *Dispatcher) runOnce(ctx context.Context) (attempts int, err error) {
	sends, _, err := d.round(ctx, d.collect(nil), true)
	if err != nil {
		return 0, err
	}
	done := make(chan result, len(sends))
	for _, j := range sends {
		go d.send(ctx, j, done)
	}
	results := make([]result, 0, len(sends))
	for range sends {
		results = append(results, <-done)
	}
	if _, _, err := d.round(ctx, results, false); err != nil {
		return len(sends), err
	}
	return len(sends), nil
}

// collect adds every result already waiting to pending.
func (d *Dispatcher) collect(pending []result) []result {
	for {
		select {
		case r := <-d.done:
			pending = append(pending, r)
		default:
			return pending
		}
	}
}

// drain waits for the requests in flight and stores every outcome.
func (d *Dispatcher) drain(pending []result) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for d.inflight() > len(pending) {
		select {
		case r := <-d.done:
			pending = append(pending, r)
		case <-ctx.Done():
			return nil
		}
	}
	if len(pending) > 0 {
		return d.store.InTx(ctx, func(tx openboards.Tx) error { return d.finish(ctx, tx, pending) })
	}
	return nil
}

func (d *Dispatcher) inflight() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, e := range d.endpoints {
		n += e.inflight
	}
	return n + d.orphans
}

// setEndpoints makes hooks the set of active endpoints, keeping the
// in-flight counts and health of those that stay. d.mu must be held.
func (d *Dispatcher) setEndpoints(hooks []*openboards.Webhook) {
	next := make(map[int64]*endpoint, len(hooks))
	for _, h := range hooks {
		e := d.endpoints[h.ID]
		if e == nil {
			e = &endpoint{}
		}
		e.hook = h
		next[h.ID] = e
	}
	for id, e := range d.endpoints {
		if next[id] == nil && e.inflight > 0 {
			d.orphans += e.inflight // finishing requests of an endpoint no longer active
		}
	}
	d.endpoints = next
}

// round stores finished attempts and, when claim is set, claims what can
// be sent now, in one transaction, and returns the claimed deliveries for
// the caller to start. Results that could not be stored are returned to be
// tried again.
//
// The endpoints are read in the claim's transaction, and the claim
// statement reads each delivery's endpoint again, so a change to an
// endpoint (a pause, a resumption, a new URL or secret) committed before
// the round is in force for everything it claims, on every node; nothing
// is cached between rounds but in-flight counts and health.
func (d *Dispatcher) round(ctx context.Context, pending []result, claim bool) ([]*openboards.Job, []result, error) {
	now := d.opt.Now()
	// The outcomes stored in this round free their slots: the claims of
	// the same round may use them. (Left for the next round, they could
	// wait for the next poll when no other request is under way.)
	finishing := map[int64]int{}
	for _, r := range pending {
		finishing[r.job.WebhookID]++
	}
	var claimed []*openboards.Job
	var hooks []*openboards.Webhook
	var disabled []int64
	err := d.store.InTx(ctx, func(tx openboards.Tx) error {
		claimed, hooks, disabled = nil, nil, nil
		if len(pending) > 0 {
			if err := d.finish(ctx, tx, pending); err != nil {
				return err
			}
			for _, r := range pending {
				if r.gone {
					disabled = append(disabled, r.job.WebhookID)
				}
			}
		}
		if !claim {
			return nil
		}
		var err error
		if hooks, err = tx.FindActiveWebhooks(ctx); err != nil {
			return err
		}
		var claims []openboards.Claim
		d.mu.Lock()
		for _, h := range hooks {
			inflight := 0
			if e := d.endpoints[h.ID]; e != nil {
				inflight = e.inflight
			}
			if free := d.opt.Concurrency - inflight + finishing[h.ID]; free > 0 {
				claims = append(claims, openboards.Claim{WebhookID: h.ID, Limit: free})
			}
		}
		d.mu.Unlock()
		if len(claims) == 0 {
			return nil
		}
		claimed, err = tx.ClaimDeliveries(ctx, claims, d.owner, now, now.Add(d.opt.Lease))
		return err
	})
	if err != nil {
		return nil, pending, err
	}
	d.mu.Lock()
	var lines []healthLine
	for _, r := range pending {
		e := d.endpoints[r.job.WebhookID]
		if e != nil && e.inflight > 0 {
			e.inflight--
		} else if d.orphans > 0 {
			d.orphans--
		}
		if e != nil {
			if line, ok := e.noteOutcome(r); ok {
				lines = append(lines, line)
			}
		}
	}
	for _, id := range disabled {
		if e := d.endpoints[id]; e != nil {
			d.orphans += e.inflight
			delete(d.endpoints, id)
		}
	}
	if claim {
		d.setEndpoints(hooks)
	}
	var start []*openboards.Job
	for _, j := range claimed {
		e := d.endpoints[j.WebhookID]
		if e == nil {
			continue // disabled meanwhile: its lease runs out
		}
		e.inflight++
		e.hook = j.Webhook
		start = append(start, j)
	}
	d.mu.Unlock()
	for _, l := range lines {
		d.opt.Log.Log(ctx, l.level, l.msg, l.attrs...)
	}
	return start, nil, nil
}

// send makes one attempt, with the endpoint's settings as the claim read
// them, and reports its outcome on done.
func (d *Dispatcher) send(ctx context.Context, j *openboards.Job, done chan<- result) {
	h := j.Webhook
	start := d.opt.Now()
	body := j.Payload
	secrets := []string{h.Secret}
	if h.PreviousSecret != "" && h.PreviousSecretUntil != nil && start.Before(*h.PreviousSecretUntil) {
		secrets = append(secrets, h.PreviousSecret)
	}
	var res egress.Result
	header, err := egress.Headers(MessageID(j.EventID), start, body, secrets...)
	if err != nil {
		res = egress.Result{Err: err}
	} else {
		// The request outlives ctx by design: an attempt under way is
		// completed and recorded rather than cut off at shutdown.
		res = d.client.Post(context.WithoutCancel(ctx), h.URL, header, body)
	}
	done <- d.outcome(j, start, res)
}

// MessageID is the webhook-id of an event's deliveries: the same for every
// attempt, redelivery and replay, so receivers can drop duplicates.
func MessageID(eventID int64) string { return "msg_" + strconv.FormatInt(eventID, 10) }

// outcome turns an attempt's result into the delivery's next state.
func (d *Dispatcher) outcome(j *openboards.Job, start time.Time, res egress.Result) result {
	a := openboards.DeliveryAttempt{
		DeliveryID: j.ID, WebhookID: j.WebhookID, At: start, Duration: res.Duration,
		StatusCode: res.StatusCode, Response: cleanText(res.Body),
	}
	r := result{job: j, finished: start.Add(res.Duration)}
	if res.Err == nil {
		r.res = openboards.DeliveryResult{Attempt: a, State: openboards.DeliverySucceeded}
		d.m.observe(j, "success", res.Duration, r.finished)
		return r
	}
	a.Error = cleanText(res.Err.Error())
	r.gone = res.StatusCode == 410
	wait := Backoff(j.AttemptCount+1, d.opt.Jitter())
	if res.RetryAfter > 0 {
		wait = max(wait, min(res.RetryAfter, maxRetryAfter))
	}
	next := r.finished.Add(wait)
	state := openboards.DeliveryPending
	if retried(j.AttemptCount+1) > d.opt.RetryFor {
		state = openboards.DeliveryFailed
	}
	r.res = openboards.DeliveryResult{Attempt: a, State: state, NextAttemptAt: next}
	d.m.observe(j, "failure", res.Duration, r.finished)
	if state == openboards.DeliveryFailed {
		d.m.givenUp.Inc()
	}
	return r
}

// cleanText makes s storable as text: valid UTF-8 without NUL bytes.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}

// finish stores the outcomes of attempts and their effect on each
// endpoint's health: a success ends a run of failures; a 410 answer, or
// failures for DisableAfter, disable the endpoint.
func (d *Dispatcher) finish(ctx context.Context, tx openboards.Tx, rs []result) error {
	type health struct {
		ok       bool
		failedAt time.Time
		gone     bool
	}
	byHook := map[int64]*health{}
	results := make([]*openboards.DeliveryResult, len(rs))
	for i := range rs {
		results[i] = &rs[i].res
	}
	if err := tx.FinishDeliveries(ctx, results); err != nil {
		return err
	}
	var healthy []int64
	for i := range rs {
		r := &rs[i]
		h := byHook[r.job.WebhookID]
		if h == nil {
			h = &health{}
			byHook[r.job.WebhookID] = h
		}
		if r.res.State == openboards.DeliverySucceeded {
			h.ok = true
		} else if h.failedAt.IsZero() {
			h.failedAt = r.res.Attempt.At
		}
		h.gone = h.gone || r.gone
	}
	for id, h := range byHook {
		if h.ok {
			healthy = append(healthy, id)
			continue
		}
		if err := tx.SetWebhookFailing(ctx, id, h.failedAt); err != nil {
			return err
		}
		d.mu.Lock()
		e := d.endpoints[id]
		d.mu.Unlock()
		var reason string
		switch {
		case h.gone:
			reason = "the endpoint answered 410 Gone"
		case e != nil && e.hook.FailingSince != nil && h.failedAt.Sub(*e.hook.FailingSince) >= d.opt.DisableAfter:
			reason = fmt.Sprintf("every delivery failed since %s", e.hook.FailingSince.UTC().Format(time.RFC3339))
		default:
			continue
		}
		if err := d.disable(ctx, tx, id, reason, h.failedAt); err != nil {
			return err
		}
	}
	if len(healthy) > 0 {
		return tx.ClearWebhooksFailing(ctx, healthy)
	}
	return nil
}

// disable turns an endpoint off and tells its community's admins through
// the server log and the endpoint's visible status.
func (d *Dispatcher) disable(ctx context.Context, tx openboards.Tx, id int64, reason string, at time.Time) error {
	d.mu.Lock()
	e := d.endpoints[id]
	d.mu.Unlock()
	if e == nil {
		return nil
	}
	w, err := tx.FindWebhookByID(ctx, e.hook.CommunityID, id)
	if err != nil || w.Status != openboards.WebhookActive {
		return err
	}
	w.Status, w.DisabledReason, w.DisabledAt, w.UpdatedAt = openboards.WebhookDisabled, reason, &at, at
	if err := tx.UpdateWebhook(ctx, w); err != nil {
		return err
	}
	d.opt.Log.Warn("webhooks: endpoint disabled", "community", w.CommunityID, "webhook", w.ID, "url", w.URL, "reason", reason)
	return nil
}

// prune deletes what is older than the retention, in bounded batches, and
// returns how many deliveries it deleted.
func (d *Dispatcher) prune(ctx context.Context) (int, error) {
	before := d.opt.Now().Add(-d.opt.Retention)
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var n int
		err := d.store.InTx(ctx, func(tx openboards.Tx) error {
			var err error
			n, err = tx.PruneDeliveries(ctx, before, 2000)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n == 0 {
			return total, nil
		}
	}
}

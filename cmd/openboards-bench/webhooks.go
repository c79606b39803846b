package main

// Webhook phases.
//
// Each run starts a fresh server (SQLite, or a fresh schema of -db with
// -nodes processes) and N receivers in this process, each an HTTPS server
// on its own loopback port, so that the server keeps a separate connection
// pool per endpoint. One webhook per receiver subscribes to
// ticket_creation. An open-loop generator then posts tickets at a fixed
// rate for -warmup plus -webhook-duration: request i is due at start+i/rate
// whatever became of the earlier ones, and is handed to an idle worker
// (each with its own keep-alive connection), or to a new one while there
// are fewer than -webhook-workers, so a slow answer does not lower the
// offered rate; a request sent more than lateAfter behind its schedule is
// counted as late. After the load, the run waits (up to -webhook-drain)
// until every acknowledged ticket has reached every fast receiver.
//
// Receivers record the arrival (monotonic, on the same clock as the
// generator), the TicketId and the webhook-id of every notification. The
// latency of a delivery is its arrival minus the moment the generator had
// read the 2xx answer to the POST /tickets that created the ticket.
//
// The server trusts the receivers through a CA made for the run: its
// certificate is given to the server as SSL_CERT_FILE (Go's system roots),
// and OPENBOARDS_WEBHOOK_ALLOWED_NETWORKS lets it connect to loopback.

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

const (
	// webhookVerifyToken is the verify token of every benchmark webhook.
	webhookVerifyToken = "bench"
	// lateAfter is how far behind its schedule a request may be sent
	// before it counts as late.
	lateAfter = 10 * time.Millisecond
)

// webhookOptions are the settings of the webhook phases.
type webhookOptions struct {
	duration    time.Duration
	rate        float64
	latencyRate float64
	endpoints   int
	slowDelay   time.Duration
	drain       time.Duration
	workers     int
}

func (w *webhookOptions) addFlags(fs *flag.FlagSet) {
	fs.DurationVar(&w.duration, "webhook-duration", 60*time.Second, "measured time of each webhook run (after -warmup)")
	fs.Float64Var(&w.rate, "webhook-rate", 500, "tickets (ticket_creation events) per second offered in webhook-throughput and webhook-slow")
	fs.Float64Var(&w.latencyRate, "webhook-latency-rate", 500, "tickets per second offered in webhook-latency")
	fs.IntVar(&w.endpoints, "webhook-endpoints", 10, "receivers of each webhook run, each on its own port; webhook-slow makes one of them slow in its second run")
	fs.DurationVar(&w.slowDelay, "webhook-slow-delay", 2*time.Second, "how long the slow receiver of webhook-slow waits before answering")
	fs.DurationVar(&w.drain, "webhook-drain", 30*time.Second, "after the load, wait up to this long for the receivers to get every event")
	fs.IntVar(&w.workers, "webhook-workers", 1000, "most concurrent POST /tickets requests (one connection each) of the webhook load generator")
}

// webhookPhases are the webhook phase names; allPhases lists them too.
var webhookPhases = []string{"webhook-throughput", "webhook-latency", "webhook-slow"}

// check validates the settings when a webhook phase is among phases.
func (w *webhookOptions) check(phases []string) error {
	if !slices.ContainsFunc(phases, func(p string) bool { return slices.Contains(webhookPhases, p) }) {
		return nil
	}
	switch {
	case w.duration <= 0 || w.drain < 0:
		return errors.New("-webhook-duration must be positive and -webhook-drain not negative")
	case w.rate <= 0 || w.latencyRate <= 0:
		return errors.New("-webhook-rate and -webhook-latency-rate must be positive")
	case w.endpoints < 1, slices.Contains(phases, "webhook-slow") && w.endpoints < 2:
		return errors.New("-webhook-endpoints must be at least 1, and 2 for webhook-slow (one slow, the rest fast)")
	case w.workers < 1:
		return errors.New("-webhook-workers must be positive")
	case w.slowDelay < 0:
		return errors.New("-webhook-slow-delay must not be negative")
	}
	return nil
}

// webhookRun describes one run: a fresh server, receivers, load and drain.
type webhookRun struct {
	phase     string
	run       string // which run of the phase, if it has several
	rate      float64
	fast      int
	slow      int
	slowDelay time.Duration
}

// webhookResult is the outcome of one run, as printed and written to JSON.
type webhookResult struct {
	Phase         string  `json:"phase"`
	Run           string  `json:"run,omitempty"`
	DB            string  `json:"db"`
	FastEndpoints int     `json:"fastEndpoints"`
	SlowEndpoints int     `json:"slowEndpoints,omitempty"`
	SlowDelayMs   float64 `json:"slowDelayMs,omitempty"`
	Protocol      string  `json:"protocol"` // of the notifications, e.g. HTTP/2.0

	// Offered load: tickets per second, each one event for every endpoint.
	OfferedEventsPerSec     float64 `json:"offeredEventsPerSec"`
	OfferedDeliveriesPerSec float64 `json:"offeredDeliveriesPerSec"` // to the fast endpoints
	WarmupSec               float64 `json:"warmupSec"`
	WindowSec               float64 `json:"windowSec"`

	// The generator's POST /tickets requests (warm-up included).
	Requests             int     `json:"requests"`
	Acknowledged         int     `json:"acknowledged"`
	Failed               int     `json:"failed"`
	Late                 int     `json:"late"` // sent more than lateAfter behind schedule
	MaxLateMs            float64 `json:"maxLateMs"`
	Workers              int     `json:"workers"`
	FirstError           string  `json:"firstError,omitempty"`
	AchievedEventsPerSec float64 `json:"achievedEventsPerSec"` // acknowledged in the window / window
	APIP50ms             float64 `json:"apiP50Ms"`
	APIP99ms             float64 `json:"apiP99Ms"`

	// Deliveries to the fast endpoints.
	Delivered                   int      `json:"deliveredInWindow"`
	DeliveriesPerSec            float64  `json:"deliveriesPerSec"`
	DeliveriesPerSecPerEndpoint float64  `json:"deliveriesPerSecPerEndpoint"`
	PerSecondMin                int      `json:"perSecondMin"`
	PerSecondMedian             int      `json:"perSecondMedian"`
	BacklogAtStop               int      `json:"backlogAtStop"` // acknowledged before the load stopped, not yet delivered then
	DrainSec                    *float64 `json:"drainSec"`      // null: not drained
	Undelivered                 int      `json:"undelivered"`   // at the end of the drain
	Duplicates                  int      `json:"duplicates"`
	Unexpected                  int      `json:"unexpected"` // of tickets the generator got no 2xx answer for
	Malformed                   int      `json:"malformed"`  // without a TicketId or a webhook-id header
	LatencyCount                int      `json:"latencyCount"`
	LatencyMissing              int      `json:"latencyMissing"` // deliveries of the window's tickets that never arrived
	LatencyMinMs                float64  `json:"latencyMinMs"`
	LatencyP50ms                float64  `json:"latencyP50Ms"`
	LatencyP90ms                float64  `json:"latencyP90Ms"`
	LatencyP99ms                float64  `json:"latencyP99Ms"`
	LatencyMaxms                float64  `json:"latencyMaxMs"`

	Slow *slowEndpointResult `json:"slowEndpoint,omitempty"`

	// Resources over the load and the drain; the disk's fsync latency
	// before them (SQLite).
	FsyncP50ms      float64 `json:"fsyncP50Ms,omitempty"`
	FsyncP99ms      float64 `json:"fsyncP99Ms,omitempty"`
	MeasuredSec     float64 `json:"measuredSec"`
	ServerRSSMaxMiB float64 `json:"serverRssMaxMiB"` // largest node
	ServerHWMMiB    float64 `json:"serverVmHwmMiB"`
	ServerCPUSec    float64 `json:"serverCpuSec"` // all nodes
	BenchCPUSec     float64 `json:"benchCpuSec"`  // generator and receivers
	OtherCPUCores   float64 `json:"otherCpuCores"`

	Metrics serverMetrics `json:"serverMetrics"`

	// Comparison, set on the second run of webhook-slow.
	Change *slowChange `json:"changeFromBaseline,omitempty"`
}

// slowEndpointResult is what the slow endpoint of webhook-slow received.
type slowEndpointResult struct {
	Delivered        int     `json:"deliveredInWindow"`
	DeliveriesPerSec float64 `json:"deliveriesPerSec"`
	Received         int     `json:"received"` // by the end of the drain
	BacklogAtStop    int     `json:"backlogAtStop"`
	Undelivered      int     `json:"undelivered"`
	LatencyCount     int     `json:"latencyCount"` // of every ticket acknowledged before the load stopped
	LatencyP50ms     float64 `json:"latencyP50Ms"`
	LatencyP99ms     float64 `json:"latencyP99Ms"`
}

// slowChange compares the fast endpoints with and without a slow one.
type slowChange struct {
	PerEndpointPerSecA float64 `json:"perEndpointPerSecA"`
	PerEndpointPerSecB float64 `json:"perEndpointPerSecB"`
	PerEndpointPct     float64 `json:"perEndpointPct"`
	P99msA             float64 `json:"p99MsA"`
	P99msB             float64 `json:"p99MsB"`
	P99Pct             float64 `json:"p99Pct"`
}

// serverMetrics are figures from the servers' /metrics, summed over nodes.
type serverMetrics struct {
	AttemptsSuccess float64 `json:"attemptsSuccess"`
	AttemptsFailure float64 `json:"attemptsFailure"`
	GivenUp         float64 `json:"givenUp"`
	Pending         float64 `json:"pending"` // queue depth at the end
	LatencyCount    float64 `json:"latencyCount"`
	LatencyMeanMs   float64 `json:"latencyMeanMs"`
	LatencyP50LeSec float64 `json:"latencyP50LeSec"` // bucket bound; -1 above the last
	LatencyP99LeSec float64 `json:"latencyP99LeSec"`
	Error           string  `json:"error,omitempty"`
}

// phases

func (b *bench) runWebhookThroughput(ctx context.Context) error {
	o := b.o.webhook
	_, err := b.webhookRun(ctx, webhookRun{phase: "webhook-throughput", rate: o.rate, fast: o.endpoints})
	return err
}

func (b *bench) runWebhookLatency(ctx context.Context) error {
	o := b.o.webhook
	_, err := b.webhookRun(ctx, webhookRun{phase: "webhook-latency", rate: o.latencyRate, fast: o.endpoints})
	return err
}

// runWebhookSlow runs the same load twice: A with every endpoint fast, B
// with one of them answering after -webhook-slow-delay, and compares the
// fast endpoints of both.
func (b *bench) runWebhookSlow(ctx context.Context) error {
	o := b.o.webhook
	n := o.endpoints
	a, err := b.webhookRun(ctx, webhookRun{phase: "webhook-slow", run: fmt.Sprintf("A: %d fast", n), rate: o.rate, fast: n})
	if err != nil {
		return err
	}
	bb, err := b.webhookRun(ctx, webhookRun{phase: "webhook-slow", run: fmt.Sprintf("B: %d fast + 1 slow", n-1), rate: o.rate,
		fast: n - 1, slow: 1, slowDelay: o.slowDelay})
	if err != nil {
		return err
	}
	c := &slowChange{
		PerEndpointPerSecA: a.DeliveriesPerSecPerEndpoint, PerEndpointPerSecB: bb.DeliveriesPerSecPerEndpoint,
		PerEndpointPct: changePct(a.DeliveriesPerSecPerEndpoint, bb.DeliveriesPerSecPerEndpoint),
		P99msA:         a.LatencyP99ms, P99msB: bb.LatencyP99ms, P99Pct: changePct(a.LatencyP99ms, bb.LatencyP99ms),
	}
	b.webhooks[len(b.webhooks)-1].Change = c
	fmt.Fprintf(b.w, "webhook-slow: the fast endpoints without (A) and with (B) one endpoint answering after %s:\n", o.slowDelay)
	fmt.Fprintf(b.w, "  delivered/s per fast endpoint: A %.1f, B %.1f (%+.1f %%); all fast endpoints: A %.0f/s (%d), B %.0f/s (%d)\n",
		c.PerEndpointPerSecA, c.PerEndpointPerSecB, c.PerEndpointPct, a.DeliveriesPerSec, a.FastEndpoints, bb.DeliveriesPerSec, bb.FastEndpoints)
	fmt.Fprintf(b.w, "  latency p99 of the fast endpoints: A %.2f ms, B %.2f ms (%+.1f %%)\n", c.P99msA, c.P99msB, c.P99Pct)
	if s := bb.Slow; s != nil {
		fmt.Fprintf(b.w, "  the slow endpoint: %d delivered in the window (%.1f/s of %.0f/s offered), %d by the end of the drain, %d undelivered; latency p50 %.0f ms, p99 %.0f ms\n",
			s.Delivered, s.DeliveriesPerSec, bb.OfferedEventsPerSec, s.Received, s.Undelivered, s.LatencyP50ms, s.LatencyP99ms)
	}
	return nil
}

// changePct is the change from a to b in per cent of a.
func changePct(a, b float64) float64 {
	if a == 0 {
		return 0
	}
	return (b - a) / a * 100
}

// webhookRun performs one run, prints its result and adds it to the
// report once it has been measured.
func (b *bench) webhookRun(ctx context.Context, spec webhookRun) (webhookResult, error) {
	o := b.o.webhook
	title := spec.phase
	if spec.run != "" {
		title += " (" + spec.run + ")"
	}
	endpoints := spec.fast + spec.slow
	res := webhookResult{
		Phase: spec.phase, Run: spec.run, FastEndpoints: spec.fast, SlowEndpoints: spec.slow, SlowDelayMs: ms(spec.slowDelay),
		OfferedEventsPerSec: spec.rate, OfferedDeliveriesPerSec: spec.rate * float64(spec.fast),
		WarmupSec: b.o.warmup.Seconds(), WindowSec: o.duration.Seconds(), DB: "SQLite",
	}
	if b.o.db != "" {
		res.DB = fmt.Sprintf("PostgreSQL, %d node(s)", b.o.nodes)
	}
	slowNote := ""
	if spec.slow > 0 {
		slowNote = fmt.Sprintf(" (%d answering after %s)", spec.slow, spec.slowDelay)
	}
	fmt.Fprintf(b.w, "%s: %d HTTPS receivers%s, each on its own port; POST /tickets open loop at %.0f tickets/s = %.0f deliveries/s offered; %s warm-up + %s window; %s...\n",
		title, endpoints, slowNote, spec.rate, spec.rate*float64(endpoints), b.o.warmup, o.duration, res.DB)
	if b.o.profile {
		fmt.Fprintln(b.w, "  note: the webhook phases run the openboards binary, without profiling")
	}

	dir, err := os.MkdirTemp("", "openboards-bench-webhooks-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	cert, caFile, err := makeReceiverCert(dir)
	if err != nil {
		return res, err
	}
	db := filepath.Join(dir, "openboards.db")
	if b.o.db != "" {
		dsn, drop, err := freshSchema(ctx, b.o.db)
		if err != nil {
			return res, err
		}
		defer drop()
		db = dsn
	}
	out, err := runCommand(ctx, b.o.server, "community", "create", "Bench", "--db", db, "--json")
	if err != nil {
		return res, fmt.Errorf("community create: %w", err)
	}
	var cred struct {
		ClientID     string `json:"clientId"`
		RefreshToken string `json:"refreshToken"`
	}
	if err := json.Unmarshal(out, &cred); err != nil {
		return res, fmt.Errorf("community create: %w", err)
	}

	// The receivers outlive the servers, so that deliveries under way when
	// a server stops are answered.
	base := time.Now()
	var recvs []*receiver
	defer func() {
		for _, rc := range recvs {
			rc.close()
		}
	}()
	for i := range endpoints {
		var delay time.Duration
		if i >= spec.fast {
			delay = spec.slowDelay
		}
		rc, err := startReceiver(cert, base, delay)
		if err != nil {
			return res, err
		}
		recvs = append(recvs, rc)
	}

	var nodes []*process
	stopNodes := func() error {
		var errs []error
		for _, n := range nodes {
			errs = append(errs, n.stop())
		}
		nodes = nil
		return errors.Join(errs...)
	}
	defer stopNodes()
	env := map[string]string{"SSL_CERT_FILE": caFile, "OPENBOARDS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}
	for i := range b.o.nodes {
		name := spec.phase
		if spec.run != "" {
			name += "-" + strings.ToLower(spec.run[:1])
		}
		if b.o.nodes > 1 {
			name += fmt.Sprintf("-node%d", i+1)
		}
		var n *process
		err := withEnv(env, func() error {
			var err error
			n, err = startProcess(ctx, name, filepath.Join(b.o.out, "server-"+name+".log"), b.o.server, "serve", "--db", db, "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0")
			return err
		})
		if err != nil {
			return res, err
		}
		nodes = append(nodes, n)
	}
	p := nodes[0]
	var addrs []string
	for _, n := range nodes {
		addrs = append(addrs, n.addr)
	}
	tok, err := accessToken(ctx, p.url, cred.ClientID, cred.RefreshToken)
	if err != nil {
		return res, err
	}
	t := target{addr: p.addr, token: tok}
	if _, body, err := probe(p.addr, createWorkload(t, 1)); err != nil {
		return res, fmt.Errorf("a first POST /tickets failed: %v %.200s", err, body)
	}
	for _, rc := range recvs {
		if err := registerWebhook(ctx, p.url, tok, rc.url, "ticket_creation"); err != nil {
			return res, err
		}
	}

	b.waitIdle(ctx)
	if b.o.db == "" {
		res.FsyncP50ms, res.FsyncP99ms = b.fsyncProbe(workload{diskDir: dir})
	}

	// Load, then drain, with the servers' memory sampled and the CPU time
	// of the servers and of this program measured over both.
	var samplers []*sampler
	var cpu0 []time.Duration
	for _, n := range nodes {
		samplers = append(samplers, startSampler(n.pid()))
		c, _ := procCPU(n.pid())
		cpu0 = append(cpu0, c)
	}
	t0, self0, all0 := time.Now(), selfCPU(), machineCPU()
	gen := openLoop(ctx, base, addrs, tok, spec.rate, b.o.warmup, o.duration, o.workers)
	waitDelivered(ctx, recvs[:spec.fast], gen.acks, o.drain)
	wall := time.Since(t0)
	var srvCPU time.Duration
	for i, n := range nodes {
		c, _ := procCPU(n.pid())
		srvCPU += c - cpu0[i]
	}
	selfUsed, allUsed := selfCPU()-self0, machineCPU()-all0
	for _, s := range samplers {
		st := s.finish()
		res.ServerRSSMaxMiB = max(res.ServerRSSMaxMiB, float64(st.maxRSS)/mib)
		res.ServerHWMMiB = max(res.ServerHWMMiB, float64(st.hwm)/mib)
	}
	res.MeasuredSec = wall.Seconds()
	res.ServerCPUSec, res.BenchCPUSec = srvCPU.Seconds(), selfUsed.Seconds()
	res.OtherCPUCores = max(float64(allUsed-srvCPU-selfUsed)/float64(wall), 0)
	res.Metrics = scrapeMetrics(ctx, nodes)
	stopErr := stopNodes()

	// Figures.
	res.Requests, res.Acknowledged, res.Failed, res.Late = gen.sent, len(gen.acks), gen.failed, gen.late
	res.MaxLateMs, res.Workers, res.FirstError = ms(gen.maxLate), gen.workers, gen.firstErr
	window := gen.end - gen.from
	for _, a := range gen.acks {
		if a.at >= gen.from && a.at < gen.end {
			res.AchievedEventsPerSec++
		}
	}
	res.AchievedEventsPerSec /= window.Seconds()
	slices.Sort(gen.apiLat)
	res.APIP50ms, res.APIP99ms = ms(percentile(gen.apiLat, 0.50)), ms(percentile(gen.apiLat, 0.99))

	var fastArr [][]arrival
	for _, rc := range recvs[:spec.fast] {
		got, dups, bad, proto := rc.snapshot()
		fastArr = append(fastArr, got)
		res.Duplicates += dups
		res.Malformed += bad
		if res.Protocol == "" {
			res.Protocol = proto
		}
	}
	ds := analyzeDeliveries(gen.acks, fastArr, gen.from, gen.end)
	res.Delivered = ds.inWindow
	res.DeliveriesPerSec = float64(ds.inWindow) / window.Seconds()
	res.DeliveriesPerSecPerEndpoint = res.DeliveriesPerSec / float64(spec.fast)
	res.PerSecondMin, res.PerSecondMedian = minMedian(ds.perSecond)
	res.BacklogAtStop, res.Undelivered, res.Unexpected = ds.backlog, ds.missing, ds.unknown
	if ds.missing == 0 {
		d := ds.drain.Seconds()
		res.DrainSec = &d
	}
	res.LatencyCount, res.LatencyMissing = len(ds.latencies), ds.missingIn
	if n := len(ds.latencies); n > 0 {
		res.LatencyMinMs = ms(ds.latencies[0])
		res.LatencyP50ms, res.LatencyP90ms = ms(percentile(ds.latencies, 0.50)), ms(percentile(ds.latencies, 0.90))
		res.LatencyP99ms, res.LatencyMaxms = ms(percentile(ds.latencies, 0.99)), ms(ds.latencies[n-1])
	}
	if spec.slow > 0 {
		var slowArr [][]arrival
		s := &slowEndpointResult{}
		for _, rc := range recvs[spec.fast:] {
			got, dups, bad, _ := rc.snapshot()
			slowArr = append(slowArr, got)
			s.Received += len(got)
			res.Duplicates += dups
			res.Malformed += bad
		}
		ss := analyzeDeliveries(gen.acks, slowArr, gen.from, gen.end)
		s.Delivered, s.DeliveriesPerSec = ss.inWindow, float64(ss.inWindow)/window.Seconds()
		s.BacklogAtStop, s.Undelivered = ss.backlog, ss.missing
		// Its latency is over all it received: it may get nothing of the
		// tickets of the window.
		all := analyzeDeliveries(gen.acks, slowArr, 0, gen.end).latencies
		s.LatencyCount = len(all)
		s.LatencyP50ms, s.LatencyP99ms = ms(percentile(all, 0.50)), ms(percentile(all, 0.99))
		res.Slow = s
	}
	b.printWebhook(res)
	b.webhooks = append(b.webhooks, res)
	if stopErr != nil {
		return res, stopErr
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

// printWebhook prints one run's result.
func (b *bench) printWebhook(r webhookResult) {
	w := b.w
	fmt.Fprintf(w, "  generator: %d POST /tickets sent, %d acknowledged (%.1f tickets/s in the window), %d failed, %d late (sent >%s behind schedule; max %.1f ms), %d workers; answer p50 %.2f ms, p99 %.2f ms\n",
		r.Requests, r.Acknowledged, r.AchievedEventsPerSec, r.Failed, r.Late, lateAfter, r.MaxLateMs, r.Workers, r.APIP50ms, r.APIP99ms)
	if r.FirstError != "" {
		fmt.Fprintf(w, "  first error: %s\n", r.FirstError)
	}
	fast := ""
	if r.SlowEndpoints > 0 {
		fast = " to the fast endpoints"
	}
	fmt.Fprintf(w, "  delivered%s in the %.0f s window: %d = %.1f/s (%.1f/s per endpoint; offered %.0f/s); per second: min %d, median %d\n",
		fast, r.WindowSec, r.Delivered, r.DeliveriesPerSec, r.DeliveriesPerSecPerEndpoint, r.OfferedDeliveriesPerSec, r.PerSecondMin, r.PerSecondMedian)
	drain := fmt.Sprintf("not drained: %d deliveries missing after %s", r.Undelivered, b.o.webhook.drain)
	if r.DrainSec != nil {
		drain = fmt.Sprintf("drained %.2f s after the load stopped", *r.DrainSec)
	}
	fmt.Fprintf(w, "  backlog when the load stopped: %d deliveries; %s; duplicates %d, unexpected %d, malformed %d; notifications over %s\n",
		r.BacklogAtStop, drain, r.Duplicates, r.Unexpected, r.Malformed, r.Protocol)
	missing := ""
	if r.LatencyMissing > 0 {
		missing = fmt.Sprintf(" (%d more never arrived, so the figures are of the arrived ones only)", r.LatencyMissing)
	}
	if r.LatencyCount == 0 {
		fmt.Fprintf(w, "  latency: no delivery of a ticket acknowledged in the window arrived%s\n", missing)
	} else {
		minNote := ""
		if r.LatencyMinMs < 0 {
			minNote = ": delivered before the generator had read the answer"
		}
		fmt.Fprintf(w, "  latency (arrival at the receiver - 2xx answer of POST /tickets) of %d deliveries of tickets acknowledged in the window%s: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (min %.2f ms%s)\n",
			r.LatencyCount, missing, r.LatencyP50ms, r.LatencyP90ms, r.LatencyP99ms, r.LatencyMaxms, r.LatencyMinMs, minNote)
	}
	if s := r.Slow; s != nil {
		fmt.Fprintf(w, "  slow endpoint: %d delivered in the window (%.1f/s), %d received by the end, backlog %d when the load stopped, %d undelivered; latency of the %d it received: p50 %.0f ms, p99 %.0f ms\n",
			s.Delivered, s.DeliveriesPerSec, s.Received, s.BacklogAtStop, s.Undelivered, s.LatencyCount, s.LatencyP50ms, s.LatencyP99ms)
	}
	fmt.Fprintf(w, "  resources over %.1f s of load and drain: server RSS max %.0f MiB (VmHWM %.0f MiB); CPU server %.1f s (%.2f cores), bench %.1f s (%.2f cores), other processes %.2f cores\n",
		r.MeasuredSec, r.ServerRSSMaxMiB, r.ServerHWMMiB, r.ServerCPUSec, r.ServerCPUSec/r.MeasuredSec, r.BenchCPUSec, r.BenchCPUSec/r.MeasuredSec, r.OtherCPUCores)
	if r.OtherCPUCores > disturbed {
		fmt.Fprintf(w, "  warning: other processes used %.2f cores during the run\n", r.OtherCPUCores)
	}
	m := r.Metrics
	if m.Error != "" {
		fmt.Fprintf(w, "  server metrics: %s\n", m.Error)
		return
	}
	fmt.Fprintf(w, "  server metrics: %.0f successful attempts, %.0f failed, %.0f given up, %.0f pending; event-to-delivery latency mean %.1f ms, p50 <= %s, p99 <= %s (histogram buckets)\n",
		m.AttemptsSuccess, m.AttemptsFailure, m.GivenUp, m.Pending, m.LatencyMeanMs, bucketLabel(m.LatencyP50LeSec), bucketLabel(m.LatencyP99LeSec))
}

func bucketLabel(le float64) string {
	if le < 0 {
		return "+Inf"
	}
	return strconv.FormatFloat(le, 'g', -1, 64) + " s"
}

// printWebhookTable writes the compact table of the webhook runs.
func printWebhookTable(w io.Writer, results []webhookResult) {
	if len(results) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "webhook phase\tendpoints\toffered tickets/s\tacked tickets/s\tlate/failed\tdeliveries/s\tper s min/median\tbacklog\tdrain s\tlatency p50/p99/max ms\tdups\tsrv RSS MiB\tCPU s srv/bench\t")
	for _, r := range results {
		name := r.Phase
		if r.Run != "" {
			name += " " + r.Run[:1]
		}
		eps := strconv.Itoa(r.FastEndpoints)
		if r.SlowEndpoints > 0 {
			eps += fmt.Sprintf("+%d slow", r.SlowEndpoints)
		}
		drain := "no"
		if r.DrainSec != nil {
			drain = fmt.Sprintf("%.2f", *r.DrainSec)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.1f\t%d/%d\t%.0f\t%d/%d\t%d\t%s\t%.1f/%.1f/%.1f\t%d\t%.0f\t%.1f/%.1f\t\n",
			name, eps, r.OfferedEventsPerSec, r.AchievedEventsPerSec, r.Late, r.Failed, r.DeliveriesPerSec, r.PerSecondMin, r.PerSecondMedian,
			r.BacklogAtStop, drain, r.LatencyP50ms, r.LatencyP99ms, r.LatencyMaxms, r.Duplicates, r.ServerRSSMaxMiB, r.ServerCPUSec, r.BenchCPUSec)
	}
	tw.Flush()
	fmt.Fprintln(w, "(deliveries/s, backlog, drain and latency are of the fast endpoints; latency is the arrival at the receiver minus the API's answer)")
}

// writeReport writes the JSON report, with the webhook runs if any.
func (b *bench) writeReport(path string) error {
	if len(b.webhooks) == 0 {
		return writeJSON(path, b.rep)
	}
	o := b.o.webhook
	full := struct {
		report
		WebhookSettings map[string]any  `json:"webhookSettings"`
		Webhooks        []webhookResult `json:"webhooks"`
	}{b.rep, map[string]any{
		"duration": o.duration.String(), "warmup": b.o.warmup.String(), "rate": o.rate, "latencyRate": o.latencyRate,
		"endpoints": o.endpoints, "slowDelay": o.slowDelay.String(), "drain": o.drain.String(), "workers": o.workers,
		"lateAfter": lateAfter.String(),
	}, b.webhooks}
	buf, err := json.MarshalIndent(full, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(buf, '\n'), 0o644)
}

// server setup

// withEnv runs fn with the variables of env set in this process and puts
// the previous values back afterwards: startProcess gives its child this
// process's environment.
func withEnv(env map[string]string, fn func() error) error {
	type prev struct {
		v  string
		ok bool
	}
	saved := map[string]prev{}
	for k, v := range env {
		old, ok := os.LookupEnv(k)
		saved[k] = prev{old, ok}
		os.Setenv(k, v)
	}
	defer func() {
		for k, p := range saved {
			if p.ok {
				os.Setenv(k, p.v)
			} else {
				os.Unsetenv(k)
			}
		}
	}()
	return fn()
}

// makeReceiverCert makes a CA and a certificate for 127.0.0.1 signed by
// it (ECDSA P-256, valid for a day), writes the CA certificate to
// dir/ca.pem and returns the receivers' certificate and that file.
func makeReceiverCert(dir string) (tls.Certificate, string, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "openboards-bench receivers CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	leaf, err := x509.ParseCertificate(leafDER)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		return tls.Certificate{}, "", err
	}
	return tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key, Leaf: leaf}, caFile, nil
}

// registerWebhook subscribes url to event (e.g. ticket_creation) with
// POST /webhooks; the server runs the verification handshake before it
// answers.
func registerWebhook(ctx context.Context, base, token, url, event string) error {
	body, _ := json.Marshal(map[string]any{"url": url, "verifyToken": webhookVerifyToken, "events": []string{event}})
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/webhooks", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("POST /webhooks: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var env struct {
		Data struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"data"`
	}
	if resp.StatusCode/100 != 2 || json.Unmarshal(b, &env) != nil || env.Data.ID == 0 {
		return fmt.Errorf("POST /webhooks %s: status %d: %.300s", url, resp.StatusCode, b)
	}
	if env.Data.Status != "active" {
		return fmt.Errorf("POST /webhooks %s: the webhook is %q, not active", url, env.Data.Status)
	}
	return nil
}

// receivers

// arrival is one notification as a receiver got it.
type arrival struct {
	at     time.Duration // since the run's base time (monotonic)
	ticket int64         // or what the receiver's key function read
}

// receiver is one webhook endpoint: an HTTPS server on its own loopback
// port that records every notification and answers 200, after delay.
type receiver struct {
	url   string
	base  time.Time
	delay time.Duration
	srv   *http.Server
	// key reads what an arrival records from a notification body: the
	// TicketId, unless startKeyedReceiver was given another function.
	key func(body []byte) (int64, bool)

	mu    sync.Mutex
	seen  map[string]struct{} // webhook-ids
	got   []arrival           // first arrival of each webhook-id
	dups  int
	bad   int // notifications without a key or webhook-id
	proto string
}

func startReceiver(cert tls.Certificate, base time.Time, delay time.Duration) (*receiver, error) {
	return startKeyedReceiver(cert, base, delay, payloadTicketID)
}

// startKeyedReceiver starts a receiver whose arrivals record what key
// reads from each notification.
func startKeyedReceiver(cert tls.Certificate, base time.Time, delay time.Duration, key func([]byte) (int64, bool)) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{url: "https://" + ln.Addr().String() + "/hook", base: base, delay: delay, key: key, seen: map[string]struct{}{}}
	rc.srv = &http.Server{
		Handler:           rc,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go rc.srv.ServeTLS(ln, "", "")
	return rc, nil
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Since(rc.base)
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		if q.Get("verifyToken") != webhookVerifyToken {
			http.Error(w, "wrong verify token", http.StatusForbidden)
			return
		}
		io.WriteString(w, q.Get("challenge"))
		return
	case http.MethodPost:
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	id, ok := rc.key(body)
	msg := r.Header.Get("webhook-id")
	rc.mu.Lock()
	if rc.proto == "" {
		rc.proto = r.Proto
	}
	switch _, dup := rc.seen[msg]; {
	case !ok || msg == "":
		rc.bad++
	case dup:
		rc.dups++
	default:
		rc.seen[msg] = struct{}{}
		rc.got = append(rc.got, arrival{at: at, ticket: id})
	}
	rc.mu.Unlock()
	if rc.delay > 0 {
		t := time.NewTimer(rc.delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	w.Header().Set("Content-Length", "3")
	io.WriteString(w, "ok\n")
}

// snapshot returns a copy of what the receiver recorded.
func (rc *receiver) snapshot() (got []arrival, dups, bad int, proto string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got), rc.dups, rc.bad, rc.proto
}

// since returns the arrivals recorded after the first from.
func (rc *receiver) since(from int) []arrival {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got[from:])
}

func (rc *receiver) close() { rc.srv.Close() }

// payloadTicketID reads the top-level TicketId of a notification body: it
// is the first "TicketId" key, before the Events array.
func payloadTicketID(body []byte) (int64, bool) {
	const key = `"TicketId":`
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return 0, false
	}
	rest := bytes.TrimLeft(body[i+len(key):], " ")
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	id, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	return id, err == nil && id > 0
}

// load generator

// ack is a ticket the server acknowledged, and when its answer was read.
type ack struct {
	id int64
	at time.Duration // since the run's base time
}

// genResult is what the open-loop generator did.
type genResult struct {
	from, end    time.Duration // the measured window, since base
	sent, failed int
	late         int
	maxLate      time.Duration
	workers      int
	firstErr     string
	acks         []ack
	apiLat       []time.Duration // of requests due in the window
}

// loadJob is one request of the open loop: when it is due, and to which
// of the servers.
type loadJob struct {
	due  time.Duration
	node int
}

// openLoop posts tickets at rate per second for warmup+duration: request i
// is due at start+i/rate, goes to addrs[i%len(addrs)], and is handed to an
// idle worker, or to a new one while there are fewer than maxWorkers, or
// else waits for the first worker to be free. A worker keeps a connection
// to each server it has sent to.
func openLoop(ctx context.Context, base time.Time, addrs []string, token string, rate float64, warmup, duration time.Duration, maxWorkers int) genResult {
	start := time.Since(base)
	res := genResult{from: start + warmup, end: start + warmup + duration}
	n := int(math.Round((warmup + duration).Seconds() * rate))
	jobs := make(chan loadJob)
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		num atomic.Int64
	)
	worker := func(first loadJob) {
		defer wg.Done()
		conns := make([]*conn, len(addrs))
		defer func() {
			for _, cn := range conns {
				if cn != nil {
					cn.close()
				}
			}
		}()
		var local genResult
		var body, req []byte
		send := func(j loadJob) {
			due := j.due
			tg := target{addr: addrs[j.node], token: token}
			cn := conns[j.node]
			if cn == nil {
				cn = &conn{addr: tg.addr}
				conns[j.node] = cn
			}
			sent := time.Since(base)
			late := sent - due
			if late > lateAfter {
				local.late++
			}
			local.maxLate = max(local.maxLate, late)
			body = appendTicketBody(body[:0], num.Add(1))
			req = tg.appendRequest(req[:0], "POST", "/tickets", body)
			status, resp, err := cn.do(req)
			at := time.Since(base)
			local.sent++
			var id int64
			ok := err == nil && status/100 == 2
			if ok {
				id, ok = dataInt(resp)
			}
			if !ok {
				local.failed++
				if local.firstErr == "" {
					if err != nil {
						local.firstErr = err.Error()
					} else {
						local.firstErr = fmt.Sprintf("status %d: %.200s", status, bytes.TrimSpace(resp))
					}
				}
				return
			}
			local.acks = append(local.acks, ack{id: id, at: at})
			if due >= res.from && due < res.end {
				local.apiLat = append(local.apiLat, at-sent)
			}
		}
		send(first)
		for j := range jobs {
			send(j)
		}
		mu.Lock()
		res.sent += local.sent
		res.failed += local.failed
		res.late += local.late
		res.maxLate = max(res.maxLate, local.maxLate)
		if res.firstErr == "" {
			res.firstErr = local.firstErr
		}
		res.acks = append(res.acks, local.acks...)
		res.apiLat = append(res.apiLat, local.apiLat...)
		mu.Unlock()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		j := loadJob{due: start + time.Duration(float64(i)*float64(time.Second)/rate), node: i % len(addrs)}
		if d := j.due - time.Since(base); d > 0 {
			time.Sleep(d)
		}
		select {
		case jobs <- j:
			continue
		default:
		}
		if res.workers < maxWorkers {
			wg.Add(1)
			go worker(j)
			res.workers++
			continue
		}
		select {
		case jobs <- j:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	slices.SortFunc(res.acks, func(a, b ack) int { return cmp.Compare(a.at, b.at) })
	return res
}

// waitDelivered waits, up to limit, until every receiver has got every
// acknowledged ticket.
func waitDelivered(ctx context.Context, recvs []*receiver, acks []ack, limit time.Duration) {
	index := make(map[int64]int, len(acks))
	for i, a := range acks {
		index[a.id] = i
	}
	type progress struct {
		read int
		got  []bool
		left int
	}
	ps := make([]progress, len(recvs))
	for i := range ps {
		ps[i] = progress{got: make([]bool, len(acks)), left: len(acks)}
	}
	deadline := time.Now().Add(limit)
	for {
		left := 0
		for i, rc := range recvs {
			p := &ps[i]
			news := rc.since(p.read)
			p.read += len(news)
			for _, a := range news {
				if j, ok := index[a.ticket]; ok && !p.got[j] {
					p.got[j] = true
					p.left--
				}
			}
			left += p.left
		}
		if left == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// analysis

// deliveryStats summarise the deliveries to a set of endpoints.
type deliveryStats struct {
	inWindow  int   // arrivals in [from, to)
	perSecond []int // arrivals in each whole second of the window
	backlog   int   // deliveries of tickets acknowledged before to, not arrived before to
	missing   int   // deliveries of acknowledged tickets that never arrived
	missingIn int   // of those, of tickets acknowledged in [from, to)
	unknown   int   // arrivals of tickets never acknowledged
	drain     time.Duration
	latencies []time.Duration // sorted; of tickets acknowledged in [from, to)
}

// analyzeDeliveries matches the arrivals at each endpoint (eps) with the
// acknowledged tickets. The window is [from, to); to is when the offered
// load stopped; drain is how long after to the last delivery of an
// acknowledged ticket arrived.
func analyzeDeliveries(acks []ack, eps [][]arrival, from, to time.Duration) deliveryStats {
	index := make(map[int64]int, len(acks))
	for i, a := range acks {
		index[a.id] = i
	}
	var s deliveryStats
	s.perSecond = make([]int, max(int((to-from)/time.Second), 0))
	for _, ep := range eps {
		got := make([]bool, len(acks))
		for _, a := range ep {
			if a.at >= from && a.at < to {
				s.inWindow++
				if k := int((a.at - from) / time.Second); k < len(s.perSecond) {
					s.perSecond[k]++
				}
			}
			i, ok := index[a.ticket]
			if !ok {
				s.unknown++
				continue
			}
			if got[i] {
				continue
			}
			got[i] = true
			acked := acks[i].at
			if acked < to && a.at >= to {
				s.backlog++
			}
			s.drain = max(s.drain, a.at-to)
			if acked >= from && acked < to {
				s.latencies = append(s.latencies, a.at-acked)
			}
		}
		for i, g := range got {
			if !g {
				s.missing++
				if acks[i].at < to {
					s.backlog++
				}
				if acks[i].at >= from && acks[i].at < to {
					s.missingIn++
				}
			}
		}
	}
	slices.Sort(s.latencies)
	return s
}

// minMedian returns the smallest and the median of counts.
func minMedian(counts []int) (lo, median int) {
	if len(counts) == 0 {
		return 0, 0
	}
	c := slices.Clone(counts)
	slices.Sort(c)
	return c[0], c[(len(c)-1)/2]
}

// server metrics

// scrapeMetrics reads /metrics of every node (on its metrics listener) and
// sums the webhook series.
func scrapeMetrics(ctx context.Context, nodes []*process) serverMetrics {
	var m serverMetrics
	buckets := map[float64]float64{}
	var sum float64
	for _, n := range nodes {
		if n.metricsURL == "" {
			m.Error = n.name + " reported no metrics address"
			return m
		}
		text, err := getText(ctx, n.metricsURL)
		if err != nil {
			m.Error = err.Error()
			return m
		}
		for _, s := range parseMetrics(text) {
			switch s.name {
			case "openboards_webhook_attempts_total":
				switch s.labels["outcome"] {
				case "success":
					m.AttemptsSuccess += s.value
				case "failure":
					m.AttemptsFailure += s.value
				}
			case "openboards_webhook_deliveries_given_up_total":
				m.GivenUp += s.value
			case "openboards_webhook_queue_depth":
				m.Pending += s.value
			case "openboards_webhook_delivery_latency_seconds_bucket":
				le, err := strconv.ParseFloat(s.labels["le"], 64)
				if err == nil {
					buckets[le] += s.value
				}
			case "openboards_webhook_delivery_latency_seconds_sum":
				sum += s.value
			case "openboards_webhook_delivery_latency_seconds_count":
				m.LatencyCount += s.value
			}
		}
	}
	if nodes := len(nodes); nodes > 1 {
		m.Pending /= float64(nodes) // every node reports the shared queue
	}
	if m.LatencyCount > 0 {
		m.LatencyMeanMs = sum / m.LatencyCount * 1000
	}
	m.LatencyP50LeSec = histogramBound(buckets, 0.50)
	m.LatencyP99LeSec = histogramBound(buckets, 0.99)
	return m
}

func getText(ctx context.Context, u string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	return string(b), err
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// parseMetrics reads the samples of a Prometheus text exposition; lines it
// cannot read are skipped.
func parseMetrics(text string) []sample {
	var out []sample
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		series := line[:i]
		s := sample{name: series, value: v, labels: map[string]string{}}
		if j := strings.IndexByte(series, '{'); j >= 0 && strings.HasSuffix(series, "}") {
			s.name = series[:j]
			rest := series[j+1 : len(series)-1]
			for rest != "" {
				k, after, ok := strings.Cut(rest, `="`)
				if !ok {
					break
				}
				var val strings.Builder
				n := 0
				for n < len(after) && after[n] != '"' {
					if after[n] == '\\' && n+1 < len(after) {
						n++
						if after[n] == 'n' {
							val.WriteByte('\n')
							n++
							continue
						}
					}
					val.WriteByte(after[n])
					n++
				}
				s.labels[strings.TrimSpace(k)] = val.String()
				rest = strings.TrimPrefix(after[min(n+1, len(after)):], ",")
			}
		}
		out = append(out, s)
	}
	return out
}

// histogramBound returns the smallest bucket bound under which at least a
// share q of a cumulative histogram's observations fall: -1 if only the
// +Inf bucket holds them, 0 if it is empty.
func histogramBound(cum map[float64]float64, q float64) float64 {
	total := cum[math.Inf(1)]
	if total == 0 {
		return 0
	}
	les := make([]float64, 0, len(cum))
	for le := range cum {
		les = append(les, le)
	}
	slices.Sort(les)
	for _, le := range les {
		if cum[le] >= q*total {
			if math.IsInf(le, 1) {
				return -1
			}
			return le
		}
	}
	return -1
}

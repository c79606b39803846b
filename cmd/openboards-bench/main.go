// Command openboards-bench is a load benchmark of the Openboards server
// over HTTP on loopback.
//
// In one run it measures a trivial net/http server (the machine's ceiling,
// served by this program re-executed with -serve-ceiling), then an
// `openboards serve` process on a new SQLite database under Create Ticket
// and Get Ticket load, then Create Ticket without HTTP (the services called
// in this process), then an `openboards serve` process on a database seeded
// with -seed tickets under List Tickets load. Every client keeps one
// HTTP/1.1 connection and sends requests back to back; each request's
// latency is recorded and the percentiles come from the sorted list. The
// server's VmRSS is sampled during every phase, and the CPU time of the
// server, of this program and of every other process over each measured
// window. The webhook phases (webhooks.go) drive ticket creation at a fixed
// rate against a server with HTTPS receivers in this program subscribed to
// it, and measure delivery throughput and latency. See docs/benchmarks.md.
//
// Usage:
//
//	openboards-bench -server bin/openboards [-duration 10s] [-clients 32] [-seed 1000000] [-reuse]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "openboards-bench:", err)
		os.Exit(1)
	}
}

// options are the command-line settings.
type options struct {
	server       string
	out          string
	jsonPath     string
	phases       string
	duration     time.Duration
	warmup       time.Duration
	timeout      time.Duration
	clients      int
	listClients  int
	seed         int
	listDB       string
	listSkip     int
	reuse        bool
	keep         bool
	profile      bool
	waitIdle     time.Duration
	retries      int
	db           string // create/get phases on PostgreSQL when a postgres:// URL
	nodes        int    // server processes sharing -db
	webhook      webhookOptions
	chat         chatOptions
	widget       widgetOptions
	floodClients int

	// Modes in which this program is a server for the benchmark.
	serveCeiling  bool
	serveProfiled string
	addr          string
}

// allPhases are the phase groups run by default, in the order they run.
var allPhases = append([]string{"ceiling", "create", "get", "store", "list", "inbox"}, webhookPhases...)

// extraPhases run only when -phases names them.
var extraPhases = slices.Concat([]string{"signin-flood", "chat"}, chatPhases, widgetPhases)

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("openboards-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.server, "server", "", "path of the openboards binary to benchmark (required)")
	fs.StringVar(&o.out, "out", filepath.Join("bench", "out"), "directory for the JSON report, server logs and profiles")
	fs.StringVar(&o.jsonPath, "json", "", "JSON report path (default OUT/results.json)")
	fs.StringVar(&o.phases, "phases", strings.Join(allPhases, ","), "phase groups to run: ceiling, create, get (needs create), store (create without HTTP, in this process), list, inbox (the inbox ticket list page over the list database), webhook-throughput, webhook-latency, webhook-slow; not by default: signin-flood (wrong sign-ins from -flood-clients clients: peak server memory, /healthz latency, 401/429/503 answers), and chat, which stands for chat-messages (chat message throughput), chat-latency (message to conversation streams, inbox stream and webhook at -chat-rate), chat-relay (message on node 1 to streams on the other nodes of -db) and chat-streams (server memory with -chat-streams streams open), and widget-streams (-widget-streams visitor streams of the support widget open: server memory, and a teammate's message to its visitor at -widget-rate)")
	fs.IntVar(&o.floodClients, "flood-clients", 300, "concurrent clients of the signin-flood phase")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time of each phase")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before each phase")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "stop the whole run after this long")
	fs.IntVar(&o.clients, "clients", 32, "concurrent clients (one connection each) for the ceiling, create and get phases")
	fs.IntVar(&o.listClients, "list-clients", 32, "concurrent clients for the list phases")
	fs.IntVar(&o.seed, "seed", 1_000_000, "tickets in the list phases' database")
	fs.StringVar(&o.listDB, "list-db", "", "path of the list phases' database (default TMPDIR/openboards-bench/list-SEED.db)")
	fs.IntVar(&o.listSkip, "list-skip", 1000, "skip of the list-with-skip phase")
	fs.BoolVar(&o.reuse, "reuse", false, "reuse the list database if an earlier run seeded it with the same -seed")
	fs.BoolVar(&o.keep, "keep", false, "keep the create phase's database")
	fs.DurationVar(&o.waitIdle, "wait-idle", 30*time.Second, "before each phase, wait up to this long for other processes to leave the CPUs idle")
	fs.IntVar(&o.retries, "retries", 2, "repeat a phase up to this many times while other processes disturb it")
	fs.StringVar(&o.db, "db", "", "run the create, get, webhook and chat phases on this PostgreSQL database (postgres://...), in a fresh schema dropped afterwards (chat-relay needs it); default: a fresh SQLite file")
	fs.IntVar(&o.nodes, "nodes", 1, "server processes sharing -db, each taking an equal share of the clients")
	o.webhook.addFlags(fs)
	o.chat.addFlags(fs)
	o.widget.addFlags(fs)
	fs.BoolVar(&o.profile, "profile", false, "run the server in-process in this program with pprof, and save CPU and heap profiles of each phase in OUT")
	fs.BoolVar(&o.serveCeiling, "serve-ceiling", false, "internal: serve the trivial ceiling handler on -addr")
	fs.StringVar(&o.serveProfiled, "serve-profiled", "", "internal: serve Openboards on database `PATH` with pprof, on -addr")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:0", "internal: listen address of -serve-ceiling and -serve-profiled")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.jsonPath == "" {
		o.jsonPath = filepath.Join(o.out, "results.json")
	}
	if o.listDB == "" {
		o.listDB = filepath.Join(os.TempDir(), "openboards-bench", fmt.Sprintf("list-%d.db", o.seed))
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	switch {
	case o.serveCeiling:
		return serveCeiling(ctx, o.addr, stdout)
	case o.serveProfiled != "":
		return serveProfiled(ctx, o.serveProfiled, o.addr, stdout, stderr)
	}
	if o.server == "" {
		return errors.New("-server: the openboards binary to benchmark is required (make bench builds it)")
	}
	if o.server, err = filepath.Abs(o.server); err != nil {
		return err
	}
	if _, err := os.Stat(o.server); err != nil {
		return fmt.Errorf("-server: %w", err)
	}
	phases := expandChat(strings.Split(o.phases, ","))
	for _, p := range phases {
		if !slices.Contains(allPhases, p) && !slices.Contains(extraPhases, p) {
			return fmt.Errorf("-phases: unknown phase %q (want some of %s)", p, strings.Join(append(slices.Clone(allPhases), extraPhases...), ","))
		}
	}
	if slices.Contains(phases, "get") && !slices.Contains(phases, "create") {
		return errors.New("-phases: get reads the tickets create made; add create")
	}
	if o.nodes < 1 || (o.nodes > 1 && !strings.HasPrefix(o.db, "postgres")) {
		return errors.New("-nodes: several server processes need a shared -db postgres://... database")
	}
	if o.clients < 1 || o.listClients < 1 || o.floodClients < 1 || o.duration <= 0 || o.warmup < 0 || o.seed < 1 {
		return errors.New("-clients, -list-clients, -flood-clients, -duration and -seed must be positive")
	}
	if err := o.webhook.check(phases); err != nil {
		return err
	}
	if err := o.chat.check(phases); err != nil {
		return err
	}
	if err := o.widget.check(phases); err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o750); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	b := &bench{o: o, w: stdout}
	b.rep = report{Started: time.Now().UTC(), Machine: machineInfo(), Settings: settings{
		Duration: o.duration.String(), Warmup: o.warmup.String(), Clients: o.clients, ListClients: o.listClients,
		SeedTickets: o.seed, ListSkip: o.listSkip, Profiled: o.profile, DB: redactURL(o.db), Nodes: o.nodes,
	}}
	fmt.Fprintf(stdout, "openboards-bench: revision %s; %d CPUs (%s), %s; %s per phase after %s warm-up\n",
		b.rep.Machine.Revision, b.rep.Machine.CPUs, b.rep.Machine.CPUModel, b.rep.Machine.GoVersion, o.duration, o.warmup)
	steps := []struct {
		phase string
		fn    func(context.Context) error
	}{
		{"ceiling", b.runCeiling},
		{"create", b.runCreateGet},
		{"store", b.runStore},
		{"list", b.runList},
		{"inbox", b.runInbox},
		{"webhook-throughput", b.runWebhookThroughput},
		{"webhook-latency", b.runWebhookLatency},
		{"webhook-slow", b.runWebhookSlow},
		{"signin-flood", b.runSigninFlood},
		{"chat-messages", b.runChatMessages},
		{"chat-latency", b.runChatLatency},
		{"chat-relay", b.runChatRelay},
		{"chat-streams", b.runChatStreams},
		{"widget-streams", b.runWidgetStreams},
	}
	var errs []error
	for _, s := range steps {
		if !slices.Contains(phases, s.phase) {
			continue
		}
		if err := s.fn(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.phase, err))
			fmt.Fprintln(stderr, "openboards-bench:", s.phase+":", err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	b.attachCeilings()
	fmt.Fprintln(stdout)
	if len(b.rep.Results) > 0 || (len(b.webhooks) == 0 && len(b.rep.SigninFlood) == 0) {
		printTable(stdout, b.rep.Results)
	}
	printWebhookTable(stdout, b.webhooks)
	printFloodTable(stdout, b.rep.SigninFlood)
	if err := b.writeReport(o.jsonPath); err != nil {
		errs = append(errs, err)
	} else {
		fmt.Fprintf(stdout, "\nJSON report: %s\n", o.jsonPath)
	}
	return errors.Join(errs...)
}

// bench runs the phases and collects their results.
type bench struct {
	o        *options
	w        io.Writer
	rep      report
	webhooks []webhookResult
}

func machineInfo() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = " with uncommitted changes"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		m.Revision = rev + modified
	}
	if m.Revision == "" {
		m.Revision = gitRevision()
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// gitRevision describes the checkout in the working directory, for builds
// made without VCS stamping (-buildvcs=false). Both commands only read.
func gitRevision() string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	if exec.CommandContext(ctx, "git", "diff-index", "--quiet", "HEAD", "--").Run() != nil {
		rev += " with uncommitted changes"
	}
	return rev
}

// startServer starts the server under test on db: the openboards binary,
// or with -profile this program in its profiled-server mode. extra are
// more flags of openboards serve (not passed to the profiled server).
func (b *bench) startServer(ctx context.Context, name, db string, extra ...string) (*process, error) {
	logPath := filepath.Join(b.o.out, "server-"+name+".log")
	if b.o.profile {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		return startProcess(ctx, name, logPath, self, "-serve-profiled", db, "-addr", "127.0.0.1:0")
	}
	return startProcess(ctx, name, logPath, append([]string{b.o.server, "serve", "--db", db, "--addr", "127.0.0.1:0"}, extra...)...)
}

// measure runs one workload against p, records its result and returns
// what the load run measured. A run during which other processes used the
// CPUs is repeated up to -retries times, and the one they disturbed least
// is kept; the ids of every run are returned.
func (b *bench) measure(ctx context.Context, p *process, w workload, request string) loadResult {
	fmt.Fprintf(b.w, "%s: %d clients, %s...\n", w.name, w.clients, request)
	if _, body, err := probe(p.addr, w); err != nil {
		fmt.Fprintf(b.w, "  warning: a first request failed: %v %.200s\n", err, body)
	} else {
		fmt.Fprintf(b.w, "  answer body: %d bytes\n", len(body))
	}
	var best result
	var ids []int64
	for attempt := 0; ; attempt++ {
		b.waitIdle(ctx)
		fsync50, fsync99 := b.fsyncProbe(w)
		s := startSampler(p.pid())
		prof := b.startProfile(p, w.name)
		lr := runLoad(ctx, p.addr, w, b.o.warmup, b.o.duration, func() {
			s.mark()
			prof.start()
		})
		st := s.finish()
		prof.finish()
		ids = append(ids, lr.ids...)
		r := newResult(w, request, lr, st)
		r.FsyncP50ms, r.FsyncP99ms = fsync50, fsync99
		b.print(r)
		if attempt == 0 || r.OtherCPU < best.OtherCPU {
			best = r
		}
		if r.OtherCPU <= disturbed || attempt >= b.o.retries || ctx.Err() != nil {
			break
		}
		fmt.Fprintf(b.w, "  other processes used %.2f cores; measuring again\n", r.OtherCPU)
	}
	b.rep.Results = append(b.rep.Results, best)
	return loadResult{ids: ids}
}

// disturbed is the CPU use of other processes (in cores) above which a
// phase's figures are taken as disturbed.
const disturbed = 0.15

// waitIdle waits until the machine's CPUs have been idle (under 0.1 cores
// busy) for a second, or -wait-idle has passed: other work on the machine
// takes CPU from the server and the generator, and lowers every figure.
func (b *bench) waitIdle(ctx context.Context) {
	deadline := time.Now().Add(b.o.waitIdle)
	warned := false
	for {
		t0, c0 := time.Now(), machineCPU()
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		busy := float64(machineCPU()-c0) / float64(time.Since(t0))
		if busy < 0.1 {
			return
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(b.w, "  warning: other processes keep %.2f cores busy; measuring anyway\n", busy)
			return
		}
		if !warned {
			fmt.Fprintf(b.w, "  waiting for other processes to leave the CPUs idle (%.2f cores busy)...\n", busy)
			warned = true
		}
	}
}

// fsyncProbe measures the fsync latency of the disk under w's database,
// if it has one, and prints it.
func (b *bench) fsyncProbe(w workload) (p50, p99 float64) {
	if w.diskDir == "" {
		return 0, 0
	}
	d50, d99, err := fsyncLatency(w.diskDir, 200)
	if err != nil {
		fmt.Fprintf(b.w, "  warning: fsync probe: %v\n", err)
		return 0, 0
	}
	fmt.Fprintf(b.w, "  disk: fsync of 16 KiB p50 %.2f ms, p99 %.2f ms\n", ms(d50), ms(d99))
	return ms(d50), ms(d99)
}

// print prints a result.
func (b *bench) print(r result) {
	fmt.Fprintf(b.w, "  %.0f %s, p50 %.2f ms, p99 %.2f ms, %d errors, server RSS max %.0f MiB; CPU cores: server %.2f, bench %.2f, other %.2f\n",
		r.Throughput, r.Unit, r.P50ms, r.P99ms, r.Errors, r.RSSMaxMiB, r.ServerCPU, r.BenchCPU, r.OtherCPU)
	if r.FirstError != "" {
		fmt.Fprintf(b.w, "  first error: %s\n", r.FirstError)
	}
}

// ceiling phase

func (b *bench) runCeiling(ctx context.Context) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	p, err := startProcess(ctx, "ceiling", filepath.Join(b.o.out, "server-ceiling.log"), self, "-serve-ceiling", "-addr", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer p.stop()
	t := target{addr: p.addr}
	for _, m := range []string{"GET", "POST"} {
		b.measure(ctx, p, ceilingWorkload(t, m, b.o.clients), m+" / (trivial handler)")
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return p.stop()
}

// attachCeilings puts the ceiling of the same method beside every result.
func (b *bench) attachCeilings() {
	ceil := map[string]*ceilingRef{}
	for _, r := range b.rep.Results {
		if strings.HasPrefix(r.Phase, "ceiling ") {
			ceil[r.method] = &ceilingRef{Phase: r.Phase, Throughput: r.Throughput, P50ms: r.P50ms, P99ms: r.P99ms}
		}
	}
	for i := range b.rep.Results {
		r := &b.rep.Results[i]
		if !strings.HasPrefix(r.Phase, "ceiling ") {
			r.Ceiling = ceil[r.method]
			r.judgeShare()
		}
	}
}

// create and get phases

func (b *bench) runCreateGet(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "openboards-bench-")
	if err != nil {
		return err
	}
	if b.o.keep {
		fmt.Fprintf(b.w, "create: database kept in %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	db := filepath.Join(dir, "openboards.db")
	if b.o.db != "" {
		dsn, drop, err := freshSchema(ctx, b.o.db)
		if err != nil {
			return err
		}
		defer drop()
		db = dsn
	}
	out, err := runCommand(ctx, b.o.server, "community", "create", "Bench", "--db", db, "--json")
	if err != nil {
		return fmt.Errorf("community create: %w", err)
	}
	var cred struct {
		ClientID     string `json:"clientId"`
		RefreshToken string `json:"refreshToken"`
	}
	if err := json.Unmarshal(out, &cred); err != nil {
		return fmt.Errorf("community create: %w", err)
	}
	var nodes []*process
	defer func() {
		for _, n := range nodes {
			n.stop()
		}
	}()
	for i := range b.o.nodes {
		name := "create"
		if b.o.nodes > 1 {
			name = fmt.Sprintf("create-node%d", i+1)
		}
		n, err := b.startServer(ctx, name, db)
		if err != nil {
			return err
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
		return err
	}
	t := target{addr: p.addr, token: tok}
	w := createWorkload(t, b.o.clients)
	w.addrs = addrs
	request := "POST /tickets"
	if b.o.db != "" {
		request += fmt.Sprintf(" on PostgreSQL, %d node(s)", len(nodes))
	} else {
		w.diskDir = dir
	}
	lr := b.measure(ctx, p, w, request)
	createGoal, getGoal := goal{throughput: 5000, p99ms: 25, share: 0.13}, goal{throughput: 15000, share: 0.4}
	switch {
	case b.o.db != "" && len(nodes) == 1:
		createGoal, getGoal = goal{throughput: 2500, p99ms: 40}, goal{throughput: 8000}
	case b.o.db != "":
		createGoal, getGoal = goal{}, goal{} // the several-node figures are compared with one node's
	}
	b.rep.Results[len(b.rep.Results)-1].judge(createGoal)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if slices.Contains(strings.Split(b.o.phases, ","), "get") {
		ids := lr.ids
		if len(ids) == 0 {
			return errors.New("get: the create phase made no tickets")
		}
		gw := getWorkload(t, b.o.clients, ids)
		gw.addrs = addrs
		b.measure(ctx, p, gw, fmt.Sprintf("GET /tickets/{id} over %d ids%s", len(ids), strings.TrimPrefix(request, "POST /tickets")))
		b.rep.Results[len(b.rep.Results)-1].judge(getGoal)
	}
	return nil
}

// list phases

func (b *bench) runList(ctx context.Context) error {
	info, err := prepareListDB(ctx, b.o.listDB, b.o.seed, b.o.reuse, b.w)
	if err != nil {
		return err
	}
	b.rep.Seed = &seedReport{Path: b.o.listDB, Tickets: info.Tickets, Users: info.Users, Seconds: info.Seconds, Reused: info.Reused}
	if !info.Reused {
		fmt.Fprintf(b.w, "seed: %d tickets and %d customers in %.0f s\n", info.Tickets, info.Users, info.Seconds)
	}
	p, err := b.startServer(ctx, "list", b.o.listDB)
	if err != nil {
		return err
	}
	defer p.stop()
	tok, err := accessToken(ctx, p.url, info.ClientID, info.RefreshToken)
	if err != nil {
		return err
	}
	t := target{addr: p.addr, token: tok}
	lists := []struct{ name, body string }{
		{"list open", `{"status":"open","take":50}`},
		{"list open skip", fmt.Sprintf(`{"status":"open","skip":%d,"take":50}`, b.o.listSkip)},
		{"list open by creation", `{"status":"open","orderBy":"creation_time_desc","take":50}`},
	}
	for _, l := range lists {
		w := listWorkload(t, l.name, b.o.listClients, l.body)
		if status, body, err := probe(p.addr, w); err == nil {
			var env struct {
				Data []json.RawMessage `json:"data"`
			}
			if json.Unmarshal(body, &env) != nil || len(env.Data) != 50 {
				fmt.Fprintf(b.w, "  warning: %s returned %d tickets (status %d), not 50\n", l.name, len(env.Data), status)
			}
		}
		b.measure(ctx, p, w, fmt.Sprintf("POST /tickets/list %s over %d tickets", l.body, info.Tickets))
		b.rep.Results[len(b.rep.Results)-1].judge(goal{p99ms: 20})
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return p.stop()
}

// accessToken trades a refresh token for an access token at POST /token.
func accessToken(ctx context.Context, base, clientID, refresh string) (string, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {clientID}}
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("token: status %d: %s %v", resp.StatusCode, tr.Error, err)
	}
	return tr.AccessToken, nil
}

// profile fetches a CPU profile of the measured window and a heap profile
// after it, when the server was started with -profile.
type profile struct {
	base, dir, name string
	seconds         int
	done            chan struct{}
}

func (b *bench) startProfile(p *process, phase string) *profile {
	if p.pprofURL == "" {
		return nil
	}
	return &profile{base: p.pprofURL, dir: b.o.out, name: strings.ReplaceAll(phase, " ", "-"),
		seconds: int(math.Ceil(b.o.duration.Seconds()))}
}

func (pr *profile) start() {
	if pr == nil {
		return
	}
	pr.done = make(chan struct{})
	go func() {
		defer close(pr.done)
		fetch(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", pr.base, pr.seconds), filepath.Join(pr.dir, pr.name+".cpu.pprof"))
	}()
}

func (pr *profile) finish() {
	if pr == nil || pr.done == nil {
		return
	}
	<-pr.done
	fetch(pr.base+"/debug/pprof/heap", filepath.Join(pr.dir, pr.name+".heap.pprof"))
}

// fetch saves the body of a GET to path.
func fetch(u, path string) {
	resp, err := http.Get(u)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		return
	}
	io.Copy(f, resp.Body)
	f.Close()
}

// redactURL hides a database URL's password for the report.
func redactURL(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return dsn
}

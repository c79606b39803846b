package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"openboards/internal/chat"
	"openboards/internal/clientip"
	"openboards/internal/community"
	"openboards/internal/config"
	"openboards/internal/faq"
	"openboards/internal/httpapi"
	"openboards/internal/limit"
	"openboards/internal/metrics"
	"openboards/internal/obs"
	"openboards/internal/openboards"
	"openboards/internal/store/postgres"
	"openboards/internal/store/sqlite"
	"openboards/internal/ticket"
	"openboards/internal/webhook"
	"openboards/internal/webhook/egress"
	"openboards/internal/widget"
)

// Server is a running Openboards: its store, services and HTTP listener.
// Tests start it on 127.0.0.1:0 and read URL.
type Server struct {
	URL   string
	Store openboards.Store
	// MetricsURL is where /metrics is served (http://HOST:PORT/metrics), or
	// "" without a metrics address.
	MetricsURL string
	// FollowConns keeps the soft memory limit in step with the open
	// connections while Run serves (see TuneGC); serve sets it unless the
	// operator set GOMEMLIMIT.
	FollowConns bool

	cfg        config.Config
	log        *slog.Logger
	ln         net.Listener
	conns      *limit.Listener // ln, which counts the open connections
	http       *http.Server
	metricsLn  net.Listener // nil without a metrics address
	metrics    *http.Server
	dispatcher *webhook.Dispatcher
	client     *egress.Client
	live       *liveFeed
	chat       *chat.Service
	mounts     []mounted
}

// NewServer opens the store, wires the services and binds the listener.
func NewServer(ctx context.Context, cfg config.Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	store, err := openStore(ctx, cfg.DB, storeOptions{Migrate: cfg.Migrate, MaxConns: cfg.DBMaxConns}, log)
	if err != nil {
		return nil, err
	}
	issuer := "openboards"
	if cfg.BaseURL != "" {
		if u, err := url.Parse(cfg.BaseURL); err == nil {
			issuer = u.Host
		}
	}
	communities, err := community.NewService(ctx, store, time.Now, issuer, reservedNames())
	if err != nil {
		store.Close()
		return nil, err
	}
	if err := checkCommunityNames(ctx, communities); err != nil {
		store.Close()
		return nil, err
	}
	reg := metrics.NewRegistry()
	refusals := limit.NewMetrics(reg)
	// One pool and one failure limiter for the whole process, so that the
	// inbox and the API share the limits.
	communities.SetHashPool(limit.NewPool(0, refusals))
	failures := limit.NewFailures(limit.FailureOptions{Metrics: refusals})
	trusted, _ := clientip.ParsePrefixes(cfg.TrustedProxies) // checked by Validate
	clients := clientip.New(trusted)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	conns := limit.NewListener(ln, limit.ListenerOptions{
		MaxConns: cfg.MaxConns, MaxConnsPerIP: cfg.MaxConnsPerIP, Exempt: clients.Trusted, Metrics: refusals,
	})
	ln = conns
	var mln net.Listener
	if cfg.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			store.Close()
			return nil, fmt.Errorf("listen on %s for metrics: %w", cfg.MetricsAddr, err)
		}
	}
	publicURL := strings.TrimRight(cfg.BaseURL, "/")
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String()
	}

	allowed, _ := egress.ParseAllowed(cfg.WebhookAllowedNetworks) // checked by Validate
	client := egress.NewClient(egress.Options{Allowed: allowed})
	_, exclusive := store.(*sqlite.Store)
	dispatcher := webhook.NewDispatcher(store, client, webhook.Options{
		ExclusiveStore: exclusive, Retention: cfg.WebhookRetention, Log: log, Metrics: reg,
	})
	// Writes go through a store that wakes the dispatcher when they queue
	// deliveries, so events leave as soon as they commit.
	wstore := webhook.WakingStore(store, dispatcher.Wake)
	// The ticket service publishes the live events of the changes it
	// commits to the open inbox pages, here and on the other nodes.
	feed := newLiveFeed(store, log)
	tickets := ticket.NewService(wstore, &webhook.Outbox{InboxBase: publicURL}, feed, time.Now)
	webhooks := webhook.NewService(wstore, client, publicURL, time.Now)
	chats := chat.NewService(wstore, tickets, time.Now)
	feed.observe = chats.Observe
	mounts, err := buildSurfaces(mountTable(), surfaceDeps{
		cfg: cfg, store: wstore, tickets: tickets, communities: communities, webhooks: webhooks, live: feed.hub,
		chat:          chats,
		widgets:       widget.NewService(wstore, time.Now),
		faq:           faq.NewService(wstore, time.Now),
		secureCookies: strings.HasPrefix(publicURL, "https://"), failures: failures, log: log,
	})
	if err != nil {
		ln.Close()
		if mln != nil {
			mln.Close()
		}
		store.Close()
		return nil, err
	}
	// Each surface is counted, timed and logged per request by the same
	// layer; /metrics is not among them (it has a listener of its own).
	layer := obs.New(reg, log)
	mux := http.NewServeMux()
	mux.Handle("/", clients.Handler(newRouter(cfg.BasePath(), mounts, layer.Wrap)))
	s := &Server{
		Store: store, cfg: cfg, log: log, ln: ln, conns: conns, dispatcher: dispatcher, client: client,
		http: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       60 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
	}
	s.URL = publicURL
	if mln != nil {
		mmux := http.NewServeMux()
		mmux.Handle("GET /metrics", metrics.Handler(reg, log))
		s.metricsLn, s.MetricsURL = mln, "http://"+mln.Addr().String()+"/metrics"
		s.metrics = &http.Server{
			Handler:           mmux,
			ReadHeaderTimeout: 10 * time.Second,
			WriteTimeout:      60 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
	}
	s.live = feed
	s.chat = chats
	s.mounts = mounts
	// Shutting down ends the inbox's live streams, which would otherwise
	// hold it up until its timeout.
	s.http.RegisterOnShutdown(feed.hub.Close)
	return s, nil
}

// checkCommunityNames refuses a database in which a community has a name
// the server now reserves: the inbox could not serve it, since the path
// /{name}/... belongs to another surface.
func checkCommunityNames(ctx context.Context, communities *community.Service) error {
	found, err := communities.FindReservedInUse(ctx)
	if err != nil {
		return fmt.Errorf("check community names: %w", err)
	}
	var errs []error
	for _, cm := range found {
		errs = append(errs, fmt.Errorf("community %q (id %d) has a name this server reserves for its own paths (/%s); rename it first: openboards community rename %s NEW-NAME",
			cm.Name, cm.ID, strings.ToLower(cm.Name), cm.Name))
	}
	return errors.Join(errs...)
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Run serves until ctx ends, then stops accepting requests, lets those in
// flight finish (up to 15 s) and closes the store, so that every answered
// write is on disk.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 2)
	go func() { errc <- s.http.Serve(s.ln) }()
	if s.metrics != nil {
		go func() { errc <- s.metrics.Serve(s.metricsLn) }()
	}
	dctx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	dispatched := make(chan error, 1)
	go func() { dispatched <- s.dispatcher.Run(dctx) }()
	liveDone := s.live.start(dctx)
	routed := make(chan struct{})
	go func() {
		defer close(routed)
		s.chat.RunRouting(dctx, s.log)
	}()
	if s.FollowConns {
		go followConns(dctx, s.conns)
	}
	if pg, ok := s.Store.(*postgres.Store); ok {
		// Other nodes' commits wake this node's dispatcher too.
		go pg.Listen(dctx, postgres.DeliveriesChannel, s.dispatcher.Wake)
	}
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	// Whichever listener failed, or on ctx's end, both stop.
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	if serr := s.http.Shutdown(shutdown); err == nil {
		err = serr
	}
	if s.metrics != nil {
		if serr := s.metrics.Shutdown(shutdown); err == nil {
			err = serr
		}
	}
	cancel()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	// The dispatcher stops after the last request, finishing the deliveries
	// under way, before the store closes.
	stopDispatch()
	derr := <-dispatched
	<-routed
	liveDone()
	s.client.Close()
	return errors.Join(err, derr, s.Store.Close())
}

func runServe(ctx context.Context, args []string, env Env) error {
	cfg, err := config.Default().Load(env.Getenv)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(&cfg.DB, "db", cfg.DB, "database: a file path, sqlite:PATH or postgres://... (env OPENBOARDS_DB)")
	fs.IntVar(&cfg.DBMaxConns, "db-max-conns", cfg.DBMaxConns, "PostgreSQL connection pool size; 0 means 4 per CPU, at least 8 (env OPENBOARDS_DB_MAX_CONNS)")
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (env OPENBOARDS_ADDR)")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", cfg.MetricsAddr, "listen address of GET /metrics (Prometheus); empty serves no metrics (env OPENBOARDS_METRICS_ADDR)")
	fs.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "log format: text or json (env OPENBOARDS_LOG_FORMAT)")
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "least level logged: debug, info, warn or error (env OPENBOARDS_LOG_LEVEL)")
	fs.StringVar(&cfg.BaseURL, "base-url", cfg.BaseURL, "public URL of the server; its path prefixes every endpoint (env OPENBOARDS_BASE_URL)")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", cfg.MaxBodyBytes, "request body limit in bytes (env OPENBOARDS_MAX_BODY_BYTES)")
	fs.BoolVar(&cfg.Migrate, "migrate", false, "apply pending migrations to an existing database")
	fs.StringVar(&cfg.TrustedProxies, "trusted-proxies", cfg.TrustedProxies,
		"comma-separated CIDRs of the proxies whose X-Forwarded-For names the client; empty trusts nobody (env OPENBOARDS_TRUSTED_PROXIES)")
	fs.IntVar(&cfg.MaxConns, "max-conns", cfg.MaxConns, "most connections open at once on --addr; 0 means no cap (env OPENBOARDS_MAX_CONNS)")
	fs.IntVar(&cfg.MaxConnsPerIP, "max-conns-per-ip", cfg.MaxConnsPerIP,
		"most connections open at once from one address, trusted proxies excepted; 0 means no cap (env OPENBOARDS_MAX_CONNS_PER_IP)")
	fs.StringVar(&cfg.WebhookAllowedNetworks, "webhook-allowed-networks", cfg.WebhookAllowedNetworks,
		"comma-separated CIDRs that webhook endpoints may be in although private or reserved (env OPENBOARDS_WEBHOOK_ALLOWED_NETWORKS)")
	fs.DurationVar(&cfg.WebhookRetention, "webhook-retention", cfg.WebhookRetention, "how long webhook deliveries and events are kept (env OPENBOARDS_WEBHOOK_RETENTION)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(fs, pos, nil); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	follow := TuneGC(env.Getenv)
	log := serveLogger(cfg, env.Stderr)
	s, err := NewServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	s.FollowConns = follow
	// One line, so that whoever waits for it learns both addresses.
	metricsAt := ""
	if s.MetricsURL != "" {
		metricsAt = ", metrics at " + s.MetricsURL
	}
	fmt.Fprintf(env.Stdout, "Openboards is serving the Ticket API at %s (database %s)%s\n", s.URL, redact(cfg.DB), metricsAt)
	if err := printWhere(ctx, env.Stdout, s, cfg.DB); err != nil {
		log.Warn("serve: say where the inbox is", "err", err)
	}
	return s.Run(ctx)
}

// TuneGC trades memory for CPU unless the operator set GOGC or GOMEMLIMIT:
// the server's live heap is small (tens of MiB), so collecting at 5× it
// instead of 2× cuts the collector's CPU several times, and a soft memory
// limit, memoryLimit, makes it collect sooner when 5× would grow the heap
// beyond that. It reports whether it set the limit, which the server then
// keeps in step with its open connections (Server.FollowConns). serve
// calls it, and so does the benchmark's profiled server.
func TuneGC(getenv func(string) string) (limited bool) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") != "" {
		return false
	}
	debug.SetMemoryLimit(memoryLimit(0, 0))
	return true
}

// The soft memory limit. A fixed one fits a fixed live heap, but what the
// server holds live grows with its open connections: an event stream that
// net/http serves (an integration's or an inbox page's) holds its
// handler's goroutine and stack, net/http's buffers of the connection and
// a hub subscription for as long as it is open, about 40 KiB; a parked
// one (a live chat's visitor, httpapi.ServeEventStream) holds a small
// goroutine, its connection and the subscription, a few KiB (with 10,000
// open in the widget-streams benchmark, 8 MB of goroutine stacks and a
// live heap of 65 MB in all). Under a limit that the live memory reaches,
// the collector runs back to back and takes the CPUs (at 100 MiB, from
// about 2,000 net/http streams on); above what they hold, the heap grows
// to the limit with garbage (GOGC is 400). So the limit is a base for
// everything else plus an allowance per open connection, and a smaller
// one per parked stream, above what each holds: it never binds on what
// the connections legitimately hold, a server with few connections still
// collects at the base, as before, and one that holds 10,000 parked
// streams collects at 217 MiB. An operator who wants a fixed limit sets
// GOMEMLIMIT, which turns this off.
const (
	baseMemoryLimit = 100 << 20
	connMemory      = 48 << 10
	parkedMemory    = 12 << 10
)

// memoryLimit is the soft memory limit with open connections open, parked
// of which carry parked event streams.
func memoryLimit(open, parked int) int64 {
	parked = min(parked, open)
	return baseMemoryLimit + int64(open-parked)*connMemory + int64(parked)*parkedMemory
}

// followConns sets the soft memory limit for the connections open on ln,
// and the event streams parked on them, every second until ctx ends.
func followConns(ctx context.Context, ln *limit.Listener) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := memoryLimit(0, 0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if m := memoryLimit(ln.Open(), httpapi.ParkedStreams()); m != last {
			debug.SetMemoryLimit(m)
			last = m
		}
	}
}

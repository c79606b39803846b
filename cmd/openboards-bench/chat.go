package main

// Chat phases; none runs by default, and -phases chat names all four.
//
//   - chat-messages: the closed loop of the create phase, for chat
//     messages. Each of -clients clients opens -chat-per-client
//     conversations of its own before the load, then posts one message at
//     a time to them in turn (POST /chat/conversations/{id}/messages), on
//     a fresh database with the server's default, durable settings.
//   - chat-latency: -chat-conversations conversations, each followed by a
//     GET /chat/conversations/{id}/events stream, a signed-in teammate's
//     inbox stream (GET /{community}/live) and an HTTPS webhook receiver
//     subscribed to conversation_message_added. An open-loop generator (the
//     webhook phases' scheme: message i is due at start+i/rate whatever
//     became of the earlier ones) posts -chat-rate messages per second to
//     the conversations in turn, and each message's arrival is timed at
//     the three.
//   - chat-relay: the same without the webhook on PostgreSQL, with three
//     server processes (or -nodes, if more than one) on one fresh schema
//     of -db: the messages go to the first node and the streams are held
//     on the others, so every event crosses the relay between processes.
//   - chat-streams: -chat-streams conversations with a stream each, and an
//     inbox stream, held open while -chat-stream-rate messages per second
//     are posted to them in turn: the server's peak memory.
//
// A message's text carries a marker, bench#N with N its number in the
// run, and it has a clientMessageId, as an integration that retries
// safely sends. A conversation stream's message event and a webhook
// notification are matched to their message by the marker. The inbox
// stream tells only which ticket changed, once per gathered burst, or 0
// for "anything may have changed"; matchInbox says which messages an
// arrival stands for. Latency is, as in the webhook phases, an arrival
// minus the moment the generator had read the 2xx answer to the POST (it
// can be negative: the event may overtake the answer); the arrival minus
// the moment the POST was sent is reported beside it.
//
// The server takes at most 256 connections from one address. The streams
// are dialled from 127.0.0.2 and up, streamsPerSource from each, as
// different clients' would be, and the generator stays below the limit
// on 127.0.0.1 (-chat-workers).

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"openboards/internal/config"
)

const (
	// chatMarker precedes a message's number in its text.
	chatMarker = "bench#"
	// streamsPerSource is how many streams are dialled from one loopback
	// address.
	streamsPerSource = 200
	// streamOpenTimeout bounds the wait for a run's streams to open.
	streamOpenTimeout = time.Minute
	// maxChatWorkers keeps the generator's connections, all from
	// 127.0.0.1, below the server's 256 per address.
	maxChatWorkers = 250
)

// chatOptions are the settings of the chat phases.
type chatOptions struct {
	perClient     int
	conversations int
	rate          float64
	relayRate     float64
	streams       int
	streamRate    float64
	drain         time.Duration
	workers       int
	webhook       bool
}

func (c *chatOptions) addFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.perClient, "chat-per-client", 10, "conversations of each client in chat-messages")
	fs.IntVar(&c.conversations, "chat-conversations", 200, "conversations (each with its own stream on every stream node) in chat-latency and chat-relay")
	fs.Float64Var(&c.rate, "chat-rate", 1000, "messages per second offered in chat-latency")
	fs.Float64Var(&c.relayRate, "chat-relay-rate", 200, "messages per second offered in chat-relay")
	fs.IntVar(&c.streams, "chat-streams", 1000, "conversations, each with a stream held open, in chat-streams")
	fs.Float64Var(&c.streamRate, "chat-stream-rate", 200, "messages per second offered in chat-streams")
	fs.DurationVar(&c.drain, "chat-drain", 10*time.Second, "after the load of a chat phase, wait up to this long for every message to reach every subscriber")
	fs.BoolVar(&c.webhook, "chat-webhook", true, "subscribe a webhook receiver to conversation_message_added in chat-latency (false: the streams alone)")
	fs.IntVar(&c.workers, "chat-workers", 200, fmt.Sprintf("most concurrent POST requests (one connection each) of the chat load generator, at most %d", maxChatWorkers))
}

// chatPhases are the chat phase names; extraPhases lists them, and the
// group name chat stands for all of them.
var chatPhases = []string{"chat-messages", "chat-latency", "chat-relay", "chat-streams"}

// expandChat replaces the group name chat in phases by the chat phases.
func expandChat(phases []string) []string {
	var out []string
	for _, p := range phases {
		if p == "chat" {
			out = append(out, chatPhases...)
			continue
		}
		out = append(out, p)
	}
	return out
}

// check validates the settings when a chat phase is among phases.
func (c *chatOptions) check(phases []string) error {
	if !slices.ContainsFunc(phases, func(p string) bool { return slices.Contains(chatPhases, p) }) {
		return nil
	}
	switch {
	case c.perClient < 1 || c.conversations < 1 || c.streams < 1:
		return errors.New("-chat-per-client, -chat-conversations and -chat-streams must be positive")
	case c.streams > 20000:
		return errors.New("-chat-streams: a server holds at most 20000 conversation streams")
	case c.rate <= 0 || c.relayRate <= 0 || c.streamRate <= 0:
		return errors.New("-chat-rate, -chat-relay-rate and -chat-stream-rate must be positive")
	case c.drain < 0:
		return errors.New("-chat-drain must not be negative")
	case c.workers < 1 || c.workers > maxChatWorkers:
		return fmt.Errorf("-chat-workers must be between 1 and %d", maxChatWorkers)
	}
	return nil
}

// chatDetail is what a chat result adds to the common figures.
type chatDetail struct {
	DB            string `json:"db"`
	Nodes         int    `json:"nodes"`
	Conversations int    `json:"conversations"`
	// Subscriber is where the latency is measured, LatencyFrom from when.
	Subscriber  string `json:"subscriber,omitempty"`
	LatencyFrom string `json:"latencyFrom,omitempty"`
	// Streams were held open during the load; StreamsLost ended before
	// the run did.
	Streams     int `json:"streams,omitempty"`
	StreamsLost int `json:"streamsLost,omitempty"`

	// The open-loop generator's POSTs, warm-up included.
	OfferedPerSec float64 `json:"offeredPerSec,omitempty"`
	WarmupSec     float64 `json:"warmupSec,omitempty"`
	WindowSec     float64 `json:"windowSec,omitempty"`
	Sent          int     `json:"sent,omitempty"`
	Acknowledged  int     `json:"acknowledged,omitempty"`
	Failed        int     `json:"failed,omitempty"`
	Late          int     `json:"late,omitempty"` // sent more than lateAfter behind schedule
	MaxLateMs     float64 `json:"maxLateMs,omitempty"`
	Workers       int     `json:"workers,omitempty"`
	APIP50ms      float64 `json:"apiP50Ms,omitempty"`
	APIP99ms      float64 `json:"apiP99Ms,omitempty"`

	// Arrivals: pairs of a message acknowledged in the window and a
	// subscriber that should get it, and how many of them never came.
	Expected      int      `json:"expected,omitempty"`
	ArrivedPerSec float64  `json:"arrivedPerSec,omitempty"` // arrivals in the window / window
	Missing       int      `json:"missing,omitempty"`
	Undelivered   int      `json:"undelivered,omitempty"` // of every acknowledged message, at the end of the drain
	Duplicates    int      `json:"duplicates,omitempty"`
	Unknown       int      `json:"unknown,omitempty"` // arrivals of no message the generator had acknowledged
	Resets        int      `json:"resets,omitempty"`  // reset events of the conversation streams
	InboxAll      int      `json:"inboxAnythingChanged,omitempty"`
	LatencyMinMs  float64  `json:"latencyMinMs,omitempty"`
	FromSendP50ms float64  `json:"fromSendP50Ms,omitempty"`
	FromSendP99ms float64  `json:"fromSendP99Ms,omitempty"`
	DrainSec      *float64 `json:"drainSec,omitempty"` // absent: not drained

	// Webhook has the servers' webhook metrics at the end of the drain
	// (with the openboards binary; not with -profile).
	Webhook *serverMetrics `json:"webhookMetrics,omitempty"`

	// Server memory before the streams were opened and once they were
	// all open, before the load (the largest node).
	RSSBeforeStreamsMiB float64 `json:"rssBeforeStreamsMiB,omitempty"`
	RSSStreamsOpenMiB   float64 `json:"rssStreamsOpenMiB,omitempty"`
	// RSSPerStreamKiB is the difference of the two over the streams.
	RSSPerStreamKiB float64 `json:"rssPerStreamKiB,omitempty"`
}

// phases

func (b *bench) runChatMessages(ctx context.Context) error {
	o := b.o.chat
	dir, err := os.MkdirTemp("", "openboards-bench-chat-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	nodes := 1
	if b.o.db != "" {
		nodes = b.o.nodes
	}
	srv, err := b.startChatServers(ctx, "chat-messages", dir, b.o.db, nodes, nil, chatSetup{})
	if err != nil {
		return err
	}
	defer srv.stop()
	convs, err := createConversations(ctx, srv.nodes[0].addr, srv.token, b.o.clients*o.perClient)
	if err != nil {
		return err
	}
	t := target{addr: srv.nodes[0].addr, token: srv.token}
	w := chatMessageWorkload(t, b.o.clients, convs, o.perClient)
	request := fmt.Sprintf("POST /chat/conversations/{id}/messages, one message, %d conversations per client", o.perClient)
	g := goal{throughput: 3000, p99ms: 20}
	if b.o.db != "" {
		for _, n := range srv.nodes {
			w.addrs = append(w.addrs, n.addr)
		}
		request += fmt.Sprintf(" on PostgreSQL, %d node(s)", nodes)
		g = goal{} // reported
	} else {
		w.diskDir = dir
	}
	b.measure(ctx, srv.nodes[0], w, request)
	r := &b.rep.Results[len(b.rep.Results)-1]
	r.judge(g)
	r.Chat = &chatDetail{DB: srv.db, Nodes: nodes, Conversations: len(convs)}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return srv.stop()
}

func (b *bench) runChatLatency(ctx context.Context) error {
	o := b.o.chat
	spec := chatRunSpec{phase: "chat-latency", pg: b.o.db, nodes: 1, conversations: o.conversations, rate: o.rate, webhook: o.webhook}
	return b.chatAttempts(ctx, spec, func(res *chatRunResult) []result {
		g := goal{p99ms: 50}
		if b.o.db != "" {
			g = goal{} // reported
		}
		note := ""
		if !spec.webhook {
			note = " (no webhook)"
		}
		rows := []result{
			b.chatRow("chat latency, conversation streams"+note, spec, res, res.conv,
				fmt.Sprintf("%d GET /chat/conversations/{id}/events streams", len(res.convStreams)), g),
			b.chatRow("chat latency, inbox stream"+note, spec, res, res.inbox, "GET /{community}/live of a signed-in teammate", g),
		}
		if spec.webhook {
			rows = append(rows, b.chatRow("chat latency, webhook", spec, res, res.hook, hookSubscriber, g))
		}
		return rows
	})
}

func (b *bench) runChatRelay(ctx context.Context) error {
	o := b.o.chat
	pg := b.o.db
	if pg == "" {
		pg = os.Getenv("OPENBOARDS_TEST_POSTGRES_URL")
	}
	if !strings.HasPrefix(pg, "postgres") {
		fmt.Fprintln(b.w, "chat-relay: skipped: it needs a PostgreSQL database shared by the nodes (-db postgres://..., or OPENBOARDS_TEST_POSTGRES_URL)")
		return nil
	}
	nodes := 3
	if b.o.nodes > 1 {
		nodes = b.o.nodes
	}
	spec := chatRunSpec{phase: "chat-relay", pg: pg, nodes: nodes, conversations: o.conversations, rate: o.relayRate, remote: true}
	return b.chatAttempts(ctx, spec, func(res *chatRunResult) []result {
		others := fmt.Sprintf("nodes 2-%d", nodes)
		if nodes == 2 {
			others = "node 2"
		}
		return []result{
			b.chatRow("chat relay, conversation streams", spec, res, res.conv,
				fmt.Sprintf("%d GET /chat/conversations/{id}/events streams on %s", len(res.convStreams), others), goal{p99ms: 100}),
			b.chatRow("chat relay, inbox streams", spec, res, res.inbox,
				fmt.Sprintf("GET /{community}/live of a signed-in teammate on %s", others), goal{p99ms: 100}),
		}
	})
}

func (b *bench) runChatStreams(ctx context.Context) error {
	o := b.o.chat
	spec := chatRunSpec{phase: "chat-streams", pg: b.o.db, nodes: 1, conversations: o.streams, rate: o.streamRate}
	return b.chatAttempts(ctx, spec, func(res *chatRunResult) []result {
		r := b.chatRow(fmt.Sprintf("chat streams, %d open", len(res.convStreams)), spec, res, res.conv,
			fmt.Sprintf("%d GET /chat/conversations/{id}/events streams and %d inbox stream", len(res.convStreams), len(res.inboxStreams)), goal{})
		return []result{r}
	})
}

// hookSubscriber names the webhook receiver in a result.
const hookSubscriber = "an HTTPS receiver of conversation_message_added"

// chatAttempts performs the run of spec up to 1 + -retries times, while
// other processes disturb it, and adds to the report the rows (made by
// rows from a run's figures, and judged) of the least disturbed run. A
// run on PostgreSQL is not repeated: the database server's CPU counts as
// other processes'.
func (b *bench) chatAttempts(ctx context.Context, spec chatRunSpec, rows func(*chatRunResult) []result) error {
	var best []result
	for attempt := 0; ; attempt++ {
		res, err := b.chatRun(ctx, spec)
		if err != nil {
			if best == nil {
				return err
			}
			fmt.Fprintf(b.w, "  warning: a repeated run failed: %v\n", err)
			break
		}
		rs := rows(res)
		b.printChatLoad(res)
		for _, r := range rs {
			fmt.Fprintf(b.w, "  %s:\n", r.Phase)
			b.print(r)
			b.printChat(r)
		}
		if best == nil || rs[0].OtherCPU < best[0].OtherCPU {
			best = rs
		}
		if rs[0].OtherCPU <= disturbed || attempt >= b.o.retries || spec.pg != "" || ctx.Err() != nil {
			break
		}
		fmt.Fprintf(b.w, "  other processes used %.2f cores; measuring again\n", rs[0].OtherCPU)
	}
	b.rep.Results = append(b.rep.Results, best...)
	return ctx.Err()
}

// chatRow makes the result of one kind of subscriber of a run, judged
// against g.
func (b *bench) chatRow(phase string, spec chatRunSpec, res *chatRunResult, l chatLatency, subscriber string, g goal) result {
	ld := res.load
	window := ld.end - ld.from
	acked, failed := 0, 0
	for _, m := range ld.msgs[:ld.sent] {
		switch {
		case m.ok && m.ack >= ld.from && m.ack < ld.end:
			acked++
		case !m.ok && m.due >= ld.from && m.due < ld.end:
			failed++
		}
	}
	slices.Sort(l.fromAck)
	slices.Sort(l.fromSend)
	r := result{
		Phase: phase, Clients: ld.workers, Unit: "messages/s",
		Request: fmt.Sprintf("POST /chat/conversations/{id}/messages to node 1, open loop at %.0f/s over %d conversations, arrival at %s",
			spec.rate, spec.conversations, subscriber),
		Requests: l.expected + failed, Errors: l.missing + failed, Throughput: float64(acked) / window.Seconds(),
		P50ms: ms(percentile(l.fromAck, 0.50)), P90ms: ms(percentile(l.fromAck, 0.90)),
		P99ms: ms(percentile(l.fromAck, 0.99)), Maxms: ms(percentile(l.fromAck, 1)),
		FirstError: ld.firstErr, FsyncP50ms: res.fsync50, FsyncP99ms: res.fsync99,
		RSSMaxMiB: float64(res.st.maxRSS) / mib, HWMMiB: float64(res.st.hwm) / mib,
		ServerCPU: res.st.cpu, BenchCPU: res.st.self, OtherCPU: res.st.other,
	}
	d := &chatDetail{
		DB: res.db, Nodes: spec.nodes, Conversations: spec.conversations, Subscriber: subscriber,
		LatencyFrom: "the 2xx answer of the POST, as read by the generator",
		Streams:     len(res.convStreams) + len(res.inboxStreams), StreamsLost: res.lost,
		OfferedPerSec: spec.rate, WarmupSec: b.o.warmup.Seconds(), WindowSec: window.Seconds(),
		Sent: ld.sent, Acknowledged: ld.acked, Failed: ld.failed, Late: ld.late, MaxLateMs: ms(ld.maxLate),
		Workers: ld.workers, APIP50ms: ms(percentile(ld.apiLat, 0.50)), APIP99ms: ms(percentile(ld.apiLat, 0.99)),
		Expected: l.expected, ArrivedPerSec: float64(l.inWindow) / window.Seconds(),
		Missing: l.missing, Undelivered: l.undelivered, Duplicates: l.dups, Unknown: l.unknown,
		Resets: res.resets, InboxAll: res.inboxAll,
		FromSendP50ms: ms(percentile(l.fromSend, 0.50)), FromSendP99ms: ms(percentile(l.fromSend, 0.99)),
		RSSBeforeStreamsMiB: res.rssBefore, RSSStreamsOpenMiB: res.rssOpen,
	}
	if len(l.fromAck) > 0 {
		d.LatencyMinMs = ms(l.fromAck[0])
	}
	if d.Streams > 0 && res.rssOpen > 0 {
		d.RSSPerStreamKiB = math.Round((res.rssOpen-res.rssBefore)*1024/float64(d.Streams)*10) / 10
	}
	if subscriber == hookSubscriber {
		d.Webhook = res.metrics
	}
	if l.undelivered == 0 {
		s := max(l.drain, 0).Seconds()
		d.DrainSec = &s
	}
	r.Chat = d
	r.judge(g)
	return r
}

// printChatLoad prints what the generator of a run did.
func (b *bench) printChatLoad(res *chatRunResult) {
	ld := res.load
	fmt.Fprintf(b.w, "  generator: %d POSTs sent, %d acknowledged, %d failed, %d late (sent >%s behind schedule; max %.1f ms), %d workers; answer p50 %.2f ms, p99 %.2f ms\n",
		ld.sent, ld.acked, ld.failed, ld.late, lateAfter, ms(ld.maxLate), ld.workers, ms(percentile(ld.apiLat, 0.50)), ms(percentile(ld.apiLat, 0.99)))
	if ld.firstErr != "" {
		fmt.Fprintf(b.w, "  first error: %s\n", ld.firstErr)
	}
	fmt.Fprintf(b.w, "  %d conversation streams and %d inbox streams held, %d lost; %d reset events, %d inbox \"anything may have changed\" events\n",
		len(res.convStreams), len(res.inboxStreams), res.lost, res.resets, res.inboxAll)
	if res.rssOpen > 0 {
		n := len(res.convStreams) + len(res.inboxStreams)
		fmt.Fprintf(b.w, "  server RSS %.0f MiB before the streams were opened, %.0f MiB with them open before the load (%.1f KiB a stream)\n",
			res.rssBefore, res.rssOpen, (res.rssOpen-res.rssBefore)*1024/float64(n))
	}
	if res.lostErr != "" {
		fmt.Fprintf(b.w, "  a lost stream: %s\n", res.lostErr)
	}
}

// printChat prints the arrivals of one result.
func (b *bench) printChat(r result) {
	d := r.Chat
	drain := fmt.Sprintf("not drained: %d arrivals missing after %s", d.Undelivered, b.o.chat.drain)
	if d.DrainSec != nil {
		drain = fmt.Sprintf("drained %.2f s after the load stopped", *d.DrainSec)
	}
	fmt.Fprintf(b.w, "  arrivals: %.1f/s in the window; %d expected of messages acknowledged in it, %d missing, %d duplicates, %d unknown; %s\n",
		d.ArrivedPerSec, d.Expected, d.Missing, d.Duplicates, d.Unknown, drain)
	fmt.Fprintf(b.w, "  latency (arrival - 2xx answer): p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms (min %.2f ms); from the send: p50 %.2f ms, p99 %.2f ms\n",
		r.P50ms, r.P90ms, r.P99ms, r.Maxms, d.LatencyMinMs, d.FromSendP50ms, d.FromSendP99ms)
	if m := d.Webhook; m != nil {
		if m.Error != "" {
			fmt.Fprintf(b.w, "  server metrics: %s\n", m.Error)
			return
		}
		fmt.Fprintf(b.w, "  server metrics: %.0f successful attempts, %.0f failed, %.0f pending; event-to-delivery latency mean %.1f ms, p50 <= %s, p99 <= %s (histogram buckets)\n",
			m.AttemptsSuccess, m.AttemptsFailure, m.Pending, m.LatencyMeanMs, bucketLabel(m.LatencyP50LeSec), bucketLabel(m.LatencyP99LeSec))
	}
}

// a run

// chatRunSpec describes one open-loop chat run.
type chatRunSpec struct {
	phase         string
	pg            string // a PostgreSQL database for a fresh schema; "" for SQLite
	nodes         int
	conversations int
	rate          float64
	webhook       bool // a receiver of conversation_message_added
	// remote holds the streams on every node but the first, which the
	// messages are posted to; else they are on the first node.
	remote bool
	// widget has visitors open the conversations through a support widget
	// and hold their streams, and the teammate write the messages; no
	// inbox stream is held.
	widget bool
}

// chatRunResult is what one run measured.
type chatRunResult struct {
	db                        string
	load                      *chatLoad
	conv, inbox, hook         chatLatency
	convStreams, inboxStreams []*chatStream
	lost                      int // streams that ended before the run did
	lostErr                   string
	resets, inboxAll          int
	st                        procStats
	fsync50, fsync99          float64
	rssBefore, rssOpen        float64 // MiB, the largest node
	metrics                   *serverMetrics
}

// chatRun starts fresh servers, opens the conversations and subscribes
// to them, runs the open-loop load and waits for the arrivals.
func (b *bench) chatRun(ctx context.Context, spec chatRunSpec) (*chatRunResult, error) {
	o := b.o.chat
	res := &chatRunResult{}
	dir, err := os.MkdirTemp("", "openboards-bench-chat-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	base := time.Now()

	// The receiver outlives the servers, so that deliveries under way
	// when a server stops are answered.
	var env map[string]string
	var rc *receiver
	if spec.webhook {
		cert, caFile, err := makeReceiverCert(dir)
		if err != nil {
			return nil, err
		}
		if rc, err = startKeyedReceiver(cert, base, 0, markerSeq); err != nil {
			return nil, err
		}
		defer rc.close()
		env = map[string]string{"SSL_CERT_FILE": caFile, "OPENBOARDS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}
	}
	var extra []string
	if spec.webhook {
		extra = []string{"--metrics-addr", "127.0.0.1:0"}
	}
	// Each stream is a connection on this side and on the server's: both
	// need the file descriptors, and the server's cap must let them in.
	streams := spec.conversations + 1
	if err := raiseOpenFiles(streams + maxChatWorkers + 256); err != nil {
		return nil, err
	}
	if conns := streams + maxChatWorkers + 64; conns > config.Default().MaxConns {
		env = maps.Clone(env)
		if env == nil {
			env = map[string]string{}
		}
		env["OPENBOARDS_MAX_CONNS"] = strconv.Itoa(conns)
	}
	srv, err := b.startChatServers(ctx, spec.phase, dir, spec.pg, spec.nodes, env, chatSetup{inbox: true, widget: spec.widget}, extra...)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	res.db = srv.db
	fmt.Fprintf(b.w, "%s: %d conversations on %s; POST .../messages open loop at %.0f messages/s to node 1; %s warm-up + %s window...\n",
		spec.phase, spec.conversations, srv.db, spec.rate, b.o.warmup, b.o.duration)
	var convs []chatConv
	if spec.widget {
		convs, err = createVisitorConversations(ctx, srv.nodes[0].addr, srv.widgetPath, spec.conversations)
	} else {
		convs, err = createConversations(ctx, srv.nodes[0].addr, srv.token, spec.conversations)
	}
	if err != nil {
		return nil, err
	}
	if rc != nil {
		if err := registerWebhook(ctx, srv.nodes[0].url, srv.token, rc.url, "conversation_message_added"); err != nil {
			return nil, err
		}
	}

	// The servers' memory is sampled from before the streams open to the
	// end of the drain; CPU time over the window and the drain.
	stats := startChatStats(srv.nodes)
	res.rssBefore = srv.rssMiB()
	holders := srv.nodes[:1]
	if spec.remote {
		holders = srv.nodes[1:]
	}
	sctx, closeStreams := context.WithCancel(ctx)
	defer closeStreams()
	hc := streamClient()
	defer hc.CloseIdleConnections()
	for _, n := range holders {
		for _, c := range convs {
			res.convStreams = append(res.convStreams, openChatStream(sctx, hc, base, n.url+c.events, "Authorization", "Bearer "+c.bearer, c.id))
		}
		if !spec.widget {
			u := n.url + "/" + url.PathEscape(srv.community) + "/live"
			res.inboxStreams = append(res.inboxStreams, openChatStream(sctx, hc, base, u, "Cookie", srv.cookie, 0))
		}
	}
	all := append(slices.Clone(res.convStreams), res.inboxStreams...)
	if err := waitOpen(all, streamOpenTimeout); err != nil {
		stats.finish()
		return nil, err
	}
	res.rssOpen = srv.rssMiB()

	b.waitIdle(ctx)
	if spec.pg == "" {
		res.fsync50, res.fsync99 = b.fsyncProbe(workload{diskDir: dir})
	}
	prof := b.startProfile(srv.nodes[0], spec.phase)
	marked := afterDelay(ctx, b.o.warmup, func() {
		stats.mark()
		prof.start()
	})
	ld := chatOpenLoop(ctx, base, srv.nodes[0].addr, srv.token, convs, spec.rate, b.o.warmup, b.o.duration, o.workers)
	<-marked
	res.load = ld
	measure := func() int {
		res.conv = convLatency(ld, res.convStreams)
		res.inbox = inboxLatency(ld, res.inboxStreams)
		n := res.conv.undelivered + res.inbox.undelivered
		if rc != nil {
			got, dups, bad, _ := rc.snapshot()
			res.hook = seqLatency(ld, got, func(chatMsg) bool { return true })
			res.hook.dups += dups
			res.hook.unknown += bad
			n += res.hook.undelivered
		}
		return n
	}
	deadline := time.Now().Add(o.drain)
	for measure() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	res.st = stats.finish()
	prof.finish()
	if rc != nil {
		m := scrapeMetrics(ctx, srv.nodes)
		res.metrics = &m
	}

	closeStreams()
	for _, s := range all {
		<-s.done
		s.mu.Lock()
		if s.err != nil {
			res.lost++
			if res.lostErr == "" {
				res.lostErr = s.err.Error()
			}
		}
		res.resets += s.resets
		res.inboxAll += s.inboxAll
		s.mu.Unlock()
	}
	measure()
	if err := srv.stop(); err != nil {
		return nil, err
	}
	return res, ctx.Err()
}

// afterDelay runs fn once d has passed, unless ctx ends first; the
// channel it returns is closed when fn has run or will not.
func afterDelay(ctx context.Context, d time.Duration, fn func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-time.After(d):
			fn()
		case <-ctx.Done():
		}
	}()
	return done
}

// servers

// chatServers are the servers of one chat run and what talking to them
// takes.
type chatServers struct {
	db        string // "SQLite" or "PostgreSQL, N node(s)"
	nodes     []*process
	community string
	token     string
	cookie    string // of a signed-in teammate, for the inbox streams
	// widgetPath is the widget's public path, /widget/{community}/{id},
	// with chatSetup.widget.
	widgetPath string
	drop       func()
}

// chatSetup says what startChatServers makes besides the community.
type chatSetup struct {
	inbox  bool // a teammate with a password, signed in
	widget bool // a support widget that takes any origin
}

// startChatServers makes a community on a fresh database (a file in dir,
// or a fresh schema of the PostgreSQL database pg), with what setup asks
// for, and starts n servers on it with the variables of env set and the
// serve flags extra.
func (b *bench) startChatServers(ctx context.Context, name, dir, pg string, n int, env map[string]string, setup chatSetup, extra ...string) (*chatServers, error) {
	s := &chatServers{db: "SQLite"}
	db := filepath.Join(dir, "openboards.db")
	if pg != "" {
		dsn, drop, err := freshSchema(ctx, pg)
		if err != nil {
			return nil, err
		}
		s.drop, db = drop, dsn
		s.db = fmt.Sprintf("PostgreSQL, %d node(s)", n)
	}
	started := false
	defer func() {
		if !started {
			s.stop()
		}
	}()
	out, err := runCommand(ctx, b.o.server, "community", "create", "Bench", "--db", db, "--json")
	if err != nil {
		return nil, fmt.Errorf("community create: %w", err)
	}
	var cred struct {
		ClientID      string `json:"clientId"`
		RefreshToken  string `json:"refreshToken"`
		CommunityName string `json:"communityName"`
	}
	if err := json.Unmarshal(out, &cred); err != nil {
		return nil, fmt.Errorf("community create: %w", err)
	}
	s.community = cred.CommunityName
	if setup.inbox {
		// As the inbox phase does: through the command line, before the
		// servers open the database.
		if err := b.cli(ctx, nil, "teammate", "add", "--db", db, "--community", s.community,
			"--email", inboxEmail, "--name", "Bench Agent", "--role", "admin"); err != nil {
			return nil, err
		}
		if err := b.cli(ctx, strings.NewReader(inboxPassword+"\n"), "teammate", "password", "--db", db,
			"--community", s.community, "--email", inboxEmail); err != nil {
			return nil, err
		}
	}
	if setup.widget {
		if s.widgetPath, err = b.createWidget(ctx, db, s.community); err != nil {
			return nil, err
		}
	}
	for i := range n {
		nm := name
		if n > 1 {
			nm += fmt.Sprintf("-node%d", i+1)
		}
		var p *process
		err := withEnv(env, func() error {
			var err error
			p, err = b.startServer(ctx, nm, db, extra...)
			return err
		})
		if err != nil {
			return nil, err
		}
		s.nodes = append(s.nodes, p)
	}
	if s.token, err = accessToken(ctx, s.nodes[0].url, cred.ClientID, cred.RefreshToken); err != nil {
		return nil, err
	}
	if setup.inbox {
		if s.cookie, err = signIn(ctx, s.nodes[0].url, s.community, inboxEmail, inboxPassword); err != nil {
			return nil, err
		}
	}
	started = true
	return s, nil
}

// stop stops the servers and drops the schema; it may be called again.
func (s *chatServers) stop() error {
	var errs []error
	for _, n := range s.nodes {
		errs = append(errs, n.stop())
	}
	s.nodes = nil
	if s.drop != nil {
		s.drop()
		s.drop = nil
	}
	return errors.Join(errs...)
}

// rssMiB is the VmRSS of the largest node now.
func (s *chatServers) rssMiB() float64 {
	var most int64
	for _, n := range s.nodes {
		if rss, _, err := memStatus(n.pid()); err == nil {
			most = max(most, rss)
		}
	}
	return float64(most) / mib
}

// chatStats measures the servers of a run: each one's memory, sampled
// every 50 ms from start to finish, and the CPU time of all of them, of
// this program and of the machine from mark to finish.
type chatStats struct {
	nodes       []*process
	samplers    []*sampler
	cpu0        []time.Duration
	self0, all0 time.Duration
	t0          time.Time
}

func startChatStats(nodes []*process) *chatStats {
	s := &chatStats{nodes: nodes}
	for _, n := range nodes {
		s.samplers = append(s.samplers, startSampler(n.pid()))
	}
	return s
}

func (s *chatStats) mark() {
	s.cpu0 = s.cpu0[:0]
	for _, n := range s.nodes {
		c, _ := procCPU(n.pid())
		s.cpu0 = append(s.cpu0, c)
	}
	s.t0, s.self0, s.all0 = time.Now(), selfCPU(), machineCPU()
}

// finish stops sampling and returns the largest node's memory and the
// CPU figures (cores) of the window: cpu is every node's together.
func (s *chatStats) finish() procStats {
	var st procStats
	var srv time.Duration
	if !s.t0.IsZero() {
		for i, n := range s.nodes {
			c, _ := procCPU(n.pid())
			srv += c - s.cpu0[i]
		}
	}
	self, all := selfCPU(), machineCPU()
	for _, sm := range s.samplers {
		ps := sm.finish()
		st.maxRSS, st.hwm = max(st.maxRSS, ps.maxRSS), max(st.hwm, ps.hwm)
	}
	if s.t0.IsZero() {
		return st
	}
	wall := float64(time.Since(s.t0))
	st.cpu = float64(srv) / wall
	st.self = float64(self-s.self0) / wall
	st.other = max(float64(all-s.all0)/wall-st.cpu-st.self, 0)
	return st
}

// createConversations opens n conversations, each by a client of its
// own, with POST /chat/conversations over four connections.
func createConversations(ctx context.Context, addr, token string, n int) ([]chatConv, error) {
	convs := make([]chatConv, n)
	var next atomic.Int64
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cn := &conn{addr: addr}
			defer cn.close()
			t := target{addr: addr, token: token}
			var req []byte
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				email := fmt.Sprintf("client-%d@example.com", i+1)
				body := fmt.Appendf(nil, `{"author":{"name":"Client %d","email":"%s"},"title":"Chat %d"}`, i+1, email, i+1)
				req = t.appendRequest(req[:0], "POST", "/chat/conversations", body)
				status, resp, err := cn.do(req)
				var env struct {
					Data struct {
						ID int64 `json:"id"`
					} `json:"data"`
				}
				if err == nil && (status/100 != 2 || json.Unmarshal(resp, &env) != nil || env.Data.ID == 0) {
					err = fmt.Errorf("POST /chat/conversations: status %d: %.200s", status, resp)
				}
				if err != nil {
					errs <- err
					return
				}
				convs[i] = chatConv{id: env.Data.ID, email: email, path: fmt.Sprintf("/chat/conversations/%d/messages", env.Data.ID),
					events: fmt.Sprintf("/chat/conversations/%d/events", env.Data.ID), bearer: token}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return convs, ctx.Err()
}

// messages

// chatConv is a conversation of a run and who writes in it.
type chatConv struct {
	id    int64
	email string // of the author of the generator's messages
	path  string // POST path of its messages
	// events is the path of its stream, followed with the bearer token.
	events, bearer string
}

// appendChatMessage appends the body of POST .../messages: one message,
// the seq-th of the run, by the client of email. Its text carries the
// marker that tells stream events and notifications of it apart.
func appendChatMessage(b []byte, seq int64, email string) []byte {
	b = append(b, `[{"message":"Hello, this is `...)
	b = append(b, chatMarker...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `. My parcel was due on Monday and the tracking page has not moved since. Can you check?","author":{"email":"`...)
	b = append(b, email...)
	b = append(b, `"},"clientMessageId":"m-`...)
	b = strconv.AppendInt(b, seq, 10)
	return append(b, `"}]`...)
}

// markerSeq reads the number after the first marker in b: a message's
// number, from a stream event's data or a notification's body.
func markerSeq(b []byte) (int64, bool) {
	i := bytes.Index(b, []byte(chatMarker))
	if i < 0 {
		return 0, false
	}
	rest := b[i+len(chatMarker):]
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	return n, err == nil && n > 0
}

// chatMessageWorkload posts one message at a time; client c writes to its
// own conversations, convs[c.id*per:(c.id+1)*per], in turn.
func chatMessageWorkload(t target, clients int, convs []chatConv, per int) workload {
	var seq atomic.Int64
	turn := make([]int, clients) // each client touches its own
	return workload{
		name: "chat add message", unit: "messages/s", method: "POST", clients: clients,
		request: func(c *client) []byte {
			cv := convs[c.id*per+turn[c.id]%per]
			turn[c.id]++
			c.body = appendChatMessage(c.body[:0], seq.Add(1), cv.email)
			c.req = t.appendRequest(c.req[:0], "POST", cv.path, c.body)
			return c.req
		},
		accept: func(_ *client, _ int, body []byte) bool {
			return bytes.HasPrefix(body, []byte(`{"data":[{`))
		},
	}
}

// chatMsg is one message of an open-loop run.
type chatMsg struct {
	ticket         int64 // its conversation
	due, sent, ack time.Duration
	ok             bool // acknowledged with a 2xx answer, at ack
}

// chatLoad is what the open-loop generator did; message i is msgs[i],
// with marker i+1.
type chatLoad struct {
	from, end           time.Duration // the measured window, since base
	msgs                []chatMsg     // the first sent of them were sent
	sent, acked, failed int
	late, workers       int
	maxLate             time.Duration
	firstErr            string
	apiLat              []time.Duration // sorted; of messages due in the window
	byTicket            map[int64][]int // the acknowledged messages of each conversation
}

// chatOpenLoop posts messages at rate per second for warmup+duration to
// addr, over convs in turn, as openLoop posts tickets: message i is due
// at start+i/rate and is handed to an idle worker, or to a new one while
// there are fewer than maxWorkers, or else waits for the first free one.
func chatOpenLoop(ctx context.Context, base time.Time, addr, token string, convs []chatConv, rate float64, warmup, duration time.Duration, maxWorkers int) *chatLoad {
	start := time.Since(base)
	n := int(math.Round((warmup + duration).Seconds() * rate))
	res := &chatLoad{from: start + warmup, end: start + warmup + duration, msgs: make([]chatMsg, n)}
	for i := range res.msgs {
		res.msgs[i].ticket = convs[i%len(convs)].id
		res.msgs[i].due = start + time.Duration(float64(i)*float64(time.Second)/rate)
	}
	jobs := make(chan int)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	worker := func(first int) {
		defer wg.Done()
		cn := &conn{addr: addr}
		defer cn.close()
		t := target{addr: addr, token: token}
		var body, req []byte
		var late, failed int
		var maxLate time.Duration
		var firstErr string
		var apiLat []time.Duration
		send := func(i int) {
			m := &res.msgs[i]
			cv := convs[i%len(convs)]
			body = appendChatMessage(body[:0], int64(i+1), cv.email)
			req = t.appendRequest(req[:0], "POST", cv.path, body)
			m.sent = time.Since(base)
			if m.sent-m.due > lateAfter {
				late++
			}
			maxLate = max(maxLate, m.sent-m.due)
			status, resp, err := cn.do(req)
			at := time.Since(base)
			if err == nil && status/100 == 2 && bytes.HasPrefix(resp, []byte(`{"data":[{`)) {
				m.ack, m.ok = at, true
				if m.due >= res.from && m.due < res.end {
					apiLat = append(apiLat, at-m.sent)
				}
				return
			}
			failed++
			if firstErr == "" {
				if err != nil {
					firstErr = err.Error()
				} else {
					firstErr = fmt.Sprintf("status %d: %.200s", status, bytes.TrimSpace(resp))
				}
			}
		}
		send(first)
		for i := range jobs {
			send(i)
		}
		mu.Lock()
		res.late += late
		res.failed += failed
		res.maxLate = max(res.maxLate, maxLate)
		if res.firstErr == "" {
			res.firstErr = firstErr
		}
		res.apiLat = append(res.apiLat, apiLat...)
		mu.Unlock()
	}
	i := 0
	for ; i < n && ctx.Err() == nil; i++ {
		if d := res.msgs[i].due - time.Since(base); d > 0 {
			time.Sleep(d)
		}
		select {
		case jobs <- i:
			continue
		default:
		}
		if res.workers < maxWorkers {
			wg.Add(1)
			go worker(i)
			res.workers++
			continue
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			i-- // not sent
		}
	}
	close(jobs)
	wg.Wait()
	res.sent = max(i, 0)
	res.byTicket = map[int64][]int{}
	for j, m := range res.msgs[:res.sent] {
		if m.ok {
			res.acked++
			res.byTicket[m.ticket] = append(res.byTicket[m.ticket], j)
		}
	}
	slices.Sort(res.apiLat)
	return res
}

// streams

// chatStream is one event stream the benchmark holds open: a
// conversation's, GET /chat/conversations/{id}/events, or the inbox's,
// GET /{community}/live.
type chatStream struct {
	conv int64         // the conversation; 0 for an inbox stream
	open chan struct{} // closed when the answer's head came, or the stream failed
	done chan struct{} // closed when it has ended

	mu  sync.Mutex
	got []arrival // message events by marker; inbox events by ticket id (0: anything)
	// resets are reset events; inboxAll inbox events that say anything
	// may have changed; other events of other names; bad events without
	// a marker or ticket id.
	resets, inboxAll, other, bad int
	err                          error // why it did not open or ended early
}

// streamClient returns an HTTP client for long-lived event streams whose
// connections are dialled from 127.0.0.2 and up, streamsPerSource from
// each address.
func streamClient() *http.Client {
	var dials atomic.Int64
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			k := (dials.Add(1) - 1) / streamsPerSource
			src := net.IPv4(127, byte(k/250), byte(k%250), 2)
			d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: src}}
			return d.DialContext(ctx, network, addr)
		},
		DisableCompression:    true,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	return &http.Client{Transport: tr}
}

// openChatStream opens a stream of url with the header (Authorization or
// Cookie) and reads it until ctx ends, recording its events' arrivals on
// the clock of base.
// openingStreams bounds the streams being opened at once: visitors
// arrive over seconds, not all in one millisecond, and a server that
// admitted thousands of opening requests at the same instant would hold
// them all, with their buffers and grown stacks, while its few database
// connections served them in turn. (A reconnect storm after a restart is
// spread by the clients' jittered backoff.)
var openingStreams = make(chan struct{}, maxOpeningStreams)

// maxOpeningStreams is how many streams are opened at once.
const maxOpeningStreams = 256

func openChatStream(ctx context.Context, hc *http.Client, base time.Time, url, header, value string, conv int64) *chatStream {
	s := &chatStream{conv: conv, open: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		opened := false
		fail := func(err error) {
			s.mu.Lock()
			if s.err == nil && ctx.Err() == nil {
				s.err = err
			}
			s.mu.Unlock()
			if !opened {
				close(s.open)
			}
		}
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			fail(err)
			return
		}
		req.Header.Set(header, value)
		req.Header.Set("Accept", "text/event-stream")
		select {
		case openingStreams <- struct{}{}:
		case <-ctx.Done():
			fail(ctx.Err())
			return
		}
		resp, err := hc.Do(req)
		<-openingStreams
		if err != nil {
			fail(err)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			fail(fmt.Errorf("GET %s: status %d: %s", url, resp.StatusCode, bytes.TrimSpace(b)))
			return
		}
		opened = true
		close(s.open)
		err = readSSE(resp.Body, func(ev sseEvent) { s.record(time.Since(base), ev) })
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		fail(fmt.Errorf("GET %s: %w", url, err))
	}()
	return s
}

// record notes one event of the stream.
func (s *chatStream) record(at time.Duration, ev sseEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.conv == 0 && ev.name == "ticket":
		id, err := strconv.ParseInt(string(ev.data), 10, 64)
		if err != nil {
			s.bad++
			return
		}
		if id == 0 {
			s.inboxAll++
		}
		s.got = append(s.got, arrival{at: at, ticket: id})
	case s.conv != 0 && ev.name == "message":
		seq, ok := markerSeq(ev.data)
		if !ok {
			s.bad++
			return
		}
		s.got = append(s.got, arrival{at: at, ticket: seq})
	case ev.name == "reset":
		s.resets++
	default:
		s.other++
	}
}

func (s *chatStream) snapshot() []arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// waitOpen waits until every stream has answered, up to limit, and
// reports those that failed.
func waitOpen(streams []*chatStream, limit time.Duration) error {
	deadline := time.After(limit)
	failed := 0
	var first error
	for _, s := range streams {
		select {
		case <-s.open:
		case <-deadline:
			return fmt.Errorf("the streams did not open within %s", limit)
		}
		s.mu.Lock()
		if s.err != nil {
			failed++
			if first == nil {
				first = s.err
			}
		}
		s.mu.Unlock()
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d streams did not open: %w", failed, len(streams), first)
	}
	return nil
}

// sseEvent is one server-sent event: its name ("" for the default) and
// its data lines, joined by newlines.
type sseEvent struct {
	name string
	data []byte
}

// readSSE reads the server-sent events of r until it ends, and calls fn
// for each at the blank line that ends it, as the HTML standard's parser
// dispatches: a block without data is not an event (the stream's opening
// retry and id), and comments, ids and retry fields are skipped.
func readSSE(r io.Reader, fn func(sseEvent)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 16<<10), 1<<20)
	var ev sseEvent
	hasData := false
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			if hasData {
				fn(ev)
			}
			ev, hasData = sseEvent{}, false
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			ev.name = string(value)
		case "data":
			if hasData {
				ev.data = append(ev.data, '\n')
			}
			ev.data = append(ev.data, value...)
			hasData = true
		}
	}
	return sc.Err()
}

// matching

// chatLatency gathers the arrivals at one kind of subscriber: pairs of a
// message and a subscriber that should get it.
type chatLatency struct {
	fromAck, fromSend []time.Duration // of the pairs of messages acknowledged in the window that arrived
	expected          int             // pairs of messages acknowledged in the window
	inWindow          int             // arrivals (of any message) in the window
	missing           int             // of those, never arrived
	undelivered       int             // pairs of every acknowledged message, never arrived
	dups, unknown     int
	drain             time.Duration // of the last arrival after the load stopped
}

// add counts message i at one subscriber: it came at at, or never if not
// got.
func (l *chatLatency) add(ld *chatLoad, i int, at time.Duration, got bool) {
	m := ld.msgs[i]
	if !m.ok {
		return
	}
	in := m.ack >= ld.from && m.ack < ld.end
	if in {
		l.expected++
	}
	if !got {
		l.undelivered++
		if in {
			l.missing++
		}
		return
	}
	l.drain = max(l.drain, at-ld.end)
	if at >= ld.from && at < ld.end {
		l.inWindow++
	}
	if in {
		l.fromAck = append(l.fromAck, at-m.ack)
		l.fromSend = append(l.fromSend, at-m.sent)
	}
}

// seqLatency matches arrivals keyed by marker with the messages for which
// want is true: each should arrive once.
func seqLatency(ld *chatLoad, got []arrival, want func(chatMsg) bool) chatLatency {
	var l chatLatency
	first := make(map[int64]time.Duration, len(got))
	for _, a := range got {
		i := a.ticket - 1
		if i < 0 || i >= int64(ld.sent) || !ld.msgs[i].ok || !want(ld.msgs[i]) {
			l.unknown++
			continue
		}
		if _, dup := first[a.ticket]; dup {
			l.dups++
			continue
		}
		first[a.ticket] = a.at
	}
	for i, m := range ld.msgs[:ld.sent] {
		if m.ok && want(m) {
			at, ok := first[int64(i+1)]
			l.add(ld, i, at, ok)
		}
	}
	return l
}

// convLatency matches the message events of conversation streams: each
// stream should get every message of its conversation once.
func convLatency(ld *chatLoad, streams []*chatStream) chatLatency {
	var all chatLatency
	for _, s := range streams {
		got := s.snapshot()
		var l chatLatency
		first := make(map[int64]time.Duration, len(got))
		for _, a := range got {
			i := a.ticket - 1
			if i < 0 || i >= int64(ld.sent) || !ld.msgs[i].ok || ld.msgs[i].ticket != s.conv {
				l.unknown++
				continue
			}
			if _, dup := first[a.ticket]; dup {
				l.dups++
				continue
			}
			first[a.ticket] = a.at
		}
		for _, i := range ld.byTicket[s.conv] {
			at, ok := first[int64(i+1)]
			l.add(ld, i, at, ok)
		}
		all.merge(l)
	}
	return all
}

// inboxLatency matches the arrivals of inbox streams (matchInbox): each
// stream should tell of every message.
func inboxLatency(ld *chatLoad, streams []*chatStream) chatLatency {
	var all chatLatency
	for _, s := range streams {
		var l chatLatency
		first := matchInbox(ld.msgs[:ld.sent], s.snapshot())
		for i, at := range first {
			l.add(ld, i, at, at != noArrival)
		}
		all.merge(l)
	}
	return all
}

func (l *chatLatency) merge(o chatLatency) {
	l.fromAck = append(l.fromAck, o.fromAck...)
	l.fromSend = append(l.fromSend, o.fromSend...)
	l.expected += o.expected
	l.inWindow += o.inWindow
	l.missing += o.missing
	l.undelivered += o.undelivered
	l.dups += o.dups
	l.unknown += o.unknown
	l.drain = max(l.drain, o.drain)
}

// noArrival marks a message matchInbox found no arrival for.
const noArrival = time.Duration(math.MinInt64)

// matchInbox says when an inbox stream told of each acknowledged message
// of msgs: got are the stream's arrivals in order, a ticket id each, or
// 0 for "anything may have changed". The stream sends each changed
// ticket once per burst it gathers, so one arrival may stand for several
// messages: an arrival of ticket T stands for the messages of T not yet
// told of that had been acknowledged before it came, or, if there is
// none, for the earliest one sent before it (its event overtook the
// answer); a 0 stands for every message acknowledged before it. The
// result holds each message's arrival, noArrival where none came.
func matchInbox(msgs []chatMsg, got []arrival) []time.Duration {
	first := make([]time.Duration, len(msgs))
	byTicket := map[int64][]int{}
	var order []int // acknowledged messages
	for i, m := range msgs {
		first[i] = noArrival
		if m.ok {
			byTicket[m.ticket] = append(byTicket[m.ticket], i)
			order = append(order, i)
		}
	}
	byAck := func(a, b int) int { return cmp.Compare(msgs[a].ack, msgs[b].ack) }
	slices.SortStableFunc(order, byAck)
	for _, l := range byTicket {
		slices.SortStableFunc(l, byAck)
	}
	next := map[int64]int{}
	g := 0
	for _, a := range got {
		if a.ticket == 0 {
			for ; g < len(order) && msgs[order[g]].ack < a.at; g++ {
				if first[order[g]] == noArrival {
					first[order[g]] = a.at
				}
			}
			continue
		}
		l := byTicket[a.ticket]
		p, covered := next[a.ticket], false
		for ; p < len(l); p++ {
			if first[l[p]] != noArrival {
				continue
			}
			if msgs[l[p]].ack >= a.at {
				break
			}
			first[l[p]], covered = a.at, true
		}
		if !covered && p < len(l) && msgs[l[p]].sent < a.at {
			first[l[p]] = a.at
			p++
		}
		next[a.ticket] = p
	}
	return first
}

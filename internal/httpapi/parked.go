package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"openboards/internal/live"
)

// Feed is what ServeEventStream sends: the events of a subscription, each
// as Render makes it, a heartbeat and a poll, as EventStream.Follow sends
// them.
type Feed struct {
	// Retry and From are OpenEventStream's: the reconnection delay asked
	// of browsers and the id the stream starts from.
	Retry time.Duration
	From  string
	// Events are the events to send; the stream ends when it closes.
	Events <-chan live.Event
	// Heartbeat is how long the stream may go without an event before it
	// sends a comment; PollEvery how often Poll is called.
	Heartbeat, PollEvery time.Duration
	// Render makes the event that e is sent as (one named "" is not
	// sent); Poll, every PollEvery, the event to send, if it names
	// anything. An error of either ends the stream: the client reconnects
	// and reads afresh. Neither is called concurrently with the other.
	Render func(ctx context.Context, e live.Event) (name, id string, data []byte, err error)
	Poll   func(ctx context.Context) (name string, data []byte, err error)
	// Done, if not nil, is called once the stream has ended, from
	// whichever goroutine served it.
	Done func()
	// Log receives the panics of Render and Poll on a parked stream;
	// nil logs to slog.Default().
	Log *slog.Logger
}

// parkedWriteTimeout bounds each write of a parked stream: a client that
// reads nothing for that long, while the connection's buffers are full,
// is dropped.
const parkedWriteTimeout = 30 * time.Second

var parkedStreams atomic.Int64

// ParkedStreams is the number of event streams that ServeEventStream
// serves from parked connections now.
func ParkedStreams() int { return int(parkedStreams.Load()) }

// ServeEventStream answers r with the event stream of f, as
// OpenEventStream and EventStream.Follow do, until f.Events closes, the
// client goes or Render or Poll fails, and then calls f.Done.
//
// A stream holds its connection for as long as its client wants, and a
// server holds thousands of them, so on HTTP/1 it does not keep the
// handler's goroutine: it takes the connection over from net/http
// (http.ResponseController.Hijack), answers the headers itself, with the
// body delimited by the connection's close, and serves the rest from a
// goroutine of its own, parked on f.Events and two timers, while
// ServeEventStream returns at once. The handler's goroutine, whose stack
// grew with what it did before (reading the store is stack-hungry),
// net/http's buffers of the connection and its background reader are
// then freed: a parked stream costs a few KiB instead of about 40. Render
// and Poll run on short-lived goroutines, so that the parked one's stack
// stays small, with a context of their own: the request's ends when
// ServeEventStream returns. Nothing reads a parked connection, so a
// client that has gone is found when a write to it fails: at the latest
// at the second heartbeat after it went (the first write only draws the
// peer's reset). Where net/http cannot hand the connection over (HTTP/2),
// or to a HEAD request, the stream is served in the handler, as
// OpenEventStream and Follow do.
//
// A parked connection is no longer net/http's: http.Server.Shutdown
// neither waits for it nor closes it. Its stream ends when f.Events
// closes, so a server closes the hub that feeds it as it shuts down
// (http.Server.RegisterOnShutdown). The connection stays counted by the
// listener that accepted it (limit.Listener) until the stream closes it.
func ServeEventStream(w http.ResponseWriter, r *http.Request, f Feed) {
	if r.Method == http.MethodGet && r.ProtoMajor == 1 && park(w, f) {
		return
	}
	if f.Done != nil {
		defer f.Done()
	}
	es := OpenEventStream(w, f.Retry, f.From)
	if es == nil {
		return
	}
	ctx := r.Context()
	es.Follow(ctx, f.Events, f.Heartbeat, f.PollEvery, func(e live.Event) (string, string, []byte, error) {
		return f.Render(ctx, e)
	}, func() (string, []byte, error) {
		return f.Poll(ctx)
	})
}

// park hijacks w's connection and serves f from a goroutine of its own;
// false, having written nothing, when the connection cannot be hijacked.
func park(w http.ResponseWriter, f Feed) bool {
	// The head is made before the hijack: w is not to be used after it.
	hdr := w.Header().Clone()
	setStreamHeaders(hdr)
	hdr.Del("Content-Length")
	hdr.Del("Transfer-Encoding")
	hdr.Set("Connection", "close") // the body ends when the connection does
	if hdr.Get("Date") == "" {
		hdr.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 200 OK\r\n")
	hdr.Write(&head)
	head.WriteString("\r\n")
	head.Write(appendPreamble(nil, f.Retry, f.From))

	// What the hijack leaves buffered (a pipelined request) is dropped:
	// nothing follows a stream on its connection.
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return false
	}
	p := &parked{conn: conn, f: f}
	parkedStreams.Add(1)
	if p.write(head.Bytes()) != nil {
		p.end()
		return true
	}
	go p.run()
	return true
}

// parked is a stream served from a hijacked connection.
type parked struct {
	conn net.Conn
	f    Feed
}

// keepAlive is the heartbeat, a comment (EventStream.Comment).
var keepAlive = appendComment(nil, "keep-alive")

// run sends the stream's events as Follow does, until the stream ends.
// It is the goroutine a stream keeps for as long as it is open, and only
// waits and writes: what it sends is made by render and poll, each on a
// goroutine of its own.
func (p *parked) run() {
	defer p.end()
	beat := time.NewTicker(p.f.Heartbeat)
	defer beat.Stop()
	tick := time.NewTicker(p.f.PollEvery)
	defer tick.Stop()
	for {
		var out []byte
		var err error
		select {
		case <-beat.C:
			out = keepAlive
		case <-tick.C:
			out, err = p.offStack(p.poll)
		case e, ok := <-p.f.Events:
			if !ok {
				return
			}
			out, err = p.offStack(func() ([]byte, error) { return p.render(e) })
			if len(out) > 0 {
				beat.Reset(p.f.Heartbeat)
			}
		}
		if err != nil {
			return
		}
		if len(out) > 0 && p.write(out) != nil {
			return
		}
	}
}

func (p *parked) render(e live.Event) ([]byte, error) {
	name, id, data, err := p.f.Render(context.Background(), e)
	if err != nil || name == "" {
		return nil, err
	}
	return appendEvent(nil, name, id, data), nil
}

func (p *parked) poll() ([]byte, error) {
	name, data, err := p.f.Poll(context.Background())
	if err != nil || name == "" {
		return nil, err
	}
	return appendEvent(nil, name, "", data), nil
}

// offStack runs fn on a goroutine of its own and waits for it, so that the
// stack fn grows (the store's reads) is not the parked goroutine's, which
// keeps its stack for as long as the stream is open. A panic of fn is
// logged, as net/http logs a handler's, and ends the stream.
func (p *parked) offStack(fn func() ([]byte, error)) ([]byte, error) {
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		var res result
		defer func() {
			if v := recover(); v != nil {
				log := p.f.Log
				if log == nil {
					log = slog.Default()
				}
				log.Error("event stream: panic", "panic", v, "stack", string(debug.Stack()))
				res = result{err: fmt.Errorf("panic: %v", v)}
			}
			done <- res
		}()
		res.out, res.err = fn()
	}()
	res := <-done
	return res.out, res.err
}

func (p *parked) write(b []byte) error {
	p.conn.SetWriteDeadline(time.Now().Add(parkedWriteTimeout))
	_, err := p.conn.Write(b)
	return err
}

// end closes the connection, and so the response, and ends the stream.
func (p *parked) end() {
	p.conn.Close()
	parkedStreams.Add(-1)
	if p.f.Done != nil {
		p.f.Done()
	}
}

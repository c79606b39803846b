package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// conn is one keep-alive HTTP/1.1 connection used by one client at a time.
// It writes prepared request bytes and reads the answer with a minimal
// parser (status line, Content-Length, Connection), without the goroutines,
// header maps and channel hand-offs of http.Transport, so that the
// generator takes as little as it can of the CPUs the server also needs.
// Every server this program measures answers with a Content-Length.
type conn struct {
	addr  string
	local net.IP // the address it is dialled from; nil: the system's choice
	c     net.Conn
	br    *bufio.Reader
	body  []byte
}

// errChunked reports an answer this client cannot read.
var errChunked = errors.New("response without Content-Length")

// do sends req (a complete request) and returns the status and body of the
// answer. The body is valid until the next call.
func (c *conn) do(req []byte) (int, []byte, error) {
	if c.c == nil {
		d := net.Dialer{Timeout: 5 * time.Second}
		if c.local != nil {
			d.LocalAddr = &net.TCPAddr{IP: c.local}
		}
		nc, err := d.Dial("tcp", c.addr)
		if err != nil {
			return 0, nil, err
		}
		c.c = nc
		c.br = bufio.NewReaderSize(nc, 64<<10)
	}
	c.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.c.Write(req); err != nil {
		c.close()
		return 0, nil, err
	}
	status, length, closing, err := c.readHead()
	if err == nil && length < 0 {
		err = errChunked
	}
	if err != nil {
		c.close()
		return status, nil, err
	}
	if cap(c.body) < length {
		c.body = make([]byte, length)
	}
	c.body = c.body[:length]
	if _, err := io.ReadFull(c.br, c.body); err != nil {
		c.close()
		return status, nil, err
	}
	if closing {
		c.close()
	}
	return status, c.body, nil
}

// readHead reads a response's status line and headers, returning the
// status, the Content-Length (-1 if absent) and whether the server closes
// the connection.
func (c *conn) readHead() (status, length int, closing bool, err error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, 0, false, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, 0, false, fmt.Errorf("bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, false, fmt.Errorf("bad status line %q", line)
	}
	length = -1
	for {
		line, err = c.br.ReadSlice('\n')
		if err != nil {
			return status, 0, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return status, length, closing, nil
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(v)); err != nil || length < 0 {
				return status, 0, false, fmt.Errorf("bad Content-Length %q", v)
			}
		case bytes.EqualFold(k, []byte("Connection")):
			closing = bytes.EqualFold(v, []byte("close"))
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			return status, 0, false, errChunked
		}
	}
}

func (c *conn) close() {
	if c.c != nil {
		c.c.Close()
		c.c = nil
	}
}

// client is the state of one simulated API client.
type client struct {
	id   int
	rng  *rand.Rand
	req  []byte // request buffer, reused
	body []byte // request body buffer, reused
	lat  []time.Duration
	ids  []int64 // ticket ids a create workload collected
}

// workload describes the requests of one phase.
type workload struct {
	name    string
	unit    string // what throughput counts, e.g. "req/s" or "tickets/s"
	method  string // GET or POST: which ceiling applies
	clients int
	// request appends one complete HTTP request to c.req[:0] and returns it.
	request func(c *client) []byte
	// accept reports whether an answer is a success and may record data
	// from it; the default accepts any 2xx.
	accept func(c *client, status int, body []byte) bool
	// call, if set, replaces the HTTP request: the in-process phases call
	// the services directly.
	call func(c *client) error
	// diskDir, if set, is where the phase's database lives; its fsync
	// latency is measured before the phase.
	diskDir string
	// addrs, if set, spreads the clients over several servers (client i
	// talks to addrs[i%len(addrs)]) instead of the one runLoad is given.
	addrs []string
}

// loadResult is what one run of a workload measured.
type loadResult struct {
	latencies []time.Duration // of every request started in the window, sorted
	ok        int
	errors    int
	firstErr  string
	window    time.Duration
	ids       []int64
}

// runLoad runs w against addr: every client keeps one connection and sends
// requests back to back for warmup+duration. Only requests started after
// the warm-up are measured. onMeasure, if not nil, runs when measuring
// starts.
func runLoad(ctx context.Context, addr string, w workload, warmup, duration time.Duration, onMeasure func()) loadResult {
	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(duration)
	// onMeasure runs on its own goroutine; waiting for measured before
	// returning orders what it did before whatever the caller does next.
	measured := make(chan struct{})
	go func() {
		defer close(measured)
		select {
		case <-time.After(warmup):
			if onMeasure != nil {
				onMeasure()
			}
		case <-ctx.Done():
		}
	}()
	defer func() { <-measured }()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		res      loadResult
		stopped  atomic.Bool
		firstErr atomic.Value
	)
	stop := context.AfterFunc(ctx, func() { stopped.Store(true) })
	defer stop()
	for i := range w.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &client{id: i, rng: rand.New(rand.NewPCG(uint64(i)+1, uint64(start.UnixNano()))),
				lat: make([]time.Duration, 0, 1<<14)}
			cn := &conn{addr: addr}
			if len(w.addrs) > 0 {
				cn.addr = w.addrs[i%len(w.addrs)]
			}
			defer cn.close()
			ok, errs := 0, 0
			for !stopped.Load() {
				var req []byte
				if w.call == nil {
					req = w.request(c)
				}
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				var good bool
				var msg string
				if w.call != nil {
					err := w.call(c)
					if good = err == nil; !good {
						msg = err.Error()
					}
				} else {
					status, body, err := cn.do(req)
					good = err == nil && status/100 == 2
					if good && w.accept != nil {
						good = w.accept(c, status, body)
					}
					switch {
					case err != nil:
						msg = err.Error()
					case !good:
						msg = fmt.Sprintf("status %d: %.200s", status, body)
					}
				}
				d := time.Since(t0)
				if !good && firstErr.Load() == nil {
					firstErr.CompareAndSwap(nil, msg)
				}
				if t0.Before(measureFrom) {
					continue
				}
				c.lat = append(c.lat, d)
				if good {
					ok++
				} else {
					errs++
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, c.lat...)
			res.ids = append(res.ids, c.ids...)
			res.ok += ok
			res.errors += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.window = duration
	if ctx.Err() != nil {
		res.window = max(time.Since(measureFrom), time.Millisecond)
	}
	if v := firstErr.Load(); v != nil {
		res.firstErr = v.(string)
	}
	slices.Sort(res.latencies)
	return res
}

// percentile returns the q-quantile (0..1) of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)) + 0.5)
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

// probe sends one request of w on a fresh connection and returns the
// answer, to check a phase's setup before loading it.
func probe(addr string, w workload) (int, []byte, error) {
	c := &client{rng: rand.New(rand.NewPCG(7, 7))}
	cn := &conn{addr: addr}
	defer cn.close()
	status, body, err := cn.do(w.request(c))
	if err != nil {
		return 0, nil, err
	}
	if status/100 != 2 {
		return status, body, errors.New("probe: status " + http.StatusText(status))
	}
	return status, slices.Clone(body), nil
}

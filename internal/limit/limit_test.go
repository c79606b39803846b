package limit_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"openboards/internal/limit"
	"openboards/internal/openboards"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func fail(t *testing.T, f *limit.Failures, account string, addr netip.Addr) error {
	t.Helper()
	done, err := f.Begin(account, addr)
	if err != nil {
		return err
	}
	done(true)
	return nil
}

func TestFailuresPerAccount(t *testing.T) {
	t.Parallel()
	c := &clock{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	f := limit.NewFailures(limit.FailureOptions{Now: c.now})
	ip, fresh := netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("203.0.113.2")
	for i := range 10 {
		if err := fail(t, f, "ann", ip); err != nil {
			t.Fatalf("failure %d refused: %v", i+1, err)
		}
	}
	c.t = c.t.Add(5 * time.Minute)
	err := fail(t, f, "ann", ip)
	if openboards.ErrorCode(err) != openboards.CodeRateLimited {
		t.Fatalf("11th attempt: got %v, want rate_limited", err)
	}
	if got, want := openboards.RetryAfter(err), 10*time.Minute; got != want {
		t.Fatalf("RetryAfter = %v, want %v", got, want)
	}
	// Another account from the same address, and the same account from a
	// fresh address, are not held back: nobody is locked out.
	if err := fail(t, f, "bob", ip); err != nil {
		t.Fatalf("another account: %v", err)
	}
	done, err := f.Begin("ann", fresh)
	if err != nil {
		t.Fatalf("fresh address: %v", err)
	}
	done(false)
	// The window ends.
	c.t = c.t.Add(10 * time.Minute)
	if err := fail(t, f, "ann", ip); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestFailuresPerClient(t *testing.T) {
	t.Parallel()
	f := limit.NewFailures(limit.FailureOptions{})
	ip := netip.MustParseAddr("2001:db8:1:2::1")
	for i := range 100 {
		if err := fail(t, f, fmt.Sprint("account-", i), ip); err != nil {
			t.Fatalf("failure %d refused: %v", i+1, err)
		}
	}
	// Another address in the same /64 counts as the same client.
	if err := fail(t, f, "new", netip.MustParseAddr("2001:db8:1:2::ffff")); openboards.ErrorCode(err) != openboards.CodeRateLimited {
		t.Fatalf("101st failure from the /64: got %v, want rate_limited", err)
	}
	if err := fail(t, f, "new", netip.MustParseAddr("2001:db8:1:3::1")); err != nil {
		t.Fatalf("another /64: %v", err)
	}
}

func TestFailuresSuccessIsGivenBack(t *testing.T) {
	t.Parallel()
	f := limit.NewFailures(limit.FailureOptions{PerAccount: limit.Rule{Max: 2, Window: time.Hour}})
	ip := netip.MustParseAddr("192.0.2.1")
	for range 50 {
		done, err := f.Begin("ann", ip)
		if err != nil {
			t.Fatalf("a successful attempt counted: %v", err)
		}
		done(false)
	}
	// Attempts under way count, so concurrent guesses cannot overshoot.
	d1, err1 := f.Begin("ann", ip)
	d2, err2 := f.Begin("ann", ip)
	_, err3 := f.Begin("ann", ip)
	if err1 != nil || err2 != nil || openboards.ErrorCode(err3) != openboards.CodeRateLimited {
		t.Fatalf("three attempts under way: %v, %v, %v; want the third refused", err1, err2, err3)
	}
	d1(false)
	d1(false) // a second call changes nothing
	d2(true)
	if err := fail(t, f, "ann", ip); err != nil {
		t.Fatalf("after one given back: %v", err)
	}
	if err := fail(t, f, "ann", ip); openboards.ErrorCode(err) != openboards.CodeRateLimited {
		t.Fatalf("got %v, want rate_limited", err)
	}
}

func TestFailuresMemoryIsBounded(t *testing.T) {
	t.Parallel()
	f := limit.NewFailures(limit.FailureOptions{MaxKeys: 100, PerClient: limit.Rule{Max: 1 << 30, Window: time.Hour}})
	ip := netip.MustParseAddr("192.0.2.1")
	// The first account reaches its limit, then 100 others push it out.
	for range 10 {
		fail(t, f, "first", ip)
	}
	if err := fail(t, f, "first", ip); err == nil {
		t.Fatal("the limit was not reached")
	}
	for i := range 100 {
		fail(t, f, strings.Repeat("x", 10_000)+fmt.Sprint(i), ip)
	}
	if n := limit.Keys(f); n > 100 {
		t.Fatalf("tracking %d account keys, want at most 100", n)
	}
	if err := fail(t, f, "first", ip); err != nil {
		t.Fatalf("the evicted key is still limited: %v", err)
	}
}

func TestFailuresMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := limit.NewMetrics(reg)
	f := limit.NewFailures(limit.FailureOptions{PerAccount: limit.Rule{Max: 1, Window: time.Hour}, Metrics: m})
	ip := netip.MustParseAddr("192.0.2.1")
	fail(t, f, "a", ip)
	fail(t, f, "a", ip)
	fail(t, f, "a", ip)
	if got := testutil.ToFloat64(limit.Refused(m, limit.ReasonRateLimited)); got != 2 {
		t.Fatalf("rate_limited = %v, want 2", got)
	}
}

func TestPool(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := limit.NewMetrics(reg)
	p := limit.NewPool(2, m)
	r1, err1 := p.Acquire()
	r2, err2 := p.Acquire()
	if err1 != nil || err2 != nil {
		t.Fatalf("Acquire within the size: %v, %v", err1, err2)
	}
	_, err := p.Acquire()
	if !errors.Is(err, limit.ErrBusy) || openboards.ErrorCode(err) != openboards.CodeUnavailable || openboards.RetryAfter(err) <= 0 {
		t.Fatalf("Acquire on a full pool: got %v, want ErrBusy with a RetryAfter", err)
	}
	r1()
	r3, err := p.Acquire()
	if err != nil {
		t.Fatalf("Acquire after a release: %v", err)
	}
	r2()
	r3()
	if got := testutil.ToFloat64(limit.Refused(m, limit.ReasonHashPoolFull)); got != 1 {
		t.Fatalf("hash_pool_full = %v, want 1", got)
	}
	if got := limit.NewPool(0, nil).Size(); got != limit.DefaultPoolSize() {
		t.Fatalf("default size %d, want %d", got, limit.DefaultPoolSize())
	}
}

// accepted serves Accept in the background.
func accepted(t *testing.T, l net.Listener) <-chan net.Conn {
	t.Helper()
	ch := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(ch)
				return
			}
			ch <- c
		}
	}()
	return ch
}

func dial(t *testing.T, l net.Listener) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// refused reports whether the server closed c without a word.
func refused(t *testing.T, c net.Conn) bool {
	t.Helper()
	n, err := c.Read(make([]byte, 1))
	return n == 0 && (err == io.EOF || errors.Is(err, net.ErrClosed) || strings.Contains(fmt.Sprint(err), "reset"))
}

func TestListenerPerIP(t *testing.T) {
	t.Parallel()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := limit.NewMetrics(reg)
	l := limit.NewListener(inner, limit.ListenerOptions{MaxConns: 10, MaxConnsPerIP: 2, Metrics: m})
	defer l.Close()
	ch := accepted(t, l)
	dial(t, l)
	dial(t, l)
	first, second := <-ch, <-ch
	third := dial(t, l)
	if !refused(t, third) {
		t.Fatal("the third connection from one address was not closed")
	}
	if got := testutil.ToFloat64(limit.Refused(m, limit.ReasonConnLimitPerIP)); got != 1 {
		t.Fatalf("conn_limit_per_ip = %v, want 1", got)
	}
	// Closing one makes room for the next.
	first.Close()
	first.Close() // twice gives back one place only
	fourth := dial(t, l)
	got := <-ch
	fourth.Write([]byte("x"))
	if n, _ := got.Read(make([]byte, 1)); n != 1 {
		t.Fatal("the connection after a close was not served")
	}
	if n := l.Open(); n != 2 {
		t.Fatalf("Open = %d, want 2", n)
	}
	second.Close()
	got.Close()
}

func TestListenerTotalAndExempt(t *testing.T) {
	t.Parallel()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := limit.NewMetrics(reg)
	// 127.0.0.1 is a trusted proxy: only the total holds it.
	l := limit.NewListener(inner, limit.ListenerOptions{MaxConns: 3, MaxConnsPerIP: 1, Metrics: m,
		Exempt: func(a netip.Addr) bool { return a.IsLoopback() }})
	defer l.Close()
	ch := accepted(t, l)
	for range 3 {
		dial(t, l)
		<-ch
	}
	if !refused(t, dial(t, l)) {
		t.Fatal("the connection over --max-conns was not closed")
	}
	if got := testutil.ToFloat64(limit.Refused(m, limit.ReasonConnLimit)); got != 1 {
		t.Fatalf("conn_limit = %v, want 1", got)
	}
}

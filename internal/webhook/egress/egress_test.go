package egress

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// newReceiver starts an HTTPS test receiver and counts the requests it
// gets.
func newReceiver(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	// Refused handshakes are expected; keep them out of the test log.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &hits
}

// hangingReceiver starts a receiver that never answers.
func hangingReceiver(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	// The handler holds its answer until the test ends, even once the
	// request's context ends: returning then would send an empty 200.
	srv, _ := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	// Cleanups run last-registered first: the handler is released
	// before the server waits for it to finish.
	t.Cleanup(func() { close(release) })
	return srv
}

// clientFor returns a client that trusts srv's certificate, with opts
// otherwise.
func clientFor(t *testing.T, srv *httptest.Server, opts Options) *Client {
	t.Helper()
	opts.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	c := NewClient(opts)
	t.Cleanup(c.Close)
	return c
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

// echoChallenge is a well-behaved verification receiver.
func echoChallenge(t *testing.T, token string, seen chan<- *http.Request) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if seen != nil {
			seen <- r
		}
		q := r.URL.Query()
		if r.Method != http.MethodGet || q.Get("verifyToken") != token {
			http.Error(w, "bad token", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, q.Get("challenge")+"\n")
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	const token = "s3cret token&=/+?é"
	seen := make(chan *http.Request, 1)
	srv, _ := newReceiver(t, echoChallenge(t, token, seen))
	c := clientFor(t, srv, Options{Allowed: loopback})

	t.Run("NoQuery", func(t *testing.T) {
		if err := c.Verify(t.Context(), srv.URL+"/hooks", token); err != nil {
			t.Fatal(err)
		}
		r := <-seen
		if r.URL.Path != "/hooks" {
			t.Errorf("path = %q, want /hooks", r.URL.Path)
		}
		if !strings.HasPrefix(r.URL.RawQuery, "challenge=") {
			t.Errorf("query %q does not start with challenge=", r.URL.RawQuery)
		}
		checkHandshake(t, r, token)
		if got := r.UserAgent(); got != DefaultUserAgent {
			t.Errorf("User-Agent = %q, want %q", got, DefaultUserAgent)
		}
	})
	t.Run("KeepsQuery", func(t *testing.T) {
		if err := c.Verify(t.Context(), srv.URL+"/hooks?tenant=42&x=a%26b", token); err != nil {
			t.Fatal(err)
		}
		r := <-seen
		if !strings.HasPrefix(r.URL.RawQuery, "tenant=42&x=a%26b&challenge=") {
			t.Errorf("query %q does not keep the URL's own query followed by &challenge=", r.URL.RawQuery)
		}
		if got := r.URL.Query().Get("x"); got != "a&b" {
			t.Errorf("x = %q, want a&b", got)
		}
		checkHandshake(t, r, token)
	})
}

// checkHandshake checks the verification parameters of r.
func checkHandshake(t *testing.T, r *http.Request, token string) {
	t.Helper()
	q := r.URL.Query()
	if got := q["verifyToken"]; len(got) != 1 || got[0] != token {
		t.Errorf("verifyToken = %q, want exactly %q", got, token)
	}
	ch := q["challenge"]
	if len(ch) != 1 {
		t.Fatalf("challenge = %q, want one value", ch)
	}
	if _, err := strconv.ParseUint(ch[0], 10, 32); err != nil {
		t.Errorf("challenge %q is not an unsigned 32-bit decimal number", ch[0])
	}
}

func TestVerifyChallengeVaries(t *testing.T) {
	t.Parallel()
	seen := make(chan *http.Request, 2)
	srv, _ := newReceiver(t, echoChallenge(t, "t", seen))
	c := clientFor(t, srv, Options{Allowed: loopback})
	for range 2 {
		if err := c.Verify(t.Context(), srv.URL, "t"); err != nil {
			t.Fatal(err)
		}
	}
	a, b := (<-seen).URL.Query().Get("challenge"), (<-seen).URL.Query().Get("challenge")
	if a == b {
		t.Errorf("two handshakes used the same challenge %s", a)
	}
}

func TestVerifyFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    []string
	}{
		{
			name: "WrongBody",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "OK")
			},
			want: []string{`answered with a body that is not the challenge: got "OK"`},
		},
		{
			name: "LongWrongBody",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "<html>"+strings.Repeat("x", 500))
			},
			want: []string{`got "<html>` + strings.Repeat("x", 94) + `" (first 100 bytes)`},
		},
		{
			name:    "EmptyBody",
			handler: func(w http.ResponseWriter, r *http.Request) {},
			want:    []string{"empty body"},
		},
		{
			name: "TokenRejected",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "forbidden", http.StatusForbidden)
			},
			want: []string{"answered 403 Forbidden"},
		},
		{
			name: "ServerError",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, r.URL.Query().Get("challenge"))
			},
			want: []string{"answered 500 Internal Server Error"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newReceiver(t, tt.handler)
			c := clientFor(t, srv, Options{Allowed: loopback})
			err := c.Verify(t.Context(), srv.URL+"/hook", "token")
			wantErr(t, err, append([]string{"webhook endpoint 127.0.0.1:"}, tt.want...)...)
		})
	}
}

func TestVerifyRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var followed atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/other?"+r.URL.RawQuery, http.StatusFound)
	})
	mux.HandleFunc("/other", func(w http.ResponseWriter, r *http.Request) {
		followed.Add(1)
		echoChallenge(t, "token", nil)(w, r)
	})
	srv, _ := newReceiver(t, mux.ServeHTTP)
	c := clientFor(t, srv, Options{Allowed: loopback})
	err := c.Verify(t.Context(), srv.URL+"/hook", "token")
	wantErr(t, err, "answered 302 Found; redirects are not followed", "/other")
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusFound {
		t.Errorf("error %v is not an *Error with status 302", err)
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
}

func TestVerifyTimeout(t *testing.T) {
	t.Parallel()
	srv := hangingReceiver(t)
	c := clientFor(t, srv, Options{Allowed: loopback, Timeout: 300 * time.Millisecond})
	start := time.Now()
	err := c.Verify(t.Context(), srv.URL, "token")
	elapsed := time.Since(start)
	wantErr(t, err, "did not answer within 300ms")
	if elapsed < 300*time.Millisecond {
		t.Errorf("Verify returned after %v, before its 300ms timeout", elapsed)
	}
}

func TestVerifyCallerCancels(t *testing.T) {
	t.Parallel()
	srv := hangingReceiver(t)
	c := clientFor(t, srv, Options{Allowed: loopback})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	err := c.Verify(ctx, srv.URL, "token")
	wantErr(t, err, "abandoned")
	if strings.Contains(err.Error(), "did not answer within") {
		t.Errorf("error %q blames the endpoint for the caller's deadline", err)
	}
}

func TestVerifyUntrustedCertificate(t *testing.T) {
	t.Parallel()
	srv, hits := newReceiver(t, echoChallenge(t, "token", nil))
	// No RootCAs: the system roots do not include the test server's
	// own certificate authority.
	c := NewClient(Options{Allowed: loopback})
	t.Cleanup(c.Close)
	err := c.Verify(t.Context(), srv.URL, "token")
	wantErr(t, err, "certificate", "not trusted", "self-signed")
	if n := hits.Load(); n != 0 {
		t.Errorf("the receiver got %d requests over an untrusted connection", n)
	}
}

func TestVerifyNotHTTPS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(echoChallenge(t, "token", nil))
	t.Cleanup(srv.Close)
	c := NewClient(Options{Allowed: loopback})
	t.Cleanup(c.Close)
	err := c.Verify(t.Context(), srv.URL, "token")
	wantErr(t, err, "uses http", "must use https")

	// An https URL whose port speaks plain HTTP.
	err = c.Verify(t.Context(), "https://"+srv.Listener.Addr().String(), "token")
	wantErr(t, err, "plain HTTP instead of HTTPS")
}

func TestVerifyGuard(t *testing.T) {
	t.Parallel()
	srv, hits := newReceiver(t, echoChallenge(t, "token", nil))
	c := clientFor(t, srv, Options{}) // nothing allowed
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	for _, u := range []string{
		srv.URL,
		"https://localhost:" + strconv.Itoa(port),
		"https://[::ffff:127.0.0.1]:" + strconv.Itoa(port),
	} {
		err := c.Verify(t.Context(), u, "token")
		wantErr(t, err, "cannot be reached", "is in a private or reserved network", "loopback", AllowedNetworksVar)
		var re *RefusedError
		if !errors.As(err, &re) {
			t.Errorf("Verify(%s) error %v does not wrap a *RefusedError", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the receiver got %d requests despite the guard", n)
	}
}

// fakeDNS returns a resolver that answers every A query with addr and
// every other query with no records.
func fakeDNS(t *testing.T, addr netip.Addr) *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			client, server := net.Pipe()
			go serveDNS(t, server, addr)
			return client, nil
		},
	}
}

// serveDNS answers one query on conn, framed as over TCP.
func serveDNS(t *testing.T, conn net.Conn, addr netip.Addr) {
	defer conn.Close()
	var n [2]byte
	if _, err := io.ReadFull(conn, n[:]); err != nil {
		return
	}
	q := make([]byte, binary.BigEndian.Uint16(n[:]))
	if _, err := io.ReadFull(conn, q); err != nil {
		return
	}
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil {
		t.Errorf("fake DNS: %v", err)
		return
	}
	question, err := p.Question()
	if err != nil {
		t.Errorf("fake DNS: %v", err)
		return
	}
	b := dnsmessage.NewBuilder(make([]byte, 2, 514), dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true})
	b.EnableCompression()
	b.StartQuestions()
	b.Question(question)
	b.StartAnswers()
	if question.Type == dnsmessage.TypeA {
		b.AResource(dnsmessage.ResourceHeader{Name: question.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: addr.As4()})
	}
	msg, err := b.Finish()
	if err != nil {
		t.Errorf("fake DNS: %v", err)
		return
	}
	binary.BigEndian.PutUint16(msg, uint16(len(msg)-2))
	conn.Write(msg)
}

// TestGuardAfterResolution checks that the guard looks at the address a
// host name resolves to: example.com, which the test server's certificate
// is valid for, resolves to 127.0.0.1 here.
func TestGuardAfterResolution(t *testing.T) {
	t.Parallel()
	srv, hits := newReceiver(t, echoChallenge(t, "token", nil))
	resolver := fakeDNS(t, netip.MustParseAddr("127.0.0.1"))
	u := "https://example.com:" + strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port) + "/hook"

	refusing := clientFor(t, srv, Options{Resolver: resolver})
	err := refusing.Verify(t.Context(), u, "token")
	wantErr(t, err, "webhook endpoint example.com:", "address 127.0.0.1 is in a private or reserved network")
	if n := hits.Load(); n != 0 {
		t.Fatalf("the receiver got %d requests despite the guard", n)
	}

	allowing := clientFor(t, srv, Options{Resolver: resolver, Allowed: loopback})
	if err := allowing.Verify(t.Context(), u, "token"); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyDNSFailure(t *testing.T) {
	t.Parallel()
	resolver := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			return nil, errors.New("no DNS server in this test")
		},
	}
	c := NewClient(Options{Resolver: resolver})
	t.Cleanup(c.Close)
	err := c.Verify(t.Context(), "https://receiver.example.org/hook", "token")
	wantErr(t, err, "host name receiver.example.org could not be looked up")
}

func TestVerifyConnectionRefused(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := NewClient(Options{Allowed: loopback})
	t.Cleanup(c.Close)
	err = c.Verify(t.Context(), "https://"+addr+"/hook", "token")
	wantErr(t, err, "refused the connection")
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	good := []struct{ in, want string }{
		{"https://example.com/hooks", "https://example.com/hooks"},
		{"  https://example.com/hooks?a=1 ", "https://example.com/hooks?a=1"},
		{"HTTPS://Example.COM:443", "https://example.com/"},
		{"https://example.com:8443/x", "https://example.com:8443/x"},
		{"https://[2001:db8::1]/x", "https://[2001:db8::1]/x"},
		{"https://example.com/a%2Fb", "https://example.com/a%2Fb"},
	}
	for _, tt := range good {
		got, err := CheckURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CheckURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	bad := []struct{ in, want string }{
		{"", "empty"},
		{"http://example.com/hooks", "webhook endpoints must use https"},
		{"ftp://example.com/", `scheme "ftp"`},
		{"example.com/hooks", "not absolute"},
		{"/hooks", "not absolute"},
		{"https:///hooks", "no host"},
		{"https:example.com", "no host"},
		{"https://:443/", "no host"},
		{"https://user:pass@example.com/", "user name or password"},
		{"https://user@example.com/", "user name or password"},
		{"https://example.com/#frag", "fragment"},
		{"https://example.com/#", "fragment"},
		{"https://example.com:0/", "invalid port"},
		{"https://example.com:70000/", "invalid port"},
		{"https://exa mple.com/", "not a valid URL"},
		{"https://example.com/" + strings.Repeat("a", 2048), "at most 2048"},
	}
	for _, tt := range bad {
		_, err := CheckURL(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckURL(%q) error = %v, want one mentioning %q", tt.in, err, tt.want)
		}
	}
	exact := "https://example.com/" + strings.Repeat("a", 2048-len("https://example.com/"))
	if _, err := CheckURL(exact); err != nil {
		t.Errorf("CheckURL of a 2048-byte URL: %v", err)
	}
}

func TestPost(t *testing.T) {
	t.Parallel()
	body := []byte(`{"Events":[{"EventType":"ticket_creation"}]}`)
	big := bytes.Repeat([]byte("0123456789abcdef"), 640) // 10 KiB
	type seenRequest struct {
		method string
		header http.Header
		body   []byte
	}
	seen := make(chan seenRequest, 1)
	srv, _ := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen <- seenRequest{r.Method, r.Header, b}
		w.Write(big)
	})
	c := clientFor(t, srv, Options{Allowed: loopback, UserAgent: "Test/2"})
	h := http.Header{"Webhook-Id": {"msg_1"}, "Content-Type": {"text/plain"}}
	res := c.Post(t.Context(), srv.URL+"/hook", h, body)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.StatusCode != http.StatusOK {
		t.Errorf("StatusCode = %d, want 200", res.StatusCode)
	}
	if res.Body != string(big[:4096]) {
		t.Errorf("Body has %d bytes, want the first 4096 of the answer", len(res.Body))
	}
	if res.Duration <= 0 {
		t.Errorf("Duration = %v, want > 0", res.Duration)
	}
	if res.RetryAfter != 0 {
		t.Errorf("RetryAfter = %v, want 0", res.RetryAfter)
	}
	r := <-seen
	if r.method != http.MethodPost {
		t.Errorf("method = %s, want POST", r.method)
	}
	if !bytes.Equal(r.body, body) {
		t.Errorf("receiver got body %q, want %q", r.body, body)
	}
	for k, want := range map[string]string{"Content-Type": "application/json", "User-Agent": "Test/2", "Webhook-Id": "msg_1"} {
		if got := r.header.Values(k); len(got) != 1 || got[0] != want {
			t.Errorf("receiver got %s %q, want %q", k, got, want)
		}
	}
	if got := h.Get("Content-Type"); got != "text/plain" {
		t.Errorf("Post changed the caller's header: Content-Type = %q", got)
	}
}

func TestPostFailThenSucceed(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	srv, _ := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "database down", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "thanks")
	})
	c := clientFor(t, srv, Options{Allowed: loopback})
	res := c.Post(t.Context(), srv.URL, nil, []byte(`{}`))
	if res.StatusCode != 500 || res.Body != "database down\n" {
		t.Errorf("first attempt: status %d, body %q", res.StatusCode, res.Body)
	}
	wantErr(t, res.Err, "answered 500 Internal Server Error")
	res = c.Post(t.Context(), srv.URL, nil, []byte(`{}`))
	if res.Err != nil || res.StatusCode != 200 || res.Body != "thanks" {
		t.Errorf("second attempt: %+v", res)
	}
}

func TestPostRetryAfter(t *testing.T) {
	t.Parallel()
	for _, code := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests} {
		srv, _ := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(code)
		})
		c := clientFor(t, srv, Options{Allowed: loopback})
		res := c.Post(t.Context(), srv.URL, nil, []byte(`{}`))
		if res.StatusCode != code || res.RetryAfter != 7*time.Second {
			t.Errorf("got status %d, RetryAfter %v; want %d, 7s", res.StatusCode, res.RetryAfter, code)
		}
		wantErr(t, res.Err, "answered "+strconv.Itoa(code))
	}
}

func TestPostRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var followed atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/other", http.StatusFound)
	})
	mux.HandleFunc("/other", func(w http.ResponseWriter, r *http.Request) {
		followed.Add(1)
	})
	srv, _ := newReceiver(t, mux.ServeHTTP)
	c := clientFor(t, srv, Options{Allowed: loopback})
	res := c.Post(t.Context(), srv.URL+"/hook", nil, []byte(`{}`))
	if res.StatusCode != http.StatusFound {
		t.Errorf("StatusCode = %d, want 302", res.StatusCode)
	}
	wantErr(t, res.Err, "answered 302 Found; redirects are not followed")
	if n := followed.Load(); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
}

func TestPostTimeout(t *testing.T) {
	t.Parallel()
	srv := hangingReceiver(t)
	c := clientFor(t, srv, Options{Allowed: loopback, Timeout: 300 * time.Millisecond})
	res := c.Post(t.Context(), srv.URL, nil, []byte(`{}`))
	wantErr(t, res.Err, "did not answer within 300ms")
	if res.StatusCode != 0 {
		t.Errorf("StatusCode = %d, want 0", res.StatusCode)
	}
	if res.Duration < 300*time.Millisecond || res.Duration > 1500*time.Millisecond {
		t.Errorf("Duration = %v, want about 300ms", res.Duration)
	}
}

// TestPostSlowBody checks that the timeout also covers reading the answer,
// and that a 2xx status still counts as delivered when the body is late.
func TestPostSlowBody(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, _ := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "accepted")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	c := clientFor(t, srv, Options{Allowed: loopback, Timeout: 300 * time.Millisecond})
	res := c.Post(t.Context(), srv.URL, nil, []byte(`{}`))
	if res.Err != nil || res.StatusCode != 200 || res.Body != "accepted" {
		t.Errorf("got %+v, want a success with the body read so far", res)
	}
	if res.Duration > 1500*time.Millisecond {
		t.Errorf("Duration = %v, want about 300ms", res.Duration)
	}
}

func TestPostGuard(t *testing.T) {
	t.Parallel()
	srv, hits := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {})
	c := clientFor(t, srv, Options{})
	res := c.Post(t.Context(), srv.URL, nil, []byte(`{}`))
	wantErr(t, res.Err, "address 127.0.0.1 is in a private or reserved network")
	if res.StatusCode != 0 || hits.Load() != 0 {
		t.Errorf("got status %d and %d requests at the receiver, want none", res.StatusCode, hits.Load())
	}
}

func TestPostReusesConnections(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("x"), 10<<10)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write(big)
	}))
	var conns atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c := clientFor(t, srv, Options{Allowed: loopback})
	for i := range 20 {
		if res := c.Post(t.Context(), srv.URL, nil, []byte(`{}`)); res.Err != nil {
			t.Fatalf("post %d: %v", i, res.Err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("20 sequential posts opened %d connections, want 1", n)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"7", 7 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", 0, true},
		{"-5", 0, true},
		{"Sat, 01 Mar 2025 12:01:30 GMT", 90 * time.Second, true},
		{"Saturday, 01-Mar-25 12:00:10 GMT", 10 * time.Second, true},
		{"Sat Mar  1 12:00:05 2025", 5 * time.Second, true},
		{"Sat, 01 Mar 2025 11:00:00 GMT", 0, true},
		{"", 0, false},
		{"soon", 0, false},
		{"7s", 0, false},
		{"1.5", 0, false},
		{"2025-03-01T12:01:30Z", 0, false},
		{"99999999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
	if got, ok := ParseRetryAfter("9223372036", now); !ok || got <= 0 {
		t.Errorf("ParseRetryAfter of a huge delay = %v, %v; want a large positive delay", got, ok)
	}
}

// TestTransport checks the settings that the guard and certificate
// verification depend on.
func TestTransport(t *testing.T) {
	t.Parallel()
	c := NewClient(Options{})
	defer c.Close()
	tr := c.transport
	if tr.Proxy != nil {
		t.Error("the transport uses a proxy; the guard would check the proxy's address instead of the receiver's")
	}
	if tr.TLSClientConfig.InsecureSkipVerify || tr.TLSClientConfig.MinVersion < tls.VersionTLS12 {
		t.Errorf("TLS config %+v does not verify certificates with TLS 1.2 or later", tr.TLSClientConfig)
	}
	if !tr.ForceAttemptHTTP2 || tr.MaxIdleConnsPerHost != DefaultMaxIdleConnsPerHost {
		t.Errorf("ForceAttemptHTTP2 = %v, MaxIdleConnsPerHost = %d", tr.ForceAttemptHTTP2, tr.MaxIdleConnsPerHost)
	}
	if c.timeout != DefaultTimeout || c.userAgent != DefaultUserAgent {
		t.Errorf("timeout %v and user agent %q are not the defaults", c.timeout, c.userAgent)
	}
}

// Package egress talks to webhook receivers: it runs the verification
// handshake, sends notifications signed as the Standard Webhooks
// specification describes, and refuses to connect to private or reserved
// addresses unless an operator allows them.
//
// Every request goes over HTTPS with certificate verification, never through
// a proxy, and never follows redirects. The address guard runs when a
// connection is made, after DNS resolution, so it also covers host names
// that resolve to internal addresses.
package egress

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults for Options.
const (
	DefaultTimeout             = 10 * time.Second
	DefaultUserAgent           = "Openboards-Webhooks/1.0"
	DefaultMaxIdleConnsPerHost = 64
)

// MaxURLLength is the longest endpoint URL CheckURL accepts, in bytes.
const MaxURLLength = 2048

const (
	// maxBody is how much of a response body is kept.
	maxBody = 4 << 10
	// maxDiscard is how much more of a response body is read and thrown
	// away so that the connection can carry the next request. A longer
	// body closes the connection instead.
	maxDiscard = 64 << 10
	// maxShownBody is how much of an unexpected verification answer an
	// error message quotes.
	maxShownBody = 100
)

// Options configure a Client. The zero value is ready to use.
type Options struct {
	// Allowed lists the networks exempt from the address guard, as read
	// by ParseAllowed from OPENBOARDS_WEBHOOK_ALLOWED_NETWORKS.
	Allowed []netip.Prefix
	// RootCAs are the certificate authorities trusted for receivers'
	// certificates. Nil means the system's, which honours SSL_CERT_FILE
	// and SSL_CERT_DIR.
	RootCAs *x509.CertPool
	// Timeout limits each request as a whole, from DNS resolution to
	// reading the response body. Zero or less means DefaultTimeout.
	Timeout time.Duration
	// UserAgent is sent with every request. Empty means DefaultUserAgent.
	UserAgent string
	// MaxIdleConnsPerHost is how many idle connections to one receiver
	// are kept for reuse. Zero or less means DefaultMaxIdleConnsPerHost.
	MaxIdleConnsPerHost int
	// Resolver looks up receivers' host names. Nil means
	// net.DefaultResolver.
	Resolver *net.Resolver
}

// A Client sends requests to webhook receivers. It keeps connections open
// for reuse and is safe for concurrent use by multiple goroutines.
type Client struct {
	http      *http.Client
	transport *http.Transport
	timeout   time.Duration
	userAgent string
}

// NewClient returns a Client configured by o.
func NewClient(o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.MaxIdleConnsPerHost <= 0 {
		o.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	}
	guard := Guard{Allowed: o.Allowed}
	dialer := &net.Dialer{
		Resolver: o.Resolver,
		Control:  guard.control,
	}
	t := &http.Transport{
		// No proxy: the guard must see the receiver's own address.
		Proxy:       nil,
		DialContext: dialer.DialContext,
		TLSClientConfig: &tls.Config{
			RootCAs:    o.RootCAs,
			MinVersion: tls.VersionTLS12,
		},
		ForceAttemptHTTP2:      true,
		MaxIdleConnsPerHost:    o.MaxIdleConnsPerHost,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &Client{
		http: &http.Client{
			Transport: t,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		transport: t,
		timeout:   o.Timeout,
		userAgent: o.UserAgent,
	}
}

// Close closes the connections the client keeps open for reuse. The client
// remains usable.
func (c *Client) Close() {
	c.transport.CloseIdleConnections()
}

// CheckURL checks that raw can be used as a webhook endpoint and returns it
// normalised: scheme and host in lower case, without the default port 443,
// and with the path "/" when it had none. The URL must be absolute, use
// https, name a host, carry no user name or password and no fragment, and be
// at most MaxURLLength bytes long.
func CheckURL(raw string) (string, error) {
	u, err := parseURL(raw)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

func parseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("endpoint URL is empty")
	}
	if len(raw) > MaxURLLength {
		return nil, fmt.Errorf("endpoint URL is %d bytes long; at most %d are allowed", len(raw), MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("endpoint URL %q is not a valid URL: %v", raw, err)
	}
	switch {
	case u.Scheme == "":
		return nil, fmt.Errorf("endpoint URL %q is not absolute; it must start with https://", raw)
	case u.Scheme == "http":
		return nil, fmt.Errorf("endpoint URL %q uses http; webhook endpoints must use https", raw)
	case u.Scheme != "https":
		return nil, fmt.Errorf("endpoint URL %q uses the scheme %q; webhook endpoints must use https", raw, u.Scheme)
	case u.Opaque != "" || u.Hostname() == "":
		return nil, fmt.Errorf("endpoint URL %q has no host name", raw)
	case u.User != nil:
		return nil, fmt.Errorf("endpoint URL %q contains a user name or password, which is not supported", raw)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, fmt.Errorf("endpoint URL %q contains a fragment (the part after #), which is not supported", raw)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("endpoint URL %q has an invalid port %q", raw, p)
		}
		if n == 443 {
			u.Host = strings.TrimSuffix(u.Host, ":443")
		}
	}
	if !strings.Contains(u.Host, "%") {
		// A zone names a network interface, whose name may be
		// case-sensitive; anything else is a host name or an address.
		u.Host = strings.ToLower(u.Host)
	}
	if u.Path == "" && u.RawPath == "" {
		u.Path = "/"
	}
	if s := u.String(); len(s) > MaxURLLength {
		return nil, fmt.Errorf("endpoint URL is %d bytes long; at most %d are allowed", len(s), MaxURLLength)
	}
	return u, nil
}

// Verify runs the verification handshake with the endpoint at rawURL: it
// sends GET rawURL?challenge=<random number>&verifyToken=<verifyToken>,
// using & instead of ? when rawURL already has a query, and passes when the
// endpoint answers with a 2xx status and a body that, once surrounding
// white space is trimmed, is the challenge. Otherwise the error says what
// went wrong, in terms meant for whoever runs the endpoint.
func (c *Client) Verify(ctx context.Context, rawURL, verifyToken string) error {
	u, err := parseURL(rawURL)
	if err != nil {
		return err
	}
	challenge := newChallenge()
	q := "challenge=" + challenge + "&verifyToken=" + url.QueryEscape(verifyToken)
	if u.RawQuery == "" {
		u.RawQuery = q
	} else {
		u.RawQuery += "&" + q
	}

	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errAttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("cannot build the verification request: %w", err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "text/plain, */*")
	resp, err := c.http.Do(req)
	if err != nil {
		return c.describe(ctx, u.Host, err)
	}
	body, err := readBody(resp.Body)
	if err := statusError(u.Host, resp); err != nil {
		return err
	}
	if err != nil {
		return c.describe(ctx, u.Host, err)
	}
	got := strings.TrimSpace(string(body))
	if got == challenge {
		return nil
	}
	if got == "" {
		return &Error{Host: u.Host, msg: "answered with an empty body instead of the challenge"}
	}
	shown := got
	note := ""
	if len(shown) > maxShownBody {
		shown = shown[:maxShownBody]
		note = fmt.Sprintf(" (first %d bytes)", maxShownBody)
	}
	return &Error{Host: u.Host, msg: fmt.Sprintf("answered with a body that is not the challenge: got %q%s", shown, note)}
}

// newChallenge returns a random unsigned 32-bit number in decimal.
func newChallenge() string {
	var b [4]byte
	rand.Read(b[:]) // Read never returns an error and always fills b.
	return strconv.FormatUint(uint64(binary.BigEndian.Uint32(b[:])), 10)
}

// Result is the outcome of one notification attempt.
type Result struct {
	// StatusCode is the status of the endpoint's answer, 0 when there
	// was none.
	StatusCode int
	// Body holds the first 4 KiB of the answer's body, byte for byte.
	Body string
	// Duration is how long the attempt took.
	Duration time.Duration
	// Err is nil when the endpoint answered with a 2xx status and says
	// what went wrong otherwise.
	Err error
	// RetryAfter is the delay the endpoint asked for with a Retry-After
	// header in a non-2xx answer, 0 when it asked for none.
	RetryAfter time.Duration
}

// Post sends one notification: a POST of body to rawURL with the given
// header, to which it adds Content-Type "application/json" and the client's
// User-Agent, replacing any the header has. The attempt succeeds when the
// endpoint answers with a 2xx status; redirects are not followed and count
// as failures. The client's timeout limits the whole attempt, including
// reading the answer.
func (c *Client) Post(ctx context.Context, rawURL string, header http.Header, body []byte) Result {
	start := time.Now()
	r := c.post(ctx, rawURL, header, body)
	r.Duration = time.Since(start)
	return r
}

func (c *Client) post(ctx context.Context, rawURL string, header http.Header, body []byte) Result {
	u, err := parseURL(rawURL)
	if err != nil {
		return Result{Err: err}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errAttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return Result{Err: fmt.Errorf("cannot build the notification request: %w", err)}
	}
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return Result{Err: c.describe(ctx, u.Host, err)}
	}
	// Once the status is known, a failure to read the body changes
	// nothing: a 2xx answer means the notification was delivered.
	b, _ := readBody(resp.Body)
	r := Result{StatusCode: resp.StatusCode, Body: string(b)}
	if r.Err = statusError(u.Host, resp); r.Err != nil {
		r.RetryAfter, _ = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return r
}

// readBody reads and returns the first maxBody bytes of body, reads up to
// maxDiscard more so the connection can be reused, and closes it. The error
// is the one met while reading the kept part, if any.
func readBody(body io.ReadCloser) ([]byte, error) {
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, maxBody))
	if err == nil {
		io.CopyN(io.Discard, body, maxDiscard)
	}
	return b, err
}

// statusError returns nil when resp has a 2xx status and an error
// describing the answer otherwise.
func statusError(host string, resp *http.Response) error {
	code := resp.StatusCode
	if code >= 200 && code <= 299 {
		return nil
	}
	status := strconv.Itoa(code)
	if text := http.StatusText(code); text != "" {
		status += " " + text
	}
	if code >= 300 && code <= 399 {
		msg := "answered " + status + "; redirects are not followed"
		if loc := resp.Header.Get("Location"); loc != "" {
			msg += fmt.Sprintf(" (it pointed to %q; configure that URL instead if it is the right one)", loc)
		}
		return &Error{Host: host, StatusCode: code, msg: msg}
	}
	return &Error{Host: host, StatusCode: code, msg: "answered " + status}
}

// ParseRetryAfter reads the value of a Retry-After header, either a number
// of seconds or an HTTP date, and returns the delay it asks for counted from
// now. A delay in the past, or a negative number of seconds, yields 0. The
// result ok is false when v is empty or neither form.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case n <= 0:
			return 0, true
		case n > int64(math.MaxInt64/time.Second):
			return math.MaxInt64, true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// Error is the error returned when a webhook endpoint could not be reached
// or gave an unacceptable answer.
type Error struct {
	// Host is the endpoint's host, with the port if the URL names one.
	Host string
	// StatusCode is the status the endpoint answered with, 0 when it
	// did not answer.
	StatusCode int
	msg        string
	err        error
}

func (e *Error) Error() string {
	return "webhook endpoint " + e.Host + " " + e.msg
}

// Unwrap returns the underlying error, if any: for instance a
// *RefusedError, a *net.DNSError or a certificate verification error.
func (e *Error) Unwrap() error { return e.err }

// errAttemptTimeout is the cause of a request context that ran out of the
// client's time.
var errAttemptTimeout = errors.New("webhook request timed out")

// describe turns an error from sending a request to host, or from reading
// the answer, into an *Error that says what went wrong.
func (c *Client) describe(ctx context.Context, host string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	e := &Error{Host: host, err: err}
	var (
		refused   *RefusedError
		dnsErr    *net.DNSError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		verifyErr *tls.CertificateVerificationError
		record    tls.RecordHeaderError
		alert     tls.AlertError
		netErr    net.Error
	)
	switch {
	case context.Cause(ctx) == errAttemptTimeout:
		e.msg = "did not answer within " + c.timeout.String()
	case ctx.Err() != nil:
		e.msg = "was not reached because the request was abandoned: " + ctx.Err().Error()
	case errors.As(err, &refused):
		e.msg = "cannot be reached: " + refused.Error()
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			e.msg = fmt.Sprintf("cannot be reached: the host name %s does not exist (DNS lookup failed)", dnsErr.Name)
		} else {
			e.msg = fmt.Sprintf("cannot be reached: the host name %s could not be looked up: %s", dnsErr.Name, dnsErr.Err)
		}
	case errors.As(err, &unknownCA):
		e.msg = "presented a TLS certificate that is not trusted: it is self-signed or issued by an unknown certificate authority; self-signed certificates are not supported"
	case errors.As(err, &hostErr):
		e.msg = "presented a TLS certificate that is not valid for this host name: " + hostErr.Error()
	case errors.As(err, &invalid):
		e.msg = "presented an invalid TLS certificate: " + invalid.Error()
	case errors.As(err, &verifyErr):
		e.msg = "presented a TLS certificate that could not be verified: " + verifyErr.Err.Error()
	case errors.Is(err, http.ErrSchemeMismatch):
		e.msg = "answered with plain HTTP instead of HTTPS; is the port an HTTPS port?"
	case errors.As(err, &record):
		e.msg = "did not answer with TLS; is the port an HTTPS port?"
	case errors.As(err, &alert):
		e.msg = "rejected the TLS handshake: " + alert.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		e.msg = "refused the connection; is the server running and the port right?"
	case errors.Is(err, syscall.ECONNRESET):
		e.msg = "reset the connection"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		e.msg = "cannot be reached: no network route to it"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		e.msg = "closed the connection without a complete answer"
	case errors.As(err, &netErr) && netErr.Timeout():
		e.msg = "did not answer within " + c.timeout.String()
	default:
		e.msg = "cannot be reached: " + err.Error()
	}
	return e
}

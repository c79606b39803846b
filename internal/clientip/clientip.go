// Package clientip finds the address of the client behind a request.
//
// The address is the TCP peer's, unless that peer is a trusted proxy: then
// X-Forwarded-For is read from the right, each proxy having appended the
// address it saw, and the first address that is not itself a trusted proxy
// is the client. Entries to the left of it were written by the client and
// are never believed. With no trusted proxies (the default) the header is
// ignored, so a client cannot choose its own address.
package clientip

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParsePrefixes parses a comma-separated list of CIDRs ("10.0.0.0/8") or
// single addresses ("192.0.2.7"); the empty string is no prefix.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("%q is neither a CIDR nor an IP address", f)
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR nor an IP address", f)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Resolver finds client addresses, trusting X-Forwarded-For only from the
// proxies it was given. The zero value and nil trust nobody.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver that trusts the proxies in trusted.
func New(trusted []netip.Prefix) *Resolver {
	return &Resolver{trusted: trusted}
}

// Trusted reports whether a is one of the trusted proxies.
func (r *Resolver) Trusted(a netip.Addr) bool {
	if r == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP returns the client address of req: the peer's (RemoteAddr), or,
// when the peer is a trusted proxy, the rightmost X-Forwarded-For entry
// that is not a trusted proxy. Should every entry be trusted, or an entry
// not parse, the last address walked is the answer. The zero Addr means
// RemoteAddr did not parse (a request that did not come from the network).
func (r *Resolver) ClientIP(req *http.Request) netip.Addr {
	ip := PeerIP(req)
	if !r.Trusted(ip) {
		return ip
	}
	hops := req.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		entries := strings.Split(hops[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			a, ok := parseHop(entries[j])
			if !ok {
				return ip
			}
			ip = a
			if !r.Trusted(a) {
				return a
			}
		}
	}
	return ip
}

// parseHop parses one X-Forwarded-For entry: an address, possibly with a
// port ("192.0.2.1:4711", "[2001:db8::1]:4711").
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}

// PeerIP returns the address of the request's TCP peer, from RemoteAddr.
func PeerIP(req *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

type ctxKey struct{}

// Handler returns next with the client address of every request, as
// ClientIP finds it, stored in the request's context for FromRequest.
func (r *Resolver) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ip := r.ClientIP(req)
		next.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), ctxKey{}, ip)))
	})
}

// FromRequest returns the client address that Handler stored for req, or,
// on a request that did not pass through Handler, its peer's address
// (X-Forwarded-For is then not believed).
func FromRequest(req *http.Request) netip.Addr {
	if ip, ok := req.Context().Value(ctxKey{}).(netip.Addr); ok {
		return ip
	}
	return PeerIP(req)
}

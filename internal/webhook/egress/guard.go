package egress

import (
	"fmt"
	"net/netip"
	"strings"
	"syscall"
)

// AllowedNetworksVar is the environment variable that lists the networks
// exempt from the guard. The guard names it in its refusals so that an
// operator knows how to let a private receiver through.
const AllowedNetworksVar = "OPENBOARDS_WEBHOOK_ALLOWED_NETWORKS"

// Guard decides which addresses webhook requests may connect to. It refuses
// loopback, private, link-local, multicast and other special-purpose
// addresses, including IPv4 addresses hidden inside IPv6 ones, unless they
// are inside one of the Allowed networks.
//
// A Client applies its Guard to every address it actually connects to, after
// DNS resolution, so a host name that resolves (or later re-resolves) to an
// internal address is refused too.
type Guard struct {
	Allowed []netip.Prefix
}

// RefusedError is the error Guard.Check returns for an address it refuses.
type RefusedError struct {
	// Addr is the address that was refused.
	Addr netip.Addr
	// Embedded is the IPv4 address carried inside Addr when Addr is an
	// IPv6 form of it (IPv4-mapped, NAT64, 6to4 and so on) and the
	// embedded address is the reason for the refusal; otherwise it is
	// the zero Addr.
	Embedded netip.Addr
	// Network is the refused network that contains the address, and
	// Kind says what that network is for, such as "loopback".
	Network netip.Prefix
	Kind    string
}

func (e *RefusedError) Error() string {
	if !e.Addr.IsValid() {
		return "not a valid IP address; refusing to connect"
	}
	where := fmt.Sprintf("(%s: %s)", e.Kind, e.Network)
	if e.Embedded.IsValid() {
		return fmt.Sprintf("address %s carries the IPv4 address %s, which is in a private or reserved network %s; allow it with %s",
			e.Addr, e.Embedded, where, AllowedNetworksVar)
	}
	return fmt.Sprintf("address %s is in a private or reserved network %s; allow it with %s",
		e.Addr, where, AllowedNetworksVar)
}

// special is one network the guard refuses.
type special struct {
	prefix netip.Prefix
	kind   string
}

func mustSpecial(cidr, kind string) special {
	return special{netip.MustParsePrefix(cidr), kind}
}

// refused4 lists the IPv4 networks that are not publicly routable, after
// the IANA IPv4 Special-Purpose Address Registry. More specific entries come
// before the networks that contain them so the reported kind is precise.
var refused4 = []special{
	mustSpecial("0.0.0.0/8", "unspecified"),
	mustSpecial("10.0.0.0/8", "private"),
	mustSpecial("100.64.0.0/10", "carrier-grade NAT"),
	mustSpecial("127.0.0.0/8", "loopback"),
	mustSpecial("169.254.169.254/32", "cloud metadata"),
	mustSpecial("169.254.0.0/16", "link-local"),
	mustSpecial("172.16.0.0/12", "private"),
	mustSpecial("192.0.0.0/24", "IETF protocol assignments"),
	mustSpecial("192.0.2.0/24", "documentation"),
	mustSpecial("192.88.99.0/24", "6to4 relay anycast"),
	mustSpecial("192.168.0.0/16", "private"),
	mustSpecial("198.18.0.0/15", "benchmarking"),
	mustSpecial("198.51.100.0/24", "documentation"),
	mustSpecial("203.0.113.0/24", "documentation"),
	mustSpecial("224.0.0.0/4", "multicast"),
	mustSpecial("255.255.255.255/32", "broadcast"),
	mustSpecial("240.0.0.0/4", "reserved"),
}

// refused6 lists the IPv6 networks that are not publicly routable. The
// ranges that embed an IPv4 address are handled separately by embeddedIPv4.
var refused6 = []special{
	mustSpecial("::/128", "unspecified"),
	mustSpecial("::1/128", "loopback"),
	mustSpecial("100::/64", "discard-only"),
	mustSpecial("2001:2::/48", "benchmarking"),
	mustSpecial("2001:db8::/32", "documentation"),
	mustSpecial("3fff::/20", "documentation"),
	mustSpecial("fd00:ec2::254/128", "cloud metadata"),
	mustSpecial("fc00::/7", "unique local"),
	mustSpecial("fe80::/10", "link-local"),
	mustSpecial("fec0::/10", "site-local"),
	mustSpecial("ff00::/8", "multicast"),
}

// Networks that carry an IPv4 address inside an IPv6 one.
var (
	compatible = netip.MustParsePrefix("::/96")        // IPv4-compatible, ::a.b.c.d
	nat64      = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64 prefix
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour  = netip.MustParsePrefix("2002::/16")
	teredo     = netip.MustParsePrefix("2001::/32")
)

// Check returns nil when a webhook request may connect to ip, and a
// *RefusedError saying why not otherwise.
func (g Guard) Check(ip netip.Addr) error {
	if !ip.IsValid() {
		return &RefusedError{}
	}
	// Prefix.Contains never matches an address with a zone, so drop it:
	// the zone only picks the interface of a link-local address.
	ip = ip.WithZone("")
	if ip.Is4In6() {
		// An IPv4-mapped address reaches the IPv4 address it maps.
		v4 := ip.Unmap()
		if g.allowed(v4) || g.allowed(ip) {
			return nil
		}
		return check4(v4, ip)
	}
	if g.allowed(ip) {
		return nil
	}
	if ip.Is4() {
		return check4(ip, netip.Addr{})
	}
	for _, s := range refused6 {
		if s.prefix.Contains(ip) {
			return &RefusedError{Addr: ip, Network: s.prefix, Kind: s.kind}
		}
	}
	if v4, ok := embeddedIPv4(ip); ok {
		if g.allowed(v4) {
			return nil
		}
		return check4(v4, ip)
	}
	return nil
}

// check4 checks the IPv4 address v4, which was carried inside the IPv6
// address outer unless outer is the zero Addr.
func check4(v4, outer netip.Addr) error {
	for _, s := range refused4 {
		if s.prefix.Contains(v4) {
			if outer.IsValid() {
				return &RefusedError{Addr: outer, Embedded: v4, Network: s.prefix, Kind: s.kind}
			}
			return &RefusedError{Addr: v4, Network: s.prefix, Kind: s.kind}
		}
	}
	return nil
}

func (g Guard) allowed(ip netip.Addr) bool {
	for _, p := range g.Allowed {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// embeddedIPv4 returns the IPv4 address that packets to the IPv6 address ip
// end up at when ip is one of the forms that carry an IPv4 address, other
// than IPv4-mapped addresses, which Check handles itself.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	b := ip.As16()
	switch {
	case compatible.Contains(ip), nat64.Contains(ip), nat64Local.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(ip):
		// 2002:AABB:CCDD::/48 is the 6to4 network of AA.BB.CC.DD.
		return netip.AddrFrom4([4]byte(b[2:6])), true
	case teredo.Contains(ip):
		// A Teredo address ends with the client's public IPv4
		// address with every bit inverted.
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), true
	}
	return netip.Addr{}, false
}

// control is a net.Dialer Control function that applies the guard to the
// address about to be connected to.
func (g Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("cannot check the address %q before connecting: %w", address, err)
	}
	return g.Check(ap.Addr())
}

// ParseAllowed reads a comma-separated list of networks in CIDR notation,
// such as "10.0.0.0/8, fd00::/8", as found in OPENBOARDS_WEBHOOK_ALLOWED_NETWORKS.
// An entry without a prefix length, such as "192.168.1.10", stands for
// that address alone. Spaces around entries and empty entries are ignored;
// an empty list yields nil.
func ParseAllowed(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		p, err := parseNetwork(entry)
		if err != nil {
			return nil, fmt.Errorf("allowed network %q is neither a network in CIDR notation (such as 10.0.0.0/8) nor an IP address", entry)
		}
		out = append(out, p)
	}
	return out, nil
}

func parseNetwork(s string) (netip.Prefix, error) {
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, err
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("address %s has a zone", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	// The guard checks IPv4-mapped addresses in their IPv4 form, so an
	// IPv4-mapped network is stored as the IPv4 network it maps.
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

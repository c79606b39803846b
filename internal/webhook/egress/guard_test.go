package egress

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestGuardRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		kind string
		// embedded is the IPv4 address the refusal must name when
		// addr carries one.
		embedded string
	}{
		{addr: "127.0.0.1", kind: "loopback"},
		{addr: "127.255.255.254", kind: "loopback"},
		{addr: "::1", kind: "loopback"},
		{addr: "0.0.0.0", kind: "unspecified"},
		{addr: "0.1.2.3", kind: "unspecified"},
		{addr: "::", kind: "unspecified"},
		{addr: "10.0.0.1", kind: "private"},
		{addr: "10.255.255.255", kind: "private"},
		{addr: "172.16.0.1", kind: "private"},
		{addr: "172.31.255.255", kind: "private"},
		{addr: "192.168.1.1", kind: "private"},
		{addr: "fc00::1", kind: "unique local"},
		{addr: "fd12:3456::1", kind: "unique local"},
		{addr: "fd00:ec2::254", kind: "cloud metadata"},
		{addr: "169.254.169.254", kind: "cloud metadata"},
		{addr: "169.254.1.1", kind: "link-local"},
		{addr: "fe80::1", kind: "link-local"},
		{addr: "fe80::1%eth0", kind: "link-local"},
		{addr: "224.0.0.1", kind: "multicast"},
		{addr: "239.255.255.250", kind: "multicast"},
		{addr: "ff02::1", kind: "multicast"},
		{addr: "255.255.255.255", kind: "broadcast"},
		{addr: "100.64.0.1", kind: "carrier-grade NAT"},
		{addr: "100.127.255.254", kind: "carrier-grade NAT"},
		{addr: "240.0.0.1", kind: "reserved"},
		{addr: "198.18.0.1", kind: "benchmarking"},
		{addr: "198.19.255.255", kind: "benchmarking"},
		{addr: "192.0.2.1", kind: "documentation"},
		{addr: "198.51.100.1", kind: "documentation"},
		{addr: "203.0.113.1", kind: "documentation"},
		{addr: "2001:db8::1", kind: "documentation"},
		{addr: "fec0::1", kind: "site-local"},
		{addr: "100::1", kind: "discard-only"},
		// The forms that carry an IPv4 address are checked as that
		// address, and the refusal names it.
		{addr: "::ffff:127.0.0.1", kind: "loopback", embedded: "127.0.0.1"},
		{addr: "::ffff:10.0.0.1", kind: "private", embedded: "10.0.0.1"},
		{addr: "::ffff:169.254.169.254", kind: "cloud metadata", embedded: "169.254.169.254"},
		{addr: "::127.0.0.1", kind: "loopback", embedded: "127.0.0.1"},
		{addr: "::10.0.0.1", kind: "private", embedded: "10.0.0.1"},
		{addr: "64:ff9b::7f00:1", kind: "loopback", embedded: "127.0.0.1"},
		{addr: "64:ff9b::a00:1", kind: "private", embedded: "10.0.0.1"},
		{addr: "64:ff9b::a9fe:a9fe", kind: "cloud metadata", embedded: "169.254.169.254"},
		{addr: "64:ff9b:1::c0a8:101", kind: "private", embedded: "192.168.1.1"},
		{addr: "2002:7f00:1::1", kind: "loopback", embedded: "127.0.0.1"},
		{addr: "2002:a9fe:a9fe::", kind: "cloud metadata", embedded: "169.254.169.254"},
		{addr: "2002:c0a8:101:5::1", kind: "private", embedded: "192.168.1.1"},
		{addr: "2001:0:4136:e378:8000:63bf:80ff:fffe", kind: "loopback", embedded: "127.0.0.1"},
	}
	var g Guard
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.addr)
			err := g.Check(ip)
			var re *RefusedError
			if !errors.As(err, &re) {
				t.Fatalf("Check(%s) = %v, want a *RefusedError", tt.addr, err)
			}
			if !strings.HasPrefix(re.Kind, tt.kind) {
				t.Errorf("Check(%s) kind = %q, want %q", tt.addr, re.Kind, tt.kind)
			}
			if want := tt.embedded; want != "" && re.Embedded.String() != want {
				t.Errorf("Check(%s) embedded = %v, want %s", tt.addr, re.Embedded, want)
			}
			msg := err.Error()
			for _, want := range []string{"private or reserved network", tt.kind, AllowedNetworksVar} {
				if !strings.Contains(msg, want) {
					t.Errorf("Check(%s) error %q does not mention %q", tt.addr, msg, want)
				}
			}
			if tt.embedded != "" && !strings.Contains(msg, tt.embedded) {
				t.Errorf("Check(%s) error %q does not name the IPv4 address %s", tt.addr, msg, tt.embedded)
			}
		})
	}
}

func TestGuardMessage(t *testing.T) {
	t.Parallel()
	err := Guard{}.Check(netip.MustParseAddr("127.0.0.1"))
	want := "address 127.0.0.1 is in a private or reserved network (loopback: 127.0.0.0/8); allow it with OPENBOARDS_WEBHOOK_ALLOWED_NETWORKS"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	if err := (Guard{}).Check(netip.Addr{}); err == nil {
		t.Fatal("the zero Addr was allowed")
	}
}

func TestGuardAllowsPublic(t *testing.T) {
	t.Parallel()
	var g Guard
	for _, s := range []string{
		"8.8.8.8",
		"1.1.1.1",
		"93.184.215.14",
		"172.32.0.1",    // just past 172.16.0.0/12
		"100.128.0.1",   // just past 100.64.0.0/10
		"169.255.0.1",   // just past 169.254.0.0/16
		"198.20.0.1",    // just past 198.18.0.0/15
		"223.255.255.1", // just before multicast
		"2001:4860:4860::8888",
		"2606:4700:4700::1111",
		"::ffff:8.8.8.8",
		"64:ff9b::808:808",
		"64:ff9b:1::808:808",
		"2002:808:808::1",
		"2001:0:4136:e378:8000:63bf:f7f7:f7f7", // Teredo for 8.8.8.8
	} {
		if err := g.Check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("Check(%s) = %v, want nil", s, err)
		}
	}
}

func TestGuardAllowed(t *testing.T) {
	t.Parallel()
	allowed, err := ParseAllowed("127.0.0.0/8, 10.1.0.0/16, fd00::/8, 169.254.169.254")
	if err != nil {
		t.Fatal(err)
	}
	g := Guard{Allowed: allowed}
	for _, s := range []string{
		"127.0.0.1",
		"::ffff:127.0.0.1",
		"::127.0.0.1",
		"64:ff9b::7f00:1",
		"2002:7f00:1::1",
		"10.1.2.3",
		"::ffff:10.1.2.3",
		"64:ff9b::a01:203",
		"fd00:ec2::254",
		"169.254.169.254",
	} {
		if err := g.Check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("Check(%s) = %v, want nil with %v allowed", s, err, allowed)
		}
	}
	for _, s := range []string{
		"10.2.0.1",        // outside 10.1.0.0/16
		"::ffff:10.2.0.1", // likewise
		"169.254.169.253", // only the one address is allowed
		"::1",             // 127.0.0.0/8 covers IPv4 loopback only
		"fc00::1",         // outside fd00::/8
		"192.168.0.1",
	} {
		if err := g.Check(netip.MustParseAddr(s)); err == nil {
			t.Errorf("Check(%s) = nil, want a refusal with %v allowed", s, allowed)
		}
	}
}

func TestParseAllowed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"10.0.0.0/8", []string{"10.0.0.0/8"}},
		{" 10.0.0.0/8 ,192.168.0.0/16,, fd00::/8 ", []string{"10.0.0.0/8", "192.168.0.0/16", "fd00::/8"}},
		{"192.168.1.10", []string{"192.168.1.10/32"}},
		{"fd00::1", []string{"fd00::1/128"}},
		{"10.1.2.3/8", []string{"10.0.0.0/8"}},
		{"::ffff:10.0.0.0/104", []string{"10.0.0.0/8"}},
	}
	for _, tt := range tests {
		got, err := ParseAllowed(tt.in)
		if err != nil {
			t.Errorf("ParseAllowed(%q): %v", tt.in, err)
			continue
		}
		var gotS []string
		for _, p := range got {
			gotS = append(gotS, p.String())
		}
		if !slices.Equal(gotS, tt.want) {
			t.Errorf("ParseAllowed(%q) = %v, want %v", tt.in, gotS, tt.want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0.0/8 192.168.0.0/16", "300.1.1.1", "fe80::1%eth0", "/8"} {
		_, err := ParseAllowed("127.0.0.0/8," + bad)
		if err == nil {
			t.Errorf("ParseAllowed(%q) succeeded", bad)
			continue
		}
		if !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("ParseAllowed(%q) error %q does not name the bad entry", bad, err)
		}
	}
}

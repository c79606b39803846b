package limit_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"openboards/internal/limit"
	"openboards/internal/openboards"
)

func TestCounter(t *testing.T) {
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	c := limit.NewCounter("chats opened", limit.Rule{Max: 3, Window: time.Hour}, 2, func() time.Time { return now })
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")
	for i := range 3 {
		if err := c.Take(a); err != nil {
			t.Fatalf("take %d: %v", i, err)
		}
	}
	err := c.Take(a)
	if openboards.ErrorCode(err) != openboards.CodeRateLimited || openboards.RetryAfter(err) != time.Hour ||
		!strings.Contains(openboards.ErrorMessage(err), "too many chats opened") {
		t.Fatalf("fourth: %v (retry after %v)", err, openboards.RetryAfter(err))
	}
	// Another address has its own count; IPv6 counts by /64.
	if err := c.Take(b); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := c.Take(netip.MustParseAddr("2001:db8::ffff")); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Take(netip.MustParseAddr("2001:db8::2")); openboards.ErrorCode(err) != openboards.CodeRateLimited {
		t.Fatalf("the /64's fourth: %v", err)
	}
	// The window ends an hour after its first take.
	now = now.Add(time.Hour)
	if err := c.Take(a); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

package clientip_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"openboards/internal/clientip"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	trusted, err := clientip.ParsePrefixes(" 10.0.0.0/8, 192.0.2.7 ,fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		trusted []netip.Prefix
		remote  string
		xff     []string
		want    string
	}{
		{"NoProxy", trusted, "198.51.100.1:4000", nil, "198.51.100.1"},
		{"UntrustedPeerIgnoresHeader", trusted, "198.51.100.1:4000", []string{"203.0.113.9"}, "198.51.100.1"},
		{"TrustNobodyByDefault", nil, "10.1.2.3:4000", []string{"203.0.113.9"}, "10.1.2.3"},
		{"OneProxy", trusted, "10.1.2.3:4000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"SpoofedLeftEntryIgnored", trusted, "10.1.2.3:4000", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9"},
		{"TrustedHopsSkipped", trusted, "10.1.2.3:4000", []string{"1.1.1.1, 203.0.113.9, 192.0.2.7, 10.9.9.9"}, "203.0.113.9"},
		{"SeveralHeaders", trusted, "10.1.2.3:4000", []string{"1.1.1.1, 203.0.113.9", "10.9.9.9"}, "203.0.113.9"},
		{"EntryWithPort", trusted, "10.1.2.3:4000", []string{"203.0.113.9:5555"}, "203.0.113.9"},
		{"IPv6", trusted, "[fd00::1]:4000", []string{"[2001:db8::5]:80"}, "2001:db8::5"},
		{"MappedPeer", trusted, "[::ffff:10.1.2.3]:4000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"GarbageStopsAtLastGoodHop", trusted, "10.1.2.3:4000", []string{"not-an-ip, 10.9.9.9"}, "10.9.9.9"},
		{"AllTrusted", trusted, "10.1.2.3:4000", []string{"10.4.4.4"}, "10.4.4.4"},
		{"EmptyHeader", trusted, "10.1.2.3:4000", []string{""}, "10.1.2.3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = c.remote
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			got := clientip.New(c.trusted).ClientIP(r)
			if got.String() != c.want {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestHandlerStoresClientIP(t *testing.T) {
	t.Parallel()
	trusted, _ := clientip.ParsePrefixes("10.0.0.0/8")
	var got netip.Addr
	h := clientip.New(trusted).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = clientip.FromRequest(r)
	}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.0.0.1:1"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got.String() != "203.0.113.9" {
		t.Fatalf("got %v, want 203.0.113.9", got)
	}
	// Without the handler, the header is not believed.
	if got := clientip.FromRequest(r); got.String() != "10.0.0.1" {
		t.Fatalf("FromRequest without Handler = %v, want the peer 10.0.0.1", got)
	}
}

func TestParsePrefixes(t *testing.T) {
	t.Parallel()
	if p, err := clientip.ParsePrefixes(""); err != nil || len(p) != 0 {
		t.Fatalf("ParsePrefixes(\"\") = %v, %v; want none", p, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0.0/8,nope"} {
		if _, err := clientip.ParsePrefixes(bad); err == nil {
			t.Errorf("ParsePrefixes(%q) accepted", bad)
		}
	}
}

package main

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestAnalyzeDeliveries(t *testing.T) {
	t.Parallel()
	s := time.Second
	ms := time.Millisecond
	// Window [2s, 5s). Tickets 1-3 acknowledged in it, 4 after it, 9 never.
	acks := []ack{{1, 2*s + 100*ms}, {2, 3*s + 500*ms}, {3, 4*s + 900*ms}, {4, 5*s + 10*ms}}
	eps := [][]arrival{
		{{2*s + 110*ms, 1}, {3*s + 520*ms, 2}, {5*s + 200*ms, 3}, {5*s + 30*ms, 4}, {3 * s, 9}},
		{{2*s + 105*ms, 1}, {4*s + 950*ms, 3}, {2*s + 200*ms, 1}}, // 2 and 4 missing, 1 twice
	}
	got := analyzeDeliveries(acks, eps, 2*s, 5*s)
	if got.inWindow != 6 {
		t.Errorf("inWindow: got %d, want 6", got.inWindow)
	}
	if want := []int{3, 2, 1}; !slices.Equal(got.perSecond, want) {
		t.Errorf("perSecond: got %v, want %v", got.perSecond, want)
	}
	// Before 5s: ticket 3 at endpoint 0 arrived late; ticket 2 at endpoint 1 never.
	if got.backlog != 2 {
		t.Errorf("backlog: got %d, want 2", got.backlog)
	}
	if got.missing != 2 || got.missingIn != 1 || got.unknown != 1 {
		t.Errorf("missing, missingIn, unknown: got %d, %d, %d, want 2, 1, 1", got.missing, got.missingIn, got.unknown)
	}
	if got.drain != 200*ms {
		t.Errorf("drain: got %v, want 200ms", got.drain)
	}
	want := []time.Duration{5 * ms, 10 * ms, 20 * ms, 50 * ms, 300 * ms}
	if !slices.Equal(got.latencies, want) {
		t.Errorf("latencies: got %v, want %v", got.latencies, want)
	}
}

func TestMinMedian(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in       []int
		lo, want int
	}{{nil, 0, 0}, {[]int{7}, 7, 7}, {[]int{5, 1, 4, 2}, 1, 2}, {[]int{9, 3, 5}, 3, 5}} {
		if lo, med := minMedian(tc.in); lo != tc.lo || med != tc.want {
			t.Errorf("minMedian(%v): got %d, %d, want %d, %d", tc.in, lo, med, tc.lo, tc.want)
		}
	}
}

func TestPayloadTicketID(t *testing.T) {
	t.Parallel()
	body := `{"CommunityName":"Bench","EventType":"ticket_creation","TicketId":123,"Events":[{"Ticket":{"Id":123,"TicketId":7}}]}`
	if id, ok := payloadTicketID([]byte(body)); !ok || id != 123 {
		t.Errorf("got %d %v, want 123 true", id, ok)
	}
	for _, b := range []string{`{"TicketId":null}`, `{}`, `{"TicketId":0}`} {
		if _, ok := payloadTicketID([]byte(b)); ok {
			t.Errorf("%s: got ok", b)
		}
	}
}

func TestParseMetrics(t *testing.T) {
	t.Parallel()
	text := `# HELP openboards_webhook_attempts_total Delivery attempts.
# TYPE openboards_webhook_attempts_total counter
openboards_webhook_attempts_total{outcome="success"} 40
openboards_webhook_delivery_latency_seconds_bucket{attempt="first",le="0.01"} 10
openboards_webhook_delivery_latency_seconds_bucket{attempt="first",le="0.1"} 39
openboards_webhook_delivery_latency_seconds_bucket{attempt="first",le="+Inf"} 40
odd{name="a \"b\",c"} 1.5
`
	ss := parseMetrics(text)
	if len(ss) != 5 {
		t.Fatalf("got %d samples, want 5: %v", len(ss), ss)
	}
	if s := ss[0]; s.name != "openboards_webhook_attempts_total" || s.labels["outcome"] != "success" || s.value != 40 {
		t.Errorf("first sample: got %+v", s)
	}
	if s := ss[4]; s.labels["name"] != `a "b",c` || s.value != 1.5 {
		t.Errorf("escaped label: got %+v", s)
	}
	cum := map[float64]float64{}
	for _, s := range ss[1:4] {
		le, err := strconv.ParseFloat(s.labels["le"], 64)
		if err != nil {
			t.Fatalf("le %q: %v", s.labels["le"], err)
		}
		cum[le] = s.value
	}
	if got := histogramBound(cum, 0.5); got != 0.1 {
		t.Errorf("p50 bound: got %v, want 0.1", got)
	}
	if got := histogramBound(cum, 0.25); got != 0.01 {
		t.Errorf("p25 bound: got %v, want 0.01", got)
	}
	if got := histogramBound(cum, 0.99); got != -1 {
		t.Errorf("p99 bound: got %v, want -1 (+Inf)", got)
	}
}

func TestChangePct(t *testing.T) {
	t.Parallel()
	if got := changePct(200, 150); got != -25 {
		t.Errorf("got %v, want -25", got)
	}
	if got := changePct(0, 5); got != 0 {
		t.Errorf("from zero: got %v, want 0", got)
	}
}

func TestServingLine(t *testing.T) {
	t.Parallel()
	line := "Openboards is serving the Ticket API at http://127.0.0.1:4000 (database x.db), metrics at http://127.0.0.1:4001/metrics"
	if m := servingLine.FindStringSubmatch(line); m == nil || m[1] != "http://127.0.0.1:4000" {
		t.Errorf("serving URL: got %v", m)
	}
	if m := metricsLine.FindStringSubmatch(line); m == nil || m[1] != "http://127.0.0.1:4001/metrics" {
		t.Errorf("metrics URL: got %v", m)
	}
	if m := metricsLine.FindStringSubmatch("Openboards is serving the Ticket API at http://127.0.0.1:4000 (database x.db)"); m != nil {
		t.Errorf("metrics URL without metrics: got %v", m)
	}
}

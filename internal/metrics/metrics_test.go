package metrics

import (
	"bytes"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// diffLines reports the first line where got and want differ.
func diffLines(t *testing.T, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Fatalf("output differs at line %d:\n got: %q\nwant: %q\n\nfull output:\n%s", i+1, gl, wl, got)
		}
	}
	t.Fatalf("output differs:\n got: %q\nwant: %q", got, want)
}

func TestExposition(t *testing.T) {
	t.Parallel()
	r := NewRegistry()

	// Families are registered out of name order on purpose.
	attempts := r.NewCounterVec("webhook_attempts_total", "Delivery attempts.\nPer hook, with a \\ backslash.", "hook", "outcome")
	attempts.With("plain", "fail").Inc()
	odd := attempts.With("a\"b\nc", "ok")
	odd.Inc()
	odd.Add(2)
	if attempts.With("a\"b\nc", "ok") != odd {
		t.Fatal("With returned a different counter for the same label values")
	}

	r.NewGaugeVecFunc("webhook_queue_oldest_seconds", "Age of the oldest pending delivery.", []string{"hook"},
		func(emit func(float64, ...string)) {
			emit(1.5, "z")
			emit(math.Inf(1), "a")
			emit(0.1, "m")
		})

	latency := r.NewHistogramVec("webhook_delivery_seconds", "Delivery latency.", []float64{0.25, 0.5, 1}, "outcome")
	success := latency.With("success")
	for _, v := range []float64{0.125, 0.25, 0.5, 0.75, 3} {
		success.Observe(v)
	}
	latency.With("failure").Observe(10)

	r.NewGaugeFunc("webhook_queue_depth", "Pending deliveries.", func() float64 { return 7 })
	r.NewCounterVec("empty_total", "Never incremented.")
	r.NewHistogramVec("job_seconds", "Job duration.", []float64{1, math.Inf(1)}).With().Observe(0.5)

	// Cumulative buckets for "success": 0.125 and 0.25 are <= 0.25 (2),
	// 0.5 adds one (3), 0.75 adds one (4), 3 only reaches +Inf (5).
	// Sum: 0.125+0.25+0.5+0.75+3 = 4.625.
	const want = `# HELP empty_total Never incremented.
# TYPE empty_total counter
# HELP job_seconds Job duration.
# TYPE job_seconds histogram
job_seconds_bucket{le="1"} 1
job_seconds_bucket{le="+Inf"} 1
job_seconds_sum 0.5
job_seconds_count 1
# HELP webhook_attempts_total Delivery attempts.\nPer hook, with a \\ backslash.
# TYPE webhook_attempts_total counter
webhook_attempts_total{hook="a\"b\nc",outcome="ok"} 3
webhook_attempts_total{hook="plain",outcome="fail"} 1
# HELP webhook_delivery_seconds Delivery latency.
# TYPE webhook_delivery_seconds histogram
webhook_delivery_seconds_bucket{outcome="failure",le="0.25"} 0
webhook_delivery_seconds_bucket{outcome="failure",le="0.5"} 0
webhook_delivery_seconds_bucket{outcome="failure",le="1"} 0
webhook_delivery_seconds_bucket{outcome="failure",le="+Inf"} 1
webhook_delivery_seconds_sum{outcome="failure"} 10
webhook_delivery_seconds_count{outcome="failure"} 1
webhook_delivery_seconds_bucket{outcome="success",le="0.25"} 2
webhook_delivery_seconds_bucket{outcome="success",le="0.5"} 3
webhook_delivery_seconds_bucket{outcome="success",le="1"} 4
webhook_delivery_seconds_bucket{outcome="success",le="+Inf"} 5
webhook_delivery_seconds_sum{outcome="success"} 4.625
webhook_delivery_seconds_count{outcome="success"} 5
# HELP webhook_queue_depth Pending deliveries.
# TYPE webhook_queue_depth gauge
webhook_queue_depth 7
# HELP webhook_queue_oldest_seconds Age of the oldest pending delivery.
# TYPE webhook_queue_oldest_seconds gauge
webhook_queue_oldest_seconds{hook="a"} +Inf
webhook_queue_oldest_seconds{hook="m"} 0.1
webhook_queue_oldest_seconds{hook="z"} 1.5
`
	var buf bytes.Buffer
	n, err := r.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Errorf("WriteTo returned %d, wrote %d bytes", n, buf.Len())
	}
	diffLines(t, buf.String(), want)

	// A second scrape sees the same state, and gauges are read again.
	buf.Reset()
	if _, err := r.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	diffLines(t, buf.String(), want)
}

func TestGaugeReadAtScrape(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	depth := 1.0
	r.NewGaugeFunc("depth", "Depth.", func() float64 { return depth })
	var buf bytes.Buffer
	r.WriteTo(&buf)
	depth = -2.5
	r.WriteTo(&buf)
	want := "# HELP depth Depth.\n# TYPE depth gauge\ndepth 1\n" +
		"# HELP depth Depth.\n# TYPE depth gauge\ndepth -2.5\n"
	diffLines(t, buf.String(), want)
}

func TestFloatFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "0"},
		{1, "1"},
		{0.0025, "0.0025"},
		{1e21, "1e+21"},
		{math.Inf(1), "+Inf"},
		{math.Inf(-1), "-Inf"},
		{math.NaN(), "NaN"},
	} {
		if got := string(appendFloat(nil, tc.f)); got != tc.want {
			t.Errorf("appendFloat(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

// bucketCounts returns the non-cumulative bucket counts of h.
func bucketCounts(h *Histogram) []uint64 {
	out := make([]uint64, len(h.counts))
	for i := range h.counts {
		out[i] = h.counts[i].Load()
	}
	return out
}

func TestObserveBuckets(t *testing.T) {
	t.Parallel()
	r := NewRegistry()

	t.Run("DefBuckets", func(t *testing.T) {
		h := r.NewHistogramVec("def_seconds", "Default buckets.", nil).With()
		if len(h.bounds) != len(DefBuckets) {
			t.Fatalf("got %d bounds, want %d", len(h.bounds), len(DefBuckets))
		}
		h.Observe(0)      // le 0.001
		h.Observe(0.001)  // le 0.001: bounds are inclusive
		h.Observe(0.0011) // le 0.0025
		h.Observe(10)     // le 10
		h.Observe(10.5)   // +Inf
		h.Observe(-1)     // le 0.001
		got := bucketCounts(h)
		want := make([]uint64, len(DefBuckets)+1)
		want[0], want[1], want[len(DefBuckets)-1], want[len(DefBuckets)] = 3, 1, 1, 1
		if !equal(got, want) {
			t.Fatalf("bucket counts %v, want %v", got, want)
		}
	})

	// Many buckets use binary search; it must agree with a linear scan.
	t.Run("BinarySearch", func(t *testing.T) {
		bounds := make([]float64, linearSearchMax+8)
		for i := range bounds {
			bounds[i] = float64(i + 1)
		}
		h := r.NewHistogramVec("many_seconds", "Many buckets.", bounds).With()
		obs := []float64{-5, 0.5, 1, 1.5, 17, 40, 40.5, 1000, math.NaN()}
		want := make([]uint64, len(bounds)+1)
		for _, v := range obs {
			h.Observe(v)
			i := 0
			for i < len(bounds) && !(v <= bounds[i]) {
				i++
			}
			want[i]++
		}
		if got := bucketCounts(h); !equal(got, want) {
			t.Fatalf("bucket counts %v, want %v", got, want)
		}
		if s := math.Float64frombits(h.sumBits.Load()); !math.IsNaN(s) {
			t.Errorf("sum after a NaN observation is %v, want NaN", s)
		}
	})

	t.Run("LinearNaN", func(t *testing.T) {
		h := r.NewHistogramVec("nan_seconds", "NaN.", []float64{1, 2}).With()
		h.Observe(math.NaN())
		if got, want := bucketCounts(h), []uint64{0, 0, 1}; !equal(got, want) {
			t.Fatalf("bucket counts %v, want %v", got, want)
		}
	})
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBucketsCopied(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	buckets := []float64{1, 2}
	h := r.NewHistogramVec("copied_seconds", "Copied.", buckets).With()
	buckets[0] = 100
	h.Observe(1.5)
	if got, want := bucketCounts(h), []uint64{0, 1, 0}; !equal(got, want) {
		t.Fatalf("bucket counts %v, want %v", got, want)
	}
}

func TestLabelValuesCopied(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	v := r.NewCounterVec("copied_total", "Copied.", "a", "b")
	values := []string{"x", "y"}
	v.With(values...).Inc()
	values[0] = "changed"
	var buf bytes.Buffer
	r.WriteTo(&buf)
	want := "# HELP copied_total Copied.\n# TYPE copied_total counter\ncopied_total{a=\"x\",b=\"y\"} 1\n"
	diffLines(t, buf.String(), want)
}

func TestLabelKeyUnambiguous(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	v := r.NewCounterVec("pairs_total", "Pairs.", "a", "b")
	if v.With("ab", "c") == v.With("a", "bc") {
		t.Fatal(`("ab", "c") and ("a", "bc") share a counter`)
	}
	if v.With("", "") == v.With("", "\x00") {
		t.Fatal(`("", "") and ("", "\x00") share a counter`)
	}
}

func TestConcurrency(t *testing.T) {
	t.Parallel()
	const (
		goroutines = 8
		perG       = 10_000
	)
	r := NewRegistry()
	counters := r.NewCounterVec("ops_total", "Operations.", "kind")
	hists := r.NewHistogramVec("op_seconds", "Operation latency.", []float64{0.3, 1}, "kind")

	stop := make(chan struct{})
	scraped := make(chan struct{})
	go func() {
		// Scrape while the counters are being updated, for the race
		// detector's sake.
		defer close(scraped)
		for {
			select {
			case <-stop:
				return
			default:
				r.WriteTo(io.Discard)
			}
		}
	}()

	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			c := counters.With("write")
			h := hists.With("write")
			for i := range perG {
				c.Inc()
				// Half the observations are 0.25 and half 0.5, so the sum
				// is exact in binary floating point.
				if (g+i)%2 == 0 {
					h.Observe(0.25)
				} else {
					h.Observe(0.5)
				}
			}
			counters.With("read").Add(2)
		})
	}
	wg.Wait()
	close(stop)
	<-scraped

	const total = goroutines * perG
	if got := counters.With("write").v.Load(); got != total {
		t.Errorf("counter = %d, want %d", got, total)
	}
	if got := counters.With("read").v.Load(); got != 2*goroutines {
		t.Errorf("counter = %d, want %d", got, 2*goroutines)
	}
	h := hists.With("write")
	if got, want := bucketCounts(h), []uint64{total / 2, total / 2, 0}; !equal(got, want) {
		t.Errorf("bucket counts %v, want %v", got, want)
	}
	if got, want := math.Float64frombits(h.sumBits.Load()), total/2*0.25+total/2*0.5; got != want {
		t.Errorf("sum = %v, want %v", got, want)
	}

	var buf bytes.Buffer
	r.WriteTo(&buf)
	for _, line := range []string{
		`op_seconds_bucket{kind="write",le="0.3"} 40000`,
		`op_seconds_bucket{kind="write",le="1"} 80000`,
		`op_seconds_bucket{kind="write",le="+Inf"} 80000`,
		`op_seconds_sum{kind="write"} 30000`,
		`op_seconds_count{kind="write"} 80000`,
		`ops_total{kind="read"} 16`,
		`ops_total{kind="write"} 80000`,
	} {
		if !strings.Contains(buf.String(), line+"\n") {
			t.Errorf("output lacks %q:\n%s", line, buf.String())
		}
	}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	r.NewCounterVec("hits_total", "Hits.").With().Add(5)
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	const body = "# HELP hits_total Hits.\n# TYPE hits_total counter\nhits_total 5\n"

	t.Run("GET", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Type"); got != "text/plain; version=0.0.4; charset=utf-8" {
			t.Errorf("Content-Type %q", got)
		}
		diffLines(t, string(b), body)
	})

	t.Run("HEAD", func(t *testing.T) {
		resp, err := http.Head(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Type"); got != ContentType {
			t.Errorf("Content-Type %q", got)
		}
		if resp.ContentLength != int64(len(body)) {
			t.Errorf("Content-Length %d, want %d", resp.ContentLength, len(body))
		}
	})

	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		t.Run(method, func(t *testing.T) {
			req := httptest.NewRequest(method, "/metrics", strings.NewReader("x"))
			rec := httptest.NewRecorder()
			r.Handler().ServeHTTP(rec, req)
			if rec.Code != http.StatusMethodNotAllowed {
				t.Fatalf("status %d, want 405", rec.Code)
			}
			if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
				t.Errorf("Allow %q, want %q", got, "GET, HEAD")
			}
			if strings.Contains(rec.Body.String(), "hits_total") {
				t.Errorf("405 body contains metrics: %q", rec.Body.String())
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteToError(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	r.NewGaugeFunc("g", "G.", func() float64 { return 1 })
	if _, err := r.WriteTo(failWriter{}); err == nil {
		t.Fatal("WriteTo to a failing writer returned no error")
	}
}

// mustPanic fails the test unless f panics.
func mustPanic(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Helper()
			t.Error("did not panic")
		}
	}()
	f()
}

func TestPanics(t *testing.T) {
	t.Parallel()
	gauge := func() float64 { return 0 }
	noSamples := func(func(float64, ...string)) {}
	for _, tc := range []struct {
		name string
		f    func(r *Registry)
	}{
		{"DuplicateCounter", func(r *Registry) {
			r.NewCounterVec("dup", "A.")
			r.NewCounterVec("dup", "B.")
		}},
		{"DuplicateAcrossKinds", func(r *Registry) {
			r.NewHistogramVec("dup", "A.", nil)
			r.NewGaugeFunc("dup", "B.", gauge)
		}},
		{"DuplicateGaugeVec", func(r *Registry) {
			r.NewGaugeVecFunc("dup", "A.", nil, noSamples)
			r.NewCounterVec("dup", "B.", "x")
		}},
		{"CounterTooFewValues", func(r *Registry) {
			r.NewCounterVec("c", "C.", "a", "b").With("x")
		}},
		{"CounterTooManyValues", func(r *Registry) {
			r.NewCounterVec("c", "C.").With("x")
		}},
		{"HistogramWrongValues", func(r *Registry) {
			r.NewHistogramVec("h", "H.", nil, "a").With()
		}},
		{"GaugeVecWrongValues", func(r *Registry) {
			r.NewGaugeVecFunc("g", "G.", []string{"a"}, func(emit func(float64, ...string)) {
				emit(1, "x", "y")
			})
			r.WriteTo(io.Discard)
		}},
		{"EmptyName", func(r *Registry) { r.NewCounterVec("", "C.") }},
		{"NameStartsWithDigit", func(r *Registry) { r.NewCounterVec("1c", "C.") }},
		{"NameWithDash", func(r *Registry) { r.NewGaugeFunc("a-b", "G.", gauge) }},
		{"BadLabelName", func(r *Registry) { r.NewCounterVec("c", "C.", "a:b") }},
		{"ReservedLabelName", func(r *Registry) { r.NewCounterVec("c", "C.", "__name") }},
		{"RepeatedLabelName", func(r *Registry) { r.NewCounterVec("c", "C.", "a", "a") }},
		{"LELabel", func(r *Registry) { r.NewHistogramVec("h", "H.", nil, "le") }},
		{"UnsortedBuckets", func(r *Registry) { r.NewHistogramVec("h", "H.", []float64{1, 0.5}) }},
		{"RepeatedBucket", func(r *Registry) { r.NewHistogramVec("h", "H.", []float64{1, 1}) }},
		{"NaNBucket", func(r *Registry) { r.NewHistogramVec("h", "H.", []float64{math.NaN()}) }},
		{"NilGaugeFunc", func(r *Registry) { r.NewGaugeFunc("g", "G.", nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustPanic(t, func() { tc.f(NewRegistry()) })
		})
	}
}

func TestValidNames(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	// None of these may panic.
	r.NewCounterVec("a", "A.")
	r.NewCounterVec("_a:b_c9", "A.", "_x", "Y9")
	r.NewCounterVec(":colon", "A.")
	r.NewHistogramVec("inf_only", "A.", []float64{math.Inf(1)}).With().Observe(3)
	var buf bytes.Buffer
	r.WriteTo(&buf)
	if !strings.Contains(buf.String(), "inf_only_bucket{le=\"+Inf\"} 1\ninf_only_sum 3\ninf_only_count 1\n") {
		t.Errorf("unexpected output for a +Inf-only histogram:\n%s", buf.String())
	}
}

func BenchmarkCounterInc(b *testing.B) {
	c := NewRegistry().NewCounterVec("bench_total", "Benchmark.", "outcome").With("success")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Inc()
		}
	})
}

func BenchmarkHistogramObserve(b *testing.B) {
	h := NewRegistry().NewHistogramVec("bench_seconds", "Benchmark.", DefBuckets, "outcome").With("success")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		v := 0.0
		for pb.Next() {
			h.Observe(v)
			v += 0.01
			if v > 12 {
				v = 0
			}
		}
	})
}

package metrics_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"openboards/internal/metrics"
)

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: got status %d, want 200: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type: got %q, want text/plain", ct)
	}
	return rec.Body.String()
}

func TestRegistryHasRuntimeAndProcess(t *testing.T) {
	t.Parallel()
	reg := metrics.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "openboards_test_total", Help: "A test counter."}, []string{"kind"})
	reg.MustRegister(c)
	c.WithLabelValues("a").Add(3)
	out := scrape(t, metrics.Handler(reg, nil))
	for _, want := range []string{
		"# TYPE go_goroutines gauge",
		"go_memstats_heap_alloc_bytes ",
		`openboards_test_total{kind="a"} 3`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("exposition lacks %q:\n%s", want, out)
		}
	}
	// The process collector reads /proc, so it reports on Linux only.
	if runtime.GOOS == "linux" && !strings.Contains(out, "process_cpu_seconds_total ") {
		t.Errorf("exposition lacks the process collector's CPU series:\n%s", out)
	}
}

// failing is a collector whose scrape fails, as the queue depth does when
// the database is down.
type failing struct{ desc *prometheus.Desc }

func (f failing) Describe(ch chan<- *prometheus.Desc) { ch <- f.desc }
func (f failing) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.NewInvalidMetric(f.desc, errors.New("database is down"))
}

func TestHandlerContinuesOnError(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(failing{prometheus.NewDesc("openboards_broken", "Broken.", nil, nil)})
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "openboards_fine", Help: "Fine."})
	g.Set(7)
	reg.MustRegister(g)
	var logs bytes.Buffer
	out := scrape(t, metrics.Handler(reg, slog.New(slog.NewTextHandler(&logs, nil))))
	if !strings.Contains(out, "openboards_fine 7") {
		t.Errorf("the working gauge is missing:\n%s", out)
	}
	if !strings.Contains(logs.String(), "database is down") {
		t.Errorf("log lacks the cause: %q", logs.String())
	}
}

func TestLatencyBucketsReachADay(t *testing.T) {
	t.Parallel()
	b := metrics.LatencyBuckets
	if got := b[len(b)-1]; got != 24*3600 {
		t.Errorf("last bucket: got %v, want 86400", got)
	}
	for i := 1; i < len(b); i++ {
		if b[i] <= b[i-1] {
			t.Errorf("buckets not increasing at %d: %v", i, b)
		}
	}
}

package webhook

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"openboards/internal/metrics"
	"openboards/internal/openboards"
)

// dispatcherMetrics are the dispatcher's Prometheus series.
type dispatcherMetrics struct {
	attempts *prometheus.CounterVec   // by outcome
	duration *prometheus.HistogramVec // request duration by outcome
	latency  *prometheus.HistogramVec // event to successful delivery, by attempt ("first", "retry")
	givenUp  prometheus.Counter
}

func (m *dispatcherMetrics) register(r prometheus.Registerer, d *Dispatcher) {
	if r == nil {
		r = prometheus.NewRegistry() // unexposed, so the hot path needs no nil checks
	}
	m.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "openboards_webhook_attempts_total",
		Help: "Delivery attempts by outcome (success: a 2xx answer; failure: anything else).",
	}, []string{"outcome"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "openboards_webhook_attempt_duration_seconds",
		Help:    "Duration of delivery attempts by outcome.",
		Buckets: metrics.RequestBuckets,
	}, []string{"outcome"})
	// A delivery that needs retries arrives hours after its event: the
	// buckets reach the 24 h a failing endpoint is retried for.
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "openboards_webhook_delivery_latency_seconds",
		Help:    "Time from an event being recorded to its successful delivery, by whether retries were needed.",
		Buckets: metrics.LatencyBuckets,
	}, []string{"attempt"})
	m.givenUp = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "openboards_webhook_deliveries_given_up_total",
		Help: "Deliveries given up after failing for the whole retry period.",
	})
	inflight := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "openboards_webhook_requests_in_flight",
		Help: "Delivery requests this process has under way.",
	}, func() float64 { return float64(d.inflight()) })
	r.MustRegister(m.attempts, m.duration, m.latency, m.givenUp, inflight, queueDepth{d})
}

// queueDepthDesc describes openboards_webhook_queue_depth.
var queueDepthDesc = prometheus.NewDesc("openboards_webhook_queue_depth",
	"Pending deliveries per webhook (read from the database at scrape time).", []string{"webhook"}, nil)

// queueDepth is a collector that counts pending deliveries in the store
// when scraped, so that every process reports the shared queue and no
// counter has to follow it.
type queueDepth struct{ d *Dispatcher }

func (q queueDepth) Describe(ch chan<- *prometheus.Desc) { ch <- queueDepthDesc }

// Collect reads the counts with a timeout of its own: a scrape has no
// context. When the store fails, the scrape reports the error (and serves
// the other metrics) instead of a queue that looks empty.
func (q queueDepth) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := q.d.store.CountPendingDeliveries(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueDepthDesc, err)
		return
	}
	for id, n := range counts {
		ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(n), strconv.FormatInt(id, 10))
	}
}

// observe counts one attempt.
func (m *dispatcherMetrics) observe(j *openboards.Job, outcome string, dur time.Duration, finished time.Time) {
	m.attempts.WithLabelValues(outcome).Inc()
	m.duration.WithLabelValues(outcome).Observe(dur.Seconds())
	if outcome == "success" {
		attempt := "first"
		if j.AttemptCount > 0 {
			attempt = "retry"
		}
		m.latency.WithLabelValues(attempt).Observe(finished.Sub(j.EventCreatedAt).Seconds())
	}
}

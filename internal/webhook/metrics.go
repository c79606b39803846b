package webhook

import (
	"context"
	"strconv"
	"time"

	"openboards/internal/metrics"
	"openboards/internal/openboards"
)

// dispatcherMetrics are the dispatcher's Prometheus series.
type dispatcherMetrics struct {
	attempts *metrics.CounterVec   // by outcome
	duration *metrics.HistogramVec // request duration by outcome
	latency  *metrics.HistogramVec // event to successful delivery, by attempt ("first", "retry")
	givenUp  *metrics.Counter
}

func (m *dispatcherMetrics) register(r *metrics.Registry, d *Dispatcher) {
	if r == nil {
		r = metrics.NewRegistry() // unexposed, so the hot path needs no nil checks
	}
	m.attempts = r.NewCounterVec("openboards_webhook_attempts_total",
		"Delivery attempts by outcome (success: a 2xx answer; failure: anything else).", "outcome")
	m.duration = r.NewHistogramVec("openboards_webhook_attempt_duration_seconds",
		"Duration of delivery attempts by outcome.", metrics.DefBuckets, "outcome")
	m.latency = r.NewHistogramVec("openboards_webhook_delivery_latency_seconds",
		"Time from an event being recorded to its successful delivery, by whether retries were needed.", metrics.DefBuckets, "attempt")
	givenUp := r.NewCounterVec("openboards_webhook_deliveries_given_up_total",
		"Deliveries given up after failing for the whole retry period.")
	m.givenUp = givenUp.With()
	r.NewGaugeVecFunc("openboards_webhook_queue_depth",
		"Pending deliveries per webhook (read from the database at scrape time).", []string{"webhook"},
		func(emit func(float64, ...string)) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			counts, err := d.store.CountPendingDeliveries(ctx)
			if err != nil {
				return
			}
			for id, n := range counts {
				emit(float64(n), strconv.FormatInt(id, 10))
			}
		})
	r.NewGaugeFunc("openboards_webhook_requests_in_flight",
		"Delivery requests this process has under way.", func() float64 { return float64(d.inflight()) })
}

// observe counts one attempt.
func (m *dispatcherMetrics) observe(j *openboards.Job, outcome string, dur time.Duration, finished time.Time) {
	m.attempts.With(outcome).Inc()
	m.duration.With(outcome).Observe(dur.Seconds())
	if outcome == "success" {
		attempt := "first"
		if j.AttemptCount > 0 {
			attempt = "retry"
		}
		m.latency.With(attempt).Observe(finished.Sub(j.EventCreatedAt).Seconds())
	}
}

// Package metrics builds the server's Prometheus registry and serves it.
//
// The server keeps its own prometheus.Registry rather than the library's
// global default, so that tests can run several servers in one process and
// nothing registers itself by being imported. The metric families
// themselves are declared where they are measured: the webhook dispatcher
// (internal/webhook/metrics.go) and the request middleware
// (internal/obs).
package metrics

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// LatencyBuckets are bucket upper bounds in seconds for durations that
// range from a quick HTTP request to a webhook delivery retried for a day:
// 1 ms to 10 s in the usual 1-2.5-5 steps, then 30 s, 1 min, 5 min,
// 15 min, 1 h, 3 h, 6 h, 12 h and 24 h.
var LatencyBuckets = []float64{
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
	30, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600,
}

// RequestBuckets are bucket upper bounds in seconds for one HTTP request or
// one webhook attempt, bounded by the server's and the egress client's
// timeouts: 1 ms to 60 s.
var RequestBuckets = []float64{
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
}

// NewRegistry returns a registry holding the Go runtime collector and the
// process collector (CPU, memory, open files of this process).
func NewRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return r
}

// Handler serves the metrics gathered from g in the Prometheus text
// exposition format. A collector that fails (the webhook queue depth when
// the database is unreachable, say) is logged to log with its cause and
// left out; the other metrics are still served.
func Handler(g prometheus.Gatherer, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:      errorLog{log},
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// errorLog adapts a slog.Logger to promhttp.Logger.
type errorLog struct{ log *slog.Logger }

func (l errorLog) Println(v ...any) {
	l.log.Error("metrics: gather failed", "err", fmtArgs(v))
}

func fmtArgs(v []any) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

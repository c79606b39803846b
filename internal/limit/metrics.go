package limit

import "github.com/prometheus/client_golang/prometheus"

// The reasons of openboards_refused_total.
const (
	ReasonRateLimited    = "rate_limited"      // too many failures (429)
	ReasonHashPoolFull   = "hash_pool_full"    // every password-hash slot busy (503)
	ReasonConnLimit      = "conn_limit"        // --max-conns reached
	ReasonConnLimitPerIP = "conn_limit_per_ip" // --max-conns-per-ip reached
)

// Metrics counts refusals. A nil *Metrics counts nothing.
type Metrics struct {
	refused *prometheus.CounterVec
}

// NewMetrics registers openboards_refused_total with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{refused: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "openboards_refused_total",
		Help: "Requests and connections refused by the abuse limits, by reason: rate_limited, hash_pool_full, conn_limit, conn_limit_per_ip.",
	}, []string{"reason"})}
	for _, r := range []string{ReasonRateLimited, ReasonHashPoolFull, ReasonConnLimit, ReasonConnLimitPerIP} {
		m.refused.WithLabelValues(r) // every reason is shown, at 0 until it happens
	}
	reg.MustRegister(m.refused)
	return m
}

// refuse counts one refusal for reason.
func (m *Metrics) refuse(reason string) {
	if m != nil {
		m.refused.WithLabelValues(reason).Inc()
	}
}

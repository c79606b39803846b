package limit

import "github.com/prometheus/client_golang/prometheus"

// Keys is the number of account keys f tracks.
func Keys(f *Failures) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.account.len()
}

// Refused is the counter of reason.
func Refused(m *Metrics, reason string) prometheus.Counter { return m.refused.WithLabelValues(reason) }

package httpapi

import (
	"net/http"
	"slices"
)

// Mux is an http.ServeMux that remembers the patterns registered on it, so
// the server can check them against the paths its surface owns and name
// the routes in logs and metrics.
type Mux struct {
	*http.ServeMux
	patterns []string
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{ServeMux: http.NewServeMux()} }

// Handle registers h for pattern, as http.ServeMux.Handle does.
func (m *Mux) Handle(pattern string, h http.Handler) {
	m.ServeMux.Handle(pattern, h)
	m.patterns = append(m.patterns, pattern)
}

// HandleFunc registers f for pattern, as http.ServeMux.HandleFunc does.
func (m *Mux) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(f))
}

// Patterns returns the patterns registered so far, in registration order.
func (m *Mux) Patterns() []string { return slices.Clone(m.patterns) }

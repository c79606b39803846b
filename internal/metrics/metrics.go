// Package metrics is a small, dependency-free metrics registry that serves
// the Prometheus text exposition format, version 0.0.4.
//
// A Registry holds metric families: counters, gauges whose values are read
// at scrape time, and histograms. Counters and histograms are partitioned by
// label values; a child for one label set is obtained with With and may be
// kept by the caller. Updating a child (Counter.Inc, Counter.Add,
// Histogram.Observe) takes no lock and is safe for concurrent use.
//
// Registering a family with an invalid or duplicate name, or asking for a
// child with the wrong number of label values, is a programming error and
// panics.
package metrics

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// ContentType is the media type of the text exposition format that
// Registry.Handler serves.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// DefBuckets are latency buckets in seconds suited to webhook deliveries.
var DefBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// A Registry is a set of metric families that can be written in the text
// exposition format. The zero value is not usable; create one with
// NewRegistry. A Registry is safe for concurrent use.
type Registry struct {
	mu       sync.RWMutex
	families map[string]family

	// sizeHint is the length of the last exposition, used to size the
	// buffer of the next one.
	sizeHint atomic.Int64
}

// A family is one registered metric family.
type family interface {
	// appendTo appends the family, header lines included, to b.
	appendTo(b []byte) []byte
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{families: make(map[string]family)}
}

// register adds f under name. It panics if name is invalid or taken.
func (r *Registry) register(name string, f family) {
	if !validMetricName(name) {
		panic(fmt.Sprintf("metrics: invalid metric name %q", name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.families[name]; ok {
		panic(fmt.Sprintf("metrics: duplicate metric name %q", name))
	}
	r.families[name] = f
}

// WriteTo writes every family in the text exposition format, families
// sorted by name and samples within a family sorted by label values.
// Gauge functions are called while the output is produced, without any
// registry lock held.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(r.appendTo(nil))
	return int64(n), err
}

// appendTo appends the exposition of every family to b.
func (r *Registry) appendTo(b []byte) []byte {
	r.mu.RLock()
	names := make([]string, 0, len(r.families))
	for name := range r.families {
		names = append(names, name)
	}
	slices.Sort(names)
	fams := make([]family, len(names))
	for i, name := range names {
		fams[i] = r.families[name]
	}
	r.mu.RUnlock()

	if b == nil {
		b = make([]byte, 0, r.sizeHint.Load()+512)
	}
	start := len(b)
	for _, f := range fams {
		b = f.appendTo(b)
	}
	r.sizeHint.Store(int64(len(b) - start))
	return b
}

// Handler returns an HTTP handler that serves the registry in the text
// exposition format. It answers GET and HEAD; any other method gets
// 405 Method Not Allowed with an Allow header.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		b := r.appendTo(nil)
		h := w.Header()
		h.Set("Content-Type", ContentType)
		h.Set("Content-Length", strconv.Itoa(len(b)))
		h.Set("Cache-Control", "no-store")
		if req.Method == http.MethodHead {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Write(b)
	})
}

// Counters.

// A CounterVec is a counter family partitioned by label values.
type CounterVec struct {
	name, help string
	vec        vec[*Counter]
}

// A Counter is a monotonically increasing count for one label set.
// Its methods are safe for concurrent use and take no lock.
type Counter struct {
	v      atomic.Uint64
	values []string
}

// NewCounterVec registers a counter family with the given label names.
// The name must match [a-zA-Z_:][a-zA-Z0-9_:]* and label names must match
// [a-zA-Z_][a-zA-Z0-9_]* without a leading double underscore. It panics
// on an invalid name, an invalid or repeated label name, or a name that is
// already registered.
func (r *Registry) NewCounterVec(name, help string, labels ...string) *CounterVec {
	v := &CounterVec{
		name: name,
		help: help,
		vec: vec[*Counter]{
			labels:   checkLabels(name, labels, false),
			newChild: func(values []string) *Counter { return &Counter{values: values} },
		},
	}
	r.register(name, v)
	return v
}

// With returns the counter for the given label values, creating it at zero
// if needed. Callers on hot paths should keep the returned counter rather
// than call With for every update. It panics if the number of values
// differs from the number of label names.
func (v *CounterVec) With(values ...string) *Counter {
	return v.vec.with(v.name, values)
}

// Inc adds one to c.
func (c *Counter) Inc() { c.v.Add(1) }

// Add adds n to c.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

func (c *Counter) labelValues() []string { return c.values }

func (v *CounterVec) appendTo(b []byte) []byte {
	b = appendHeader(b, v.name, v.help, "counter")
	for _, c := range v.vec.sorted() {
		b = appendSeries(b, v.name, "", v.vec.labels, c.values, "")
		b = strconv.AppendUint(b, c.v.Load(), 10)
		b = append(b, '\n')
	}
	return b
}

// Gauges.

// gaugeFunc is a gauge without labels whose value is read at scrape time.
type gaugeFunc struct {
	name, help string
	f          func() float64
}

// NewGaugeFunc registers a gauge without labels whose value is f's result
// at scrape time. f must be safe to call from any goroutine. It panics on
// an invalid or duplicate name, or if f is nil.
func (r *Registry) NewGaugeFunc(name, help string, f func() float64) {
	if f == nil {
		panic(fmt.Sprintf("metrics: nil function for gauge %q", name))
	}
	r.register(name, &gaugeFunc{name: name, help: help, f: f})
}

func (g *gaugeFunc) appendTo(b []byte) []byte {
	b = appendHeader(b, g.name, g.help, "gauge")
	b = appendSeries(b, g.name, "", nil, nil, "")
	b = appendFloat(b, g.f())
	return append(b, '\n')
}

// gaugeVecFunc is a gauge family whose samples are produced at scrape time.
type gaugeVecFunc struct {
	name, help string
	labels     []string
	f          func(emit func(value float64, labelValues ...string))
}

// NewGaugeVecFunc registers a gauge family with the given label names whose
// samples are produced at scrape time by f, which calls emit once per label
// set. emit panics if it is given the wrong number of label values, and
// must not be called after f returns. f must be safe to call from any
// goroutine. NewGaugeVecFunc panics on an invalid or duplicate name, an
// invalid or repeated label name, or a nil f.
func (r *Registry) NewGaugeVecFunc(name, help string, labels []string, f func(emit func(value float64, labelValues ...string))) {
	if f == nil {
		panic(fmt.Sprintf("metrics: nil function for gauge %q", name))
	}
	r.register(name, &gaugeVecFunc{
		name:   name,
		help:   help,
		labels: checkLabels(name, labels, false),
		f:      f,
	})
}

func (g *gaugeVecFunc) appendTo(b []byte) []byte {
	type sample struct {
		values []string
		value  float64
	}
	var samples []sample
	g.f(func(value float64, labelValues ...string) {
		if len(labelValues) != len(g.labels) {
			panic(fmt.Sprintf("metrics: gauge %q emitted %d label values, want %d", g.name, len(labelValues), len(g.labels)))
		}
		samples = append(samples, sample{values: slices.Clone(labelValues), value: value})
	})
	slices.SortStableFunc(samples, func(a, b sample) int { return slices.Compare(a.values, b.values) })

	b = appendHeader(b, g.name, g.help, "gauge")
	for _, s := range samples {
		b = appendSeries(b, g.name, "", g.labels, s.values, "")
		b = appendFloat(b, s.value)
		b = append(b, '\n')
	}
	return b
}

// Histograms.

// linearSearchMax is the number of buckets up to which Observe scans the
// bounds linearly rather than by binary search.
const linearSearchMax = 32

// A HistogramVec is a histogram family partitioned by label values.
type HistogramVec struct {
	name, help string
	bounds     []float64 // upper bounds, strictly increasing, without +Inf
	les        []string  // bounds formatted for the le label
	vec        vec[*Histogram]
}

// A Histogram counts observations for one label set in buckets.
// Observe is safe for concurrent use and takes no lock.
type Histogram struct {
	bounds []float64
	// counts[i] is the number of observations in bucket i alone (not
	// cumulative); the last element counts those above every bound.
	counts  []atomic.Uint64
	sumBits atomic.Uint64
	values  []string
}

// NewHistogramVec registers a histogram family with the given bucket upper
// bounds and label names. The bounds must be strictly increasing and not
// NaN; a final +Inf is implied and may be omitted. Nil or empty buckets
// mean DefBuckets. The label name "le" is reserved. It panics on invalid
// buckets, an invalid or duplicate name, or an invalid or repeated label
// name.
func (r *Registry) NewHistogramVec(name, help string, buckets []float64, labels ...string) *HistogramVec {
	if len(buckets) == 0 {
		buckets = DefBuckets
	}
	bounds := slices.Clone(buckets)
	if math.IsInf(bounds[len(bounds)-1], 1) {
		bounds = bounds[:len(bounds)-1]
	}
	les := make([]string, len(bounds))
	for i, ub := range bounds {
		if math.IsNaN(ub) || (i > 0 && ub <= bounds[i-1]) || math.IsInf(ub, 1) {
			panic(fmt.Sprintf("metrics: histogram %q buckets must be strictly increasing and not NaN: %v", name, buckets))
		}
		les[i] = string(appendFloat(nil, ub))
	}
	v := &HistogramVec{
		name:   name,
		help:   help,
		bounds: bounds,
		les:    les,
	}
	v.vec = vec[*Histogram]{
		labels: checkLabels(name, labels, true),
		newChild: func(values []string) *Histogram {
			return &Histogram{
				bounds: bounds,
				counts: make([]atomic.Uint64, len(bounds)+1),
				values: values,
			}
		},
	}
	r.register(name, v)
	return v
}

// With returns the histogram for the given label values, creating it empty
// if needed. Callers on hot paths should keep the returned histogram rather
// than call With for every observation. It panics if the number of values
// differs from the number of label names.
func (v *HistogramVec) With(values ...string) *Histogram {
	return v.vec.with(v.name, values)
}

// Observe records one observation, typically a duration in seconds. It is
// counted in the first bucket whose upper bound is greater than or equal to
// it. A NaN observation is counted in the +Inf bucket and makes the sum NaN.
func (h *Histogram) Observe(seconds float64) {
	var i int
	if len(h.bounds) <= linearSearchMax {
		for i < len(h.bounds) && seconds > h.bounds[i] {
			i++
		}
		if math.IsNaN(seconds) {
			i = len(h.bounds)
		}
	} else {
		// SearchFloat64s places NaN past every bound, too.
		i = sort.SearchFloat64s(h.bounds, seconds)
	}
	h.counts[i].Add(1)
	for {
		old := h.sumBits.Load()
		sum := math.Float64bits(math.Float64frombits(old) + seconds)
		if h.sumBits.CompareAndSwap(old, sum) {
			return
		}
	}
}

func (h *Histogram) labelValues() []string { return h.values }

func (v *HistogramVec) appendTo(b []byte) []byte {
	b = appendHeader(b, v.name, v.help, "histogram")
	labels := v.vec.labels
	for _, h := range v.vec.sorted() {
		// The count is the total of the bucket counts read here, so that
		// it always equals the +Inf bucket even while observations are
		// being recorded concurrently.
		var cum uint64
		for i, le := range v.les {
			cum += h.counts[i].Load()
			b = appendSeries(b, v.name, "_bucket", labels, h.values, le)
			b = strconv.AppendUint(b, cum, 10)
			b = append(b, '\n')
		}
		cum += h.counts[len(v.les)].Load()
		b = appendSeries(b, v.name, "_bucket", labels, h.values, "+Inf")
		b = strconv.AppendUint(b, cum, 10)
		b = append(b, '\n')
		b = appendSeries(b, v.name, "_sum", labels, h.values, "")
		b = appendFloat(b, math.Float64frombits(h.sumBits.Load()))
		b = append(b, '\n')
		b = appendSeries(b, v.name, "_count", labels, h.values, "")
		b = strconv.AppendUint(b, cum, 10)
		b = append(b, '\n')
	}
	return b
}

// Label sets.

// A child is a member of a vec: one label set's counter or histogram.
type child interface {
	labelValues() []string
}

// vec maps label values to children.
type vec[T child] struct {
	labels   []string
	children sync.Map // labelKey(values) -> T
	newChild func(values []string) T
}

// with returns the child for values, creating it if needed.
func (v *vec[T]) with(name string, values []string) T {
	if len(values) != len(v.labels) {
		panic(fmt.Sprintf("metrics: %q got %d label values, want %d", name, len(values), len(v.labels)))
	}
	key := labelKey(values)
	if c, ok := v.children.Load(key); ok {
		return c.(T)
	}
	c, _ := v.children.LoadOrStore(key, v.newChild(slices.Clone(values)))
	return c.(T)
}

// sorted returns the children ordered by label values.
func (v *vec[T]) sorted() []T {
	var cs []T
	v.children.Range(func(_, c any) bool {
		cs = append(cs, c.(T))
		return true
	})
	slices.SortFunc(cs, func(a, b T) int { return slices.Compare(a.labelValues(), b.labelValues()) })
	return cs
}

// labelKey returns a string that identifies values unambiguously.
func labelKey(values []string) string {
	switch len(values) {
	case 0:
		return ""
	case 1:
		return values[0]
	}
	n := 0
	for _, s := range values {
		n += len(s) + binaryLenMax
	}
	b := make([]byte, 0, n)
	for _, s := range values {
		b = appendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return string(b)
}

// binaryLenMax is the most bytes appendUvarint writes.
const binaryLenMax = 10

// appendUvarint appends x to b as an unsigned varint.
func appendUvarint(b []byte, x uint64) []byte {
	for x >= 0x80 {
		b = append(b, byte(x)|0x80)
		x >>= 7
	}
	return append(b, byte(x))
}

// checkLabels validates label names and returns a copy of them. It panics
// on an invalid or repeated name, or on "le" when reserveLE is set.
func checkLabels(metric string, labels []string, reserveLE bool) []string {
	for i, l := range labels {
		if !validLabelName(l) {
			panic(fmt.Sprintf("metrics: %q has invalid label name %q", metric, l))
		}
		if reserveLE && l == "le" {
			panic(fmt.Sprintf("metrics: histogram %q may not use the label name \"le\"", metric))
		}
		if slices.Contains(labels[:i], l) {
			panic(fmt.Sprintf("metrics: %q repeats label name %q", metric, l))
		}
	}
	return slices.Clone(labels)
}

// Text format.

// validMetricName reports whether s matches [a-zA-Z_:][a-zA-Z0-9_:]*.
func validMetricName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// validLabelName reports whether s matches [a-zA-Z_][a-zA-Z0-9_]* and does
// not begin with the reserved prefix "__".
func validLabelName(s string) bool {
	if s == "" || strings.HasPrefix(s, "__") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// appendHeader appends the HELP and TYPE lines of a family.
func appendHeader(b []byte, name, help, typ string) []byte {
	b = append(b, "# HELP "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = appendEscaped(b, help, false)
	b = append(b, "\n# TYPE "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, typ...)
	return append(b, '\n')
}

// appendSeries appends a sample's name, suffix and labels followed by a
// space, leaving the value to the caller. A non-empty le is added as the
// last label.
func appendSeries(b []byte, name, suffix string, labels, values []string, le string) []byte {
	b = append(b, name...)
	b = append(b, suffix...)
	if len(labels) > 0 || le != "" {
		b = append(b, '{')
		for i, l := range labels {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, l...)
			b = append(b, `="`...)
			b = appendEscaped(b, values[i], true)
			b = append(b, '"')
		}
		if le != "" {
			if len(labels) > 0 {
				b = append(b, ',')
			}
			b = append(b, `le="`...)
			b = append(b, le...)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	return append(b, ' ')
}

// appendEscaped appends s with backslash and newline escaped, and double
// quote too when quote is set.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendFloat appends f in the text format: shortest 'g' form, with +Inf,
// -Inf and NaN spelled as the format requires.
func appendFloat(b []byte, f float64) []byte {
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

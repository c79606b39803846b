// Package obs is the layer every HTTP surface is served through: it counts
// and times each request by surface, route pattern and status class, and
// logs it once through log/slog with a request id.
//
// The route is the http.ServeMux pattern that matched ("GET
// /tickets/{id}"), never the raw path, so that the number of series stays
// bounded. A surface's mux sees a request that its own handler may have
// rewritten or cloned (a base path cut off, say), so the pattern cannot be
// read from the request the layer holds: the surface wraps its mux in
// Routed, which records the pattern in a holder that Wrap put in the
// request's context.
package obs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"openboards/internal/metrics"
)

// Unmatched is the route label of a request that no pattern matched.
const Unmatched = "unmatched"

// RequestIDHeader carries a request's id: an incoming one is kept if it is
// sane, and the id is returned on every response.
const RequestIDHeader = "X-Request-Id"

// A Layer holds the request metrics and the logger shared by the surfaces
// it wraps.
type Layer struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	log      *slog.Logger
	now      func() time.Time
}

// New registers the request metrics with reg and returns a layer that logs
// each request to log at level Info. A nil reg keeps the metrics
// unexposed; a nil log discards the lines.
func New(reg prometheus.Registerer, log *slog.Logger) *Layer {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Layer{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openboards_http_requests_total",
			Help: "HTTP requests answered, by surface, route pattern and status class.",
		}, []string{"surface", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "openboards_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by surface, route pattern and status class.",
			Buckets: metrics.RequestBuckets,
		}, []string{"surface", "route", "code"}),
		log: log,
		now: time.Now,
	}
	reg.MustRegister(l.requests, l.duration)
	return l
}

// Wrap returns h measured and logged as the given surface ("api",
// "inbox", ...). h should route with a mux wrapped in Routed; requests it
// answers otherwise are labelled with the route Unmatched unless it calls
// SetRoute.
func (l *Layer) Wrap(surface string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := l.now()
		in := &info{id: requestID(r.Header.Get(RequestIDHeader))}
		w.Header().Set(RequestIDHeader, in.id)
		method, path := r.Method, r.URL.Path // the surface may rewrite them
		rec := &recorder{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, in))
		defer func() {
			p := recover()
			if p != nil && !rec.wrote {
				rec.status, rec.wrote = http.StatusInternalServerError, true // net/http closes the connection
			}
			status := rec.Status()
			route := in.route
			if route == "" {
				route = Unmatched
			}
			d := l.now().Sub(start)
			code := statusClass(status)
			l.requests.WithLabelValues(surface, route, code).Inc()
			l.duration.WithLabelValues(surface, route, code).Observe(d.Seconds())
			// The id is an attribute of its own here, so the line's
			// context (which LogHandler would read it from) is not passed.
			l.log.LogAttrs(context.Background(), slog.LevelInfo, "request",
				slog.String("surface", surface),
				slog.String("method", method),
				slog.String("route", route),
				slog.String("path", path),
				slog.Int("status", status),
				slog.Duration("duration", d),
				slog.String("community", in.community),
				slog.String("request_id", in.id),
			)
			if p != nil {
				panic(p)
			}
		}()
		h.ServeHTTP(rec, r)
	})
}

// Routed returns a handler that serves with mux and then records, for the
// layer, the pattern that matched and the {community} path value if the
// pattern has one. ServeMux sets both on the request it is given.
func Routed(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if in := infoOf(r.Context()); in != nil {
				if in.route == "" {
					in.route = r.Pattern
				}
				if in.community == "" {
					in.community = r.PathValue("community")
				}
			}
		}()
		mux.ServeHTTP(w, r)
	})
}

// SetRoute records the route of a request that a surface answers without
// its mux, e.g. "GET /static/{hash}/{name}". It does nothing outside Wrap.
func SetRoute(ctx context.Context, pattern string) {
	if in := infoOf(ctx); in != nil {
		in.route = pattern
	}
}

// SetCommunity records the community a request acts for, once a surface
// knows it (the API learns it from the access token). It does nothing
// outside Wrap.
func SetCommunity(ctx context.Context, name string) {
	if in := infoOf(ctx); in != nil {
		in.community = name
	}
}

// RequestID returns the id of the request ctx belongs to, or "" outside
// Wrap.
func RequestID(ctx context.Context) string {
	if in := infoOf(ctx); in != nil {
		return in.id
	}
	return ""
}

// info is what a surface tells the layer about one request. Only the
// goroutine serving the request writes it.
type info struct {
	id, route, community string
}

type infoKey struct{}

func infoOf(ctx context.Context) *info {
	in, _ := ctx.Value(infoKey{}).(*info)
	return in
}

// requestID returns the incoming id if it is sane (1 to 64 letters,
// digits, '-', '_', '.' or ':'), else a new random one.
func requestID(in string) string {
	if saneID(in) {
		return in
	}
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func saneID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// statusClass returns "2xx" for 200 to 299, and so on.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// recorder remembers the status a handler answered with. Unwrap lets
// http.ResponseController reach the connection's Flush and deadlines.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *recorder) WriteHeader(code int) {
	if !w.wrote && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Flush sends buffered data; a handler that flushes before writing
// answers 200, as net/http does.
func (w *recorder) Flush() {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Status is the status answered, 200 if the handler wrote nothing.
func (w *recorder) Status() int {
	if !w.wrote {
		return http.StatusOK
	}
	return w.status
}

// LogHandler returns h adding to each record the request_id of the
// request its context belongs to (log.ErrorContext(r.Context(), ...)), so
// that an error line can be matched with the request line.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(attrs)}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{h.Handler.WithGroup(name)}
}

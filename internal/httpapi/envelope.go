package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"openboards/internal/openboards"
)

// Result is the response envelope: Data on success with ErrorCode -1, else
// a null Data, the HTTP status as ErrorCode and a message as ErrorText.
type Result struct {
	Data      any     `json:"data"`
	ErrorCode int     `json:"errorCode"`
	ErrorText *string `json:"errorText"`
}

// EmptyObject is the {} payload of updates that answer no data.
var EmptyObject = struct{}{}

// WriteJSON answers v as compact JSON with a final newline and an exact
// Content-Length. Should v fail to encode, it answers 500 in the envelope.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"data":null,"errorCode":500,"errorText":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// WriteData answers data in the success envelope with status 200.
func WriteData(w http.ResponseWriter, data any) {
	WriteJSON(w, http.StatusOK, Result{Data: data, ErrorCode: -1})
}

// WriteError answers err in the envelope with the status ErrorStatus gives.
// A *MethodError also sets the Allow header; an *http.MaxBytesError names
// the limit; an error with a RetryAfter sets Retry-After. Internal errors are logged to log with the request's method
// and path, and shown only as "internal error".
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := ErrorStatus(err)
	SetRetryAfter(w, err)
	var text string
	var me *MethodError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &me):
		text = me.Error()
		w.Header().Set("Allow", strings.Join(me.Allow, ", "))
	case errors.As(err, &mbe):
		text = fmt.Sprintf("body: larger than the limit of %d bytes", mbe.Limit)
	case code == http.StatusInternalServerError || code == StatusClientClosed:
		log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		text = "internal error"
	default:
		text = openboards.ErrorMessage(err)
	}
	WriteJSON(w, code, Result{ErrorCode: code, ErrorText: &text})
}

// StatusClientClosed is the status of a request whose client went away
// (nginx's 499); nobody reads it, but logs and metrics do.
const StatusClientClosed = 499

// Status is the one map from an error code to its HTTP status, which every
// surface uses: invalid 400, unauthorized 401, forbidden 403, not_found 404,
// conflict 409, too_large 413, rate_limited 429, unavailable 503, anything
// else 500.
func Status(code openboards.Code) int {
	switch code {
	case openboards.CodeInvalid:
		return http.StatusBadRequest
	case openboards.CodeUnauthorized:
		return http.StatusUnauthorized
	case openboards.CodeForbidden:
		return http.StatusForbidden
	case openboards.CodeNotFound:
		return http.StatusNotFound
	case openboards.CodeConflict:
		return http.StatusConflict
	case openboards.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case openboards.CodeRateLimited:
		return http.StatusTooManyRequests
	case openboards.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ErrorStatus maps an error to its HTTP status, which is also the
// envelope's errorCode: 405 for a *MethodError, 413 for a body over the
// limit, StatusClientClosed when the request's context was canceled, else
// Status of its code.
func ErrorStatus(err error) int {
	var me *MethodError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &me):
		return http.StatusMethodNotAllowed
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, context.Canceled):
		return StatusClientClosed
	}
	return Status(openboards.ErrorCode(err))
}

// MethodError is a request for a known path with a method it lacks.
type MethodError struct {
	Method, Path string
	Allow        []string // the methods the path takes
}

func (e *MethodError) Error() string {
	return fmt.Sprintf("method %s is not allowed on %s", e.Method, e.Path)
}

// Unmatched explains why mux has no route for r: a *MethodError naming the
// methods the path takes, or CodeNotFound. Call it from the mux's catch-all
// "/" route.
func Unmatched(mux *http.ServeMux, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		return &MethodError{Method: r.Method, Path: r.URL.Path, Allow: allow}
	}
	return openboards.Errorf(openboards.CodeNotFound, "no endpoint at %s %s", r.Method, r.URL.Path)
}

// SetRetryAfter sets the Retry-After header, in whole seconds rounded up,
// when err carries a RetryAfter. Call it before writing the answer.
func SetRetryAfter(w http.ResponseWriter, err error) {
	if d := openboards.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(RetrySeconds(d)))
	}
}

// RetrySeconds is d in whole seconds, rounded up, at least 1.
func RetrySeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

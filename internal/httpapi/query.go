package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"openboards/internal/openboards"
)

// PathID parses an integer path value; CodeInvalid unless it is a positive
// integer.
func PathID(r *http.Request, name string) (int64, error) {
	s := r.PathValue(name)
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, openboards.Errorf(openboards.CodeInvalid, "%s: %q is not a positive integer id", name, s)
	}
	return id, nil
}

// QueryValue returns the first value of a query parameter, trimmed; names
// match without regard to case. ok is false when the parameter is absent.
func QueryValue(r *http.Request, name string) (value string, ok bool) {
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return strings.TrimSpace(v[0]), true
		}
	}
	return "", false
}

// QueryInt parses an optional integer query parameter; set is false when it
// is absent or empty.
func QueryInt(r *http.Request, name string) (n int, set bool, err error) {
	s, ok := QueryValue(r, name)
	if !ok || s == "" {
		return 0, false, nil
	}
	n, err = strconv.Atoi(s)
	if err != nil {
		return 0, false, openboards.Errorf(openboards.CodeInvalid, "%s: %q is not an integer", name, s)
	}
	return n, true, nil
}

// QueryBool parses an optional boolean query parameter; absent or empty
// reads as false.
func QueryBool(r *http.Request, name string) (bool, error) {
	s, ok := QueryValue(r, name)
	if !ok || s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, openboards.Errorf(openboards.CodeInvalid, "%s: %q is not true or false", name, s)
	}
	return b, nil
}

// Page reads skip and take from the query, with the documented defaults
// and bounds (openboards.ClampPage).
func Page(r *http.Request) (skip, take int, err error) {
	skip, _, err = QueryInt(r, "skip")
	if err != nil {
		return 0, 0, err
	}
	take, _, err = QueryInt(r, "take")
	if err != nil {
		return 0, 0, err
	}
	skip, take = openboards.ClampPage(skip, take)
	return skip, take, nil
}

// TimeLayout prints times as .NET does: up to 7 fractional digits, trailing
// zeros dropped, and a numeric offset (never "Z").
const TimeLayout = "2006-01-02T15:04:05.9999999-07:00"

// FormatTime prints t in UTC in TimeLayout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads an ISO 8601 time with an offset (or Z), as filters take;
// field names it in the CodeInvalid error.
func ParseTime(field, s string) (*time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return nil, openboards.Errorf(openboards.CodeInvalid, "%s: %q is not a date-time like 2020-01-01T00:00:00+00:00", field, s)
	}
	return &t, nil
}

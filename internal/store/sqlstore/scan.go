package sqlstore

import (
	"database/sql"
	"encoding/json"
	"time"
)

// nanos is the stored form of a time: nanoseconds since the Unix epoch.
func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func fromNullNanos(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}

// jsonText encodes v for a JSON text column; nil slices become "[]".
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return "[]"
	}
	return string(b)
}

// fromJSON decodes a JSON text column into v; a column this package wrote
// is always valid, so a decoding error reports corruption.
func fromJSON(s string, v any) error {
	if s == "" || s == "[]" {
		return nil // the common empty list: the caller's zero value stands
	}
	return json.Unmarshal([]byte(s), v)
}

func nullString(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	v := s.String
	return &v
}

func nullInt(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

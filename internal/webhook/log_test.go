package webhook_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"openboards/internal/openboards"
	"openboards/internal/webhook"
)

// lockedBuffer is a bytes.Buffer safe for a logger and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the JSON log lines with msg prefixed by "webhooks: ".
func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for line := range strings.Lines(l.b.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if msg, _ := m["msg"].(string); strings.HasPrefix(msg, "webhooks: deliveries") {
			out = append(out, m)
		}
	}
	return out
}

// TestFailuresLoggedOncePerChange: an endpoint that fails many attempts
// gets one warning when it starts failing and one line when it recovers.
func TestFailuresLoggedOncePerChange(t *testing.T) {
	backends(t, func(t *testing.T, b backend) {
		rc := newReceiver(t, "tok")
		logs := &lockedBuffer{}
		w := newWorld(t, b, worldOptions{roots: rc.Server, opt: webhook.Options{Log: slog.New(slog.NewJSONHandler(logs, nil))}})
		w.stop()
		rc.respond = func(n int, _ received) int {
			if n < 6 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		}
		hook := w.add(rc, openboards.EventTicketCreation)
		for _, title := range []string{"a", "b", "c"} {
			w.newTicket(title)
		}
		if n := w.round(); n != 3 {
			t.Fatalf("first round: %d attempts, want 3", n)
		}
		w.clock.advance(time.Minute) // past the first backoff
		if n := w.round(); n != 3 {
			t.Fatalf("second round: %d attempts, want 3", n)
		}
		lines := logs.lines(t)
		if len(lines) != 1 {
			t.Fatalf("after 6 failed attempts: %d lines, want 1: %v", len(lines), lines)
		}
		l := lines[0]
		for k, want := range map[string]any{
			"level": "WARN", "msg": "webhooks: deliveries failing", "webhook": float64(hook.ID),
			"community": float64(w.cm.ID), "status": float64(503),
		} {
			if l[k] != want {
				t.Errorf("warning %s: got %v, want %v", k, l[k], want)
			}
		}
		if e, _ := l["err"].(string); e == "" {
			t.Errorf("warning lacks the cause: %v", l)
		}
		w.clock.advance(time.Hour)
		if n := w.round(); n != 3 {
			t.Fatalf("third round: %d attempts, want 3", n)
		}
		w.idle("after the recovery")
		lines = logs.lines(t)
		if len(lines) != 2 {
			t.Fatalf("after the recovery: %d lines, want 2: %v", len(lines), lines)
		}
		l = lines[1]
		for k, want := range map[string]any{
			"level": "INFO", "msg": "webhooks: deliveries succeed again", "webhook": float64(hook.ID), "failed_attempts": float64(6),
		} {
			if l[k] != want {
				t.Errorf("recovery %s: got %v, want %v", k, l[k], want)
			}
		}
	})
}

package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"openboards/internal/live"
)

// EventStream writes server-sent events (text/event-stream). Open it with
// OpenEventStream; each Send writes and flushes one event.
type EventStream struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf []byte
}

// OpenEventStream answers 200 with the headers of an event stream that no
// proxy buffers or caches, lifts the server's read and write deadlines
// (a stream stays open as long as its client wants), and sends retry (the
// reconnection delay browsers are asked to keep) and the id the stream
// starts from, so that a client that receives nothing before it
// reconnects still resumes from there. It returns nil when the client has
// gone.
func OpenEventStream(w http.ResponseWriter, retry time.Duration, from string) *EventStream {
	setStreamHeaders(w.Header())
	s := &EventStream{w: w, rc: http.NewResponseController(w)}
	// Setting deadlines fails, harmlessly, on writers that have none,
	// such as test recorders.
	s.rc.SetReadDeadline(time.Time{})
	s.rc.SetWriteDeadline(time.Time{})
	w.WriteHeader(http.StatusOK)
	s.buf = appendPreamble(s.buf, retry, from)
	if !s.flush() {
		return nil
	}
	return s
}

// setStreamHeaders sets the headers of an event stream that no proxy
// buffers or caches.
func setStreamHeaders(hdr http.Header) {
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no") // stream through nginx unbuffered
}

// appendPreamble appends what a stream starts with: retry, and the id it
// starts from unless that is "".
func appendPreamble(b []byte, retry time.Duration, from string) []byte {
	b = append(b, "retry: "...)
	b = strconv.AppendInt(b, retry.Milliseconds(), 10)
	b = append(b, '\n')
	if from != "" {
		b = append(b, "id: "...)
		b = append(b, from...)
		b = append(b, '\n')
	}
	return append(b, '\n')
}

// Add appends one event to what the next Flush sends: its name (none for
// the default "message"), its id (none to keep the last) and its data,
// one "data:" line per line of data.
func (s *EventStream) Add(event, id string, data []byte) {
	s.buf = appendEvent(s.buf, event, id, data)
}

// Comment appends a comment line, which clients ignore: a heartbeat that
// keeps proxies from closing an idle stream.
func (s *EventStream) Comment(text string) {
	s.buf = appendComment(s.buf, text)
}

// appendEvent appends the lines of one event, as Add describes them.
func appendEvent(b []byte, event, id string, data []byte) []byte {
	if event != "" {
		b = append(b, "event: "...)
		b = append(b, event...)
		b = append(b, '\n')
	}
	if id != "" {
		b = append(b, "id: "...)
		b = append(b, id...)
		b = append(b, '\n')
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		b = append(b, "data: "...)
		b = append(b, line...)
		b = append(b, '\n')
	}
	return append(b, '\n')
}

func appendComment(b []byte, text string) []byte {
	b = append(b, ": "...)
	b = append(b, text...)
	return append(b, "\n\n"...)
}

// Flush sends what was added; false when the client has gone.
func (s *EventStream) Flush() bool { return s.flush() }

func (s *EventStream) flush() bool {
	if len(s.buf) == 0 {
		return true
	}
	_, err := s.w.Write(s.buf)
	s.buf = s.buf[:0]
	return err == nil && s.rc.Flush() == nil
}

// Follow sends events on s until ctx ends, events closes or the client
// goes: each as render makes it (one it names "" is not sent), a comment
// after heartbeat without events, and every poll what polled makes, if it
// names anything. An error of render or polled ends the stream: the client
// reconnects and reads afresh.
func (s *EventStream) Follow(ctx context.Context, events <-chan live.Event, heartbeat, poll time.Duration,
	render func(live.Event) (name, id string, data []byte, err error), polled func() (name string, data []byte, err error)) {
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			s.Comment("keep-alive")
		case <-tick.C:
			name, data, err := polled()
			if err != nil {
				return
			}
			if name == "" {
				continue
			}
			s.Add(name, "", data)
		case e, ok := <-events:
			if !ok {
				return
			}
			name, id, data, err := render(e)
			if err != nil {
				return
			}
			if name == "" {
				continue
			}
			s.Add(name, id, data)
			beat.Reset(heartbeat)
		}
		if !s.Flush() {
			return
		}
	}
}

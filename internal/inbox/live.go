package inbox

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"openboards/internal/community"
	"openboards/internal/live"
)

// Live updates: GET /{community}/live is a stream of server-sent events,
// one "ticket" event (its data the ticket id, 0 for "anything may have
// changed") for each change of one of the community's tickets. live.js
// listens to it and refreshes the parts of the page that show tickets.

// Timings of the live stream; variables so that tests can shorten them.
var (
	// liveHeartbeat is how often an idle stream sends a comment, so that
	// proxies and browsers keep it open.
	liveHeartbeat = 25 * time.Second
	// liveGather is how long the stream gathers changes after the first of
	// a burst, sending each changed ticket once. It also merges a change
	// with its echo from other processes, which comes back within it.
	liveGather = 50 * time.Millisecond
)

// liveRetry is the reconnection delay the stream asks browsers for, in ms.
const liveRetry = 3000

// liveMaxIDs is the most ticket ids one burst sends; a larger burst is sent
// as one "anything may have changed".
const liveMaxIDs = 32

func (h *Handler) liveRoutes() {
	h.mux.Handle("GET /{community}/live", h.auth(h.handleLive))
}

func (h *Handler) handleLive(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	if h.opt.Live == nil {
		// No live updates here; 204 tells EventSource not to reconnect.
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no") // stream through nginx unbuffered
	if r.Method == http.MethodHead {
		return nil
	}
	// The server's timeouts are for ordinary requests; a stream stays open
	// as long as the page does. (Setting deadlines fails, harmlessly, on
	// writers that have none, such as test recorders.)
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})

	changes, cancel := h.opt.Live.Subscribe(in.Community.ID)
	defer cancel()
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte("retry: " + strconv.Itoa(liveRetry) + "\n\n")); err != nil {
		return nil
	}
	if rc.Flush() != nil {
		return nil
	}
	ctx := r.Context()
	beat := time.NewTicker(liveHeartbeat)
	defer beat.Stop()
	gather := time.NewTimer(liveGather)
	gather.Stop()
	var buf []byte
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-beat.C:
			buf = append(buf[:0], ": keep-alive\n\n"...)
		case id, ok := <-changes:
			if !ok {
				return nil // the server is shutting down
			}
			ids := []int64{id}
			gather.Reset(liveGather)
		collect:
			for {
				select {
				case <-ctx.Done():
					return nil
				case <-gather.C:
					break collect
				case id, ok := <-changes:
					if !ok {
						gather.Stop()
						break collect // send what came, then end
					}
					if len(ids) <= liveMaxIDs && !slices.Contains(ids, id) {
						ids = append(ids, id)
					}
				}
			}
			if len(ids) > liveMaxIDs || slices.Contains(ids, live.All) {
				ids = []int64{live.All}
			}
			buf = buf[:0]
			for _, id := range ids {
				buf = append(buf, "event: ticket\ndata: "...)
				buf = strconv.AppendInt(buf, id, 10)
				buf = append(buf, "\n\n"...)
			}
			beat.Reset(liveHeartbeat)
		}
		if _, err := w.Write(buf); err != nil {
			return nil
		}
		if rc.Flush() != nil {
			return nil
		}
	}
}

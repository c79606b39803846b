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
// changed") for each change of one of the community's tickets. The last
// event of each burst carries the id of the last live event it stands
// for, and the stream opens with the id it starts from, so that a browser
// reconnecting with Last-Event-ID gets what it missed meanwhile, or a 0
// when the server no longer knows (another node, a restart, too long
// away). live.js listens to it and refreshes the parts of the page that
// show tickets.

// Timings of the live stream; variables so that tests can shorten them.
var (
	// liveHeartbeat is how often an idle stream sends a comment, so that
	// proxies and browsers keep it open.
	liveHeartbeat = 25 * time.Second
	// liveGather is how long the stream gathers changes after the first of
	// a burst, sending each changed ticket once.
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

	sub := h.opt.Live.SubscribeCommunity(in.Community.ID, r.Header.Get("Last-Event-ID"))
	defer sub.Cancel()
	w.WriteHeader(http.StatusOK)
	buf := []byte("retry: " + strconv.Itoa(liveRetry) + "\nid: " + sub.From + "\n\n")
	if _, err := w.Write(buf); err != nil {
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
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-beat.C:
			buf = append(buf[:0], ": keep-alive\n\n"...)
		case e, ok := <-sub.Events:
			if !ok {
				return nil // the server is shutting down
			}
			var ids []int64
			ids, last := gatherLive(ids, e), e
			gather.Reset(liveGather)
		collect:
			for {
				select {
				case <-ctx.Done():
					return nil
				case <-gather.C:
					break collect
				case e, ok := <-sub.Events:
					if !ok {
						gather.Stop()
						break collect // send what came, then end
					}
					ids, last = gatherLive(ids, e), e
				}
			}
			if len(ids) == 0 {
				continue // only typing
			}
			if len(ids) > liveMaxIDs || slices.Contains(ids, 0) {
				ids = []int64{0}
			}
			buf = buf[:0]
			for i, id := range ids {
				buf = append(buf, "event: ticket\n"...)
				if i == len(ids)-1 {
					buf = append(buf, "id: "...)
					buf = append(buf, h.opt.Live.EventID(last)...)
					buf = append(buf, '\n')
				}
				buf = append(buf, "data: "...)
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

// gatherLive adds the ticket that e changed to ids, once: 0 for a Reset,
// nothing for Typing, which changes nothing the page shows. Beyond
// liveMaxIDs it stops adding; the burst is then sent as one 0.
func gatherLive(ids []int64, e live.Event) []int64 {
	id := e.TicketID
	switch e.Type {
	case live.Typing:
		return ids
	case live.Reset:
		id = 0
	}
	if len(ids) > liveMaxIDs || slices.Contains(ids, id) {
		return ids
	}
	return append(ids, id)
}

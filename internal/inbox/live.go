package inbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"openboards/internal/community"
	"openboards/internal/httpapi"
	"openboards/internal/live"
)

// Live updates: GET /{community}/live is a stream of server-sent events,
// one "ticket" event (its data the ticket id, 0 for "anything may have
// changed") for each change of one of the community's tickets. The last
// event of each burst carries the id of the last live event it stands
// for, and the stream opens with the id it starts from, so that a browser
// reconnecting with Last-Event-ID gets what it missed meanwhile, or a 0
// when the server no longer knows (another node, a restart, too long
// away). A "typing" event ({"ticketId", "userId", "name"}) says someone is
// typing in a conversation now. live.js listens to it and refreshes the
// parts of the page that show tickets.

// Timings of the live stream; variables so that tests can shorten them.
var (
	// liveHeartbeat is how often an idle stream sends a comment, so that
	// proxies and browsers keep it open.
	liveHeartbeat = 25 * time.Second
	// liveGather is how long the stream gathers changes after it sent
	// some, sending each changed ticket once.
	liveGather = 20 * time.Millisecond
)

// liveRetry is the reconnection delay the stream asks browsers for.
const liveRetry = 3 * time.Second

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
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "text/event-stream")
		return nil
	}
	sub := h.opt.Live.SubscribeCommunity(in.Community.ID, r.Header.Get("Last-Event-ID"))
	defer sub.Cancel()
	es := httpapi.OpenEventStream(w, liveRetry, sub.From)
	if es == nil {
		return nil
	}
	ctx := r.Context()
	beat := time.NewTicker(liveHeartbeat)
	defer beat.Stop()
	// The first change after a quiet spell is sent at once; those that
	// follow within liveGather of a send are gathered and sent together
	// when it ends, each changed ticket once.
	gather := time.NewTimer(liveGather)
	gather.Stop()
	var ids []int64
	var last live.Event
	cooling, open := false, true
	for open {
		send := false
		select {
		case <-ctx.Done():
			return nil
		case <-beat.C:
			es.Comment("keep-alive")
			if !es.Flush() {
				return nil
			}
			continue
		case e, ok := <-sub.Events:
			if !ok {
				open, send = false, true // send what came, then end
				break
			}
			if e.Type == live.Typing {
				// Shown at once and for moments only: never gathered,
				// and no id to resume from.
				es.Add("typing", "", typingData(e))
				if !es.Flush() {
					return nil
				}
				continue
			}
			ids, last = gatherLive(ids, e), e
			send = !cooling
			// Take the rest of its burst (the events of one commit come
			// together) along.
			for drained := false; send && !drained; {
				select {
				case e, ok := <-sub.Events:
					if !ok {
						open, drained = false, true
						break
					}
					if e.Type == live.Typing {
						es.Add("typing", "", typingData(e))
						continue
					}
					ids, last = gatherLive(ids, e), e
				default:
					drained = true
				}
			}
		case <-gather.C:
			cooling, send = false, true
		}
		if !send || len(ids) == 0 {
			continue // cooling down, or only typing
		}
		if len(ids) > liveMaxIDs || slices.Contains(ids, 0) {
			ids = append(ids[:0], 0)
		}
		for i, id := range ids {
			eid := ""
			if i == len(ids)-1 {
				eid = h.opt.Live.EventID(last)
			}
			es.Add("ticket", eid, strconv.AppendInt(nil, id, 10))
		}
		ids = ids[:0]
		if !es.Flush() {
			return nil
		}
		beat.Reset(liveHeartbeat)
		cooling = true
		gather.Reset(liveGather)
	}
	return nil
}

// typingData is a "typing" event's data: the ticket, who types, and their
// name.
func typingData(e live.Event) []byte {
	var d struct {
		Name string `json:"name"`
	}
	json.Unmarshal(e.Data, &d) // a name is a nicety
	b, _ := json.Marshal(struct {
		TicketID int64  `json:"ticketId"`
		UserID   string `json:"userId"`
		Name     string `json:"name"`
	}{e.TicketID, e.UserID, d.Name}) // plain values always encode
	return b
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

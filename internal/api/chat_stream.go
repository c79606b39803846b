package api

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"time"

	"openboards/internal/httpapi"
	"openboards/internal/live"
	"openboards/internal/openboards"
)

// GET /chat/conversations/{id}/events (an extension) is one conversation
// as it happens, a stream of server-sent events, so that a client shows
// the team's answers without polling:
//
//   - "message": a message was added or edited; data is the message, in
//     the shape the messages endpoint lists.
//   - "message.deleted": a teammate deleted one; data is {"id": N}.
//   - "conversation": the conversation changed (closed, reopened, taken
//     over, assigned, its queue place, feedback, page); data is the
//     conversation without its messages.
//   - "queue": while it waits, its place in the queue moved; data is the
//     queuePositionInfo.
//   - "typing": someone is typing in it; data is {"userId": "...",
//     "name": "..."}. Show it for a few seconds.
//   - "reset": events may have been missed; read the conversation afresh.
//
// Internal notes never reach it. Every event has an id; a client that
// reconnects with Last-Event-ID receives what it missed, or "reset".

// Timings of the conversation stream; variables so that tests can shorten
// them.
var (
	// streamHeartbeat is how often an idle stream sends a comment.
	streamHeartbeat = 25 * time.Second
	// streamQueueEvery is how often a waiting conversation's stream
	// reads its queue place, which moves with other conversations' turns.
	streamQueueEvery = 10 * time.Second
)

// streamRetry is the reconnection delay the stream asks clients for.
const streamRetry = 3 * time.Second

// MaxStreams bounds the conversation streams one server holds open at
// once; beyond it a client is asked to come back later (503).
const MaxStreams = 20000

// streams counts the open conversation streams of every Handler.
var streams atomic.Int64

func (h *Handler) handleChatEvents(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	if h.opt.Live == nil {
		return openboards.Errorf(openboards.CodeUnavailable, "this server sends no live events; poll the conversation instead")
	}
	if streams.Add(1) > MaxStreams {
		streams.Add(-1)
		return &openboards.Error{Code: openboards.CodeUnavailable, Message: "too many open streams; try again later", RetryAfter: 30 * time.Second}
	}
	// Subscribed first, so that nothing after the read below is missed.
	sub := h.opt.Live.SubscribeTicket(cm.ID, id, r.Header.Get("Last-Event-ID"))
	v, err := h.chat.Get(r.Context(), cm, id, false, openboards.NewestFirst)
	if err != nil {
		sub.Cancel()
		streams.Add(-1)
		return err
	}
	// The stream outlives the handler (ServeEventStream parks it on its
	// connection): what follows keeps only what it needs and reads with
	// the context it is given.
	pos := v.Queue
	httpapi.ServeEventStream(w, r, httpapi.Feed{
		Retry: streamRetry, From: sub.From, Events: sub.Events,
		Heartbeat: streamHeartbeat, PollEvery: streamQueueEvery,
		Render: func(ctx context.Context, e live.Event) (string, string, []byte, error) {
			name, data, err := h.streamEvent(ctx, cm, e, &pos)
			return name, h.opt.Live.EventID(e), data, err
		},
		Poll: func(ctx context.Context) (string, []byte, error) {
			if pos.Position < 1 {
				return "", nil, nil
			}
			q, err := h.chat.Queue(ctx, cm, id)
			if err != nil || q.Same(pos) {
				return "", nil, err
			}
			pos = q
			return "queue", mustJSON(queueOut(q)), nil
		},
		Done: func() {
			sub.Cancel()
			streams.Add(-1)
		},
		Log: h.log,
	})
	return nil
}

// streamEvent turns a live event of the conversation into the stream's
// event name and data; "" for one the stream does not send.
func (h *Handler) streamEvent(ctx context.Context, cm *openboards.Community, e live.Event, pos *openboards.QueueInfo) (string, []byte, error) {
	switch e.Type {
	case live.Reset:
		return "reset", []byte("{}"), nil
	case live.Typing:
		var d struct {
			Name string `json:"name"`
		}
		json.Unmarshal(e.Data, &d) // a name is a nicety
		return "typing", mustJSON(map[string]string{"userId": e.UserID, "name": d.Name}), nil
	case live.MessageAdded, live.MessageChanged:
		var d struct {
			ReplyID int64 `json:"replyId"`
		}
		if json.Unmarshal(e.Data, &d) != nil || d.ReplyID == 0 {
			return "", nil, nil // a note
		}
		m, err := h.store.FindReplyByID(ctx, cm.ID, e.TicketID, d.ReplyID)
		if openboards.ErrorCode(err) == openboards.CodeNotFound {
			return "message.deleted", mustJSON(map[string]int64{"id": d.ReplyID}), nil
		}
		if err != nil {
			return "", nil, err
		}
		if m.IsDraft {
			return "", nil, nil
		}
		return "message", mustJSON(chatMessagesOut([]*openboards.Reply{m})[0]), nil
	default:
		v, err := h.chat.Get(ctx, cm, e.TicketID, false, openboards.NewestFirst)
		if err != nil {
			return "", nil, err
		}
		*pos = v.Queue
		return "conversation", mustJSON(conversationOut(v)), nil
	}
}

// handleChatTyping (an extension) says the client is typing in the
// conversation now: its stream and the inbox show it for a few seconds.
// Send it every few seconds while they type; nothing is stored.
func (h *Handler) handleChatTyping(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req struct{}
	if err := httpapi.Decode(r, &req, false); err != nil {
		return err
	}
	if err := h.chat.Typing(r.Context(), cm, id, ""); err != nil {
		return err
	}
	return h.ok(w, struct{}{})
}

// mustJSON encodes what the stream's own types make; they always encode.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

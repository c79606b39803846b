package widget

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"openboards/internal/chat"
	"openboards/internal/clientip"
	"openboards/internal/httpapi"
	"openboards/internal/limit"
	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

// The visitor endpoints: a website visitor opens a conversation, reads it
// and adds messages, holding the visitor token the opening answered,
// which follows that one conversation only.
//
//	POST /widget/{community}/{widgetId}/conversations
//	GET  /widget/{community}/{widgetId}/conversations/{id}
//	POST /widget/{community}/{widgetId}/conversations/{id}/messages
//	GET  /widget/{community}/{widgetId}/conversations/{id}/events
//	POST /widget/{community}/{widgetId}/conversations/{id}/page
//	POST /widget/{community}/{widgetId}/conversations/{id}/typing
//	POST /widget/{community}/{widgetId}/conversations/{id}/feedback
//	POST /widget/{community}/{widgetId}/conversations/{id}/close
//	POST /widget/{community}/{widgetId}/tickets (the offline form)

// Limits per client address of the visitor endpoints.
var (
	conversationsPerClient = limit.Rule{Max: 6, Window: 12 * time.Hour}
	messagesPerClient      = limit.Rule{Max: 20, Window: time.Minute}
	// actionsPerClient bounds the rest: typing, page changes, feedback,
	// closing.
	actionsPerClient = limit.Rule{Max: 120, Window: time.Minute}
)

// maxVisitorBody bounds a visitor request's body: a message is at most
// MaxVisitorMessage bytes.
const maxVisitorBody = 64 << 10

// MaxVisitorMessage bounds a visitor's message, in bytes.
const MaxVisitorMessage = 16 << 10

// maxTrackedClients bounds the addresses the limits remember.
const maxTrackedClients = 100_000

func (h *Handler) visitorRoutes() {
	h.opened = limit.NewCounter("chats opened", conversationsPerClient, maxTrackedClients, nil)
	h.sent = limit.NewCounter("messages", messagesPerClient, maxTrackedClients, nil)
	h.acted = limit.NewCounter("requests", actionsPerClient, maxTrackedClients, nil)
	h.mux.HandleFunc("POST /widget/{community}/{widgetId}/conversations", h.public(h.handleStart))
	h.mux.HandleFunc("GET /widget/{community}/{widgetId}/conversations/{id}", h.public(h.handleVisitorGet))
	h.mux.HandleFunc("POST /widget/{community}/{widgetId}/conversations/{id}/messages", h.public(h.handleVisitorMessage))
	h.mux.HandleFunc("GET /widget/{community}/{widgetId}/conversations/{id}/events", h.public(h.handleVisitorEvents))
	h.mux.HandleFunc("POST /widget/{community}/{widgetId}/conversations/{id}/page", h.public(h.handleVisitorPage))
	h.mux.HandleFunc("POST /widget/{community}/{widgetId}/conversations/{id}/typing", h.public(h.handleVisitorTyping))
	h.mux.HandleFunc("POST /widget/{community}/{widgetId}/conversations/{id}/feedback", h.public(h.handleVisitorFeedback))
	h.mux.HandleFunc("POST /widget/{community}/{widgetId}/conversations/{id}/close", h.public(h.handleVisitorClose))
	h.mux.HandleFunc("POST /widget/{community}/{widgetId}/tickets", h.public(h.handleOfflineTicket))
}

type startRequest struct {
	// Name and Email are what the visitor typed in the start form.
	Name            string  `json:"name"`
	Email           string  `json:"email"`
	Message         string  `json:"message"`
	ClientMessageID string  `json:"clientMessageId"`
	URL             *string `json:"url"`
	// User is who the page says the visitor is (the user option).
	User       *userValue   `json:"user"`
	CategoryID *int64       `json:"categoryId"`
	Fields     []fieldValue `json:"fields"`
}

// fieldValue is a custom field the page sets on the conversation.
type fieldValue struct {
	ID    int64   `json:"id"`
	Value *string `json:"value"`
}

// maxFields bounds the custom fields one conversation is opened with.
const maxFields = 50

func fieldInputs(in []fieldValue) ([]ticket.FieldValueInput, error) {
	if len(in) > maxFields {
		return nil, openboards.Errorf(openboards.CodeInvalid, "fields: at most %d", maxFields)
	}
	var out []ticket.FieldValueInput
	for _, f := range in {
		out = append(out, ticket.FieldValueInput{ID: f.ID, Value: f.Value})
	}
	return out, nil
}

// visitorMessageJSON is a message as its visitor sees it: who wrote it by
// name only.
type visitorMessageJSON struct {
	ID           int64  `json:"id"`
	Message      string `json:"message"`
	FromTeam     bool   `json:"fromTeam"`
	Author       string `json:"author"`
	CreationTime string `json:"creationTime"`
}

type visitorQueueJSON struct {
	Position int  `json:"position"`
	WaitTime *int `json:"waitTime"`
}

type visitorConversationJSON struct {
	ID                int64                `json:"id"`
	IsClosed          bool                 `json:"isClosed"`
	QueuePositionInfo visitorQueueJSON     `json:"queuePositionInfo"`
	Messages          []visitorMessageJSON `json:"messages"`
}

type startJSON struct {
	ConversationID int64                   `json:"conversationId"`
	VisitorToken   string                  `json:"visitorToken"`
	Conversation   visitorConversationJSON `json:"conversation"`
	// Verified says the page's identityToken was accepted; Refused, when
	// one was given and was not, says why (for the site's developers).
	Verified bool   `json:"verified"`
	Refused  string `json:"identityRefused,omitempty"`
}

func visitorMessageOut(m *openboards.Reply, st *openboards.WidgetSettings) visitorMessageJSON {
	out := visitorMessageJSON{ID: m.ID, Message: m.Message, FromTeam: m.IsByTeam, CreationTime: httpapi.FormatTime(m.CreatedAt)}
	if m.Author != nil {
		out.Author = m.Author.Name
		if m.Author.IsBot {
			out.Author = st.Name
		}
	}
	return out
}

func visitorOut(v *chat.View, st *openboards.WidgetSettings) visitorConversationJSON {
	out := visitorConversationJSON{ID: v.Ticket.ID, IsClosed: v.Ticket.Status == openboards.TicketCompleted || v.Ticket.Status == openboards.TicketArchived,
		QueuePositionInfo: visitorQueueJSON{Position: v.Queue.Position, WaitTime: v.Queue.WaitTime}, Messages: []visitorMessageJSON{}}
	for _, m := range v.Messages {
		out.Messages = append(out.Messages, visitorMessageOut(m, st))
	}
	return out
}

func (h *Handler) handleStart(w http.ResponseWriter, r *http.Request, cm *openboards.Community, st *openboards.WidgetSettings) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxVisitorBody)
	var req startRequest
	if err := httpapi.Decode(r, &req, false); err != nil {
		return err
	}
	if err := checkVisitorMessage(req.Message, false); err != nil {
		return err
	}
	fields, err := fieldInputs(req.Fields)
	if err != nil {
		return err
	}
	in := chat.VisitorStart{WidgetID: st.WidgetID, Name: req.Name, Email: req.Email, URL: req.URL, Message: req.Message,
		ClientID: req.ClientMessageID, Identified: !st.RequireVerification, CategoryID: req.CategoryID, Fields: fields}
	var out startJSON
	if u := req.User; u != nil {
		who, err := verifyIdentity(st.IdentitySecret, *u, h.chat.Now())
		switch {
		case err == nil:
			out.Verified, in.Identified = true, true
		case u.IdentityToken != "":
			out.Refused = err.Error()
		}
		if out.Verified || !st.RequireVerification {
			in.Name, in.Email, in.CustomIdentifier = cmp.Or(who.Name, in.Name), cmp.Or(who.Email, in.Email), who.CustomIdentifier
		} else {
			in.Name = cmp.Or(u.Name, in.Name)
		}
	}
	if st.AskEmail && strings.TrimSpace(in.Email) == "" && in.Identified && in.CustomIdentifier == "" {
		return openboards.Errorf(openboards.CodeInvalid, "email: required by this widget")
	}
	if err := h.opened.Take(clientip.FromRequest(r)); err != nil {
		return err
	}
	v, token, err := h.chat.StartVisitor(r.Context(), cm, in)
	if err != nil {
		return err
	}
	out.ConversationID, out.VisitorToken, out.Conversation = v.Ticket.ID, token, visitorOut(v, st)
	httpapi.WriteData(w, out)
	return nil
}

func (h *Handler) handleVisitorGet(w http.ResponseWriter, r *http.Request, cm *openboards.Community, st *openboards.WidgetSettings) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := h.chat.Visitor(r.Context(), cm, st.WidgetID, id, visitorToken(r))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteData(w, visitorOut(v, st))
	return nil
}

type visitorMessageRequest struct {
	Message         string `json:"message"`
	ClientMessageID string `json:"clientMessageId"`
}

func (h *Handler) handleVisitorMessage(w http.ResponseWriter, r *http.Request, cm *openboards.Community, st *openboards.WidgetSettings) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxVisitorBody)
	var req visitorMessageRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	if err := checkVisitorMessage(req.Message, true); err != nil {
		return err
	}
	if err := h.sent.Take(clientip.FromRequest(r)); err != nil {
		return err
	}
	m, err := h.chat.AddVisitorMessage(r.Context(), cm, st.WidgetID, id, visitorToken(r), req.Message, req.ClientMessageID)
	if err != nil {
		return err
	}
	httpapi.WriteData(w, visitorMessageOut(m, st))
	return nil
}

// checkVisitorMessage bounds a visitor's message; required says it must
// not be empty.
func checkVisitorMessage(text string, required bool) error {
	if len(text) > MaxVisitorMessage {
		return openboards.Errorf(openboards.CodeInvalid, "message: at most %d bytes", MaxVisitorMessage)
	}
	if required && strings.TrimSpace(text) == "" {
		return openboards.Errorf(openboards.CodeInvalid, "message: required")
	}
	return nil
}

// visitorToken reads the bearer token of the request.
func visitorToken(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		return strings.TrimSpace(auth[7:])
	}
	return ""
}

// Timings of the visitor stream; variables so that tests can shorten them.
var (
	visitorHeartbeat  = 25 * time.Second
	visitorQueueEvery = 10 * time.Second
)

// unknownPlace stands for a place in the queue not read yet: positive, so
// the stream polls, and never equal to a place read.
const unknownPlace = math.MaxInt

// maxVisitorStreams bounds the visitor streams one server holds.
const maxVisitorStreams = 20000

var visitorStreams atomic.Int64

// handleVisitorEvents is GET .../conversations/{id}/events: the
// conversation as it happens, as server-sent events, with the visitor
// token in the Authorization header or, for EventSource, which cannot
// send one, in ?token=. Events: "message" (a message as the visitor sees
// it), "conversation" (closed, reopened, its queue place), "queue" (its
// place moved), "typing" ({"name"}: a teammate types), "reset" (read it
// afresh). Every event but typing has an id to resume from
// (Last-Event-ID).
func (h *Handler) handleVisitorEvents(w http.ResponseWriter, r *http.Request, cm *openboards.Community, st *openboards.WidgetSettings) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	token := visitorToken(r)
	if token == "" {
		token = r.URL.Query().Get("token")
	}
	if h.hub == nil {
		return openboards.Errorf(openboards.CodeUnavailable, "this server sends no live events; read the conversation instead")
	}
	if visitorStreams.Add(1) > maxVisitorStreams {
		visitorStreams.Add(-1)
		return &openboards.Error{Code: openboards.CodeUnavailable, Message: "too many open streams; try again later", RetryAfter: 30 * time.Second}
	}
	ctx := r.Context()
	// Subscribed before the read, so that nothing after it is missed.
	sub := h.hub.SubscribeTicket(cm.ID, id, r.Header.Get("Last-Event-ID"))
	visitor, queued, err := h.chat.VisitorFollow(ctx, cm, st.WidgetID, id, token)
	if err != nil {
		sub.Cancel()
		visitorStreams.Add(-1)
		return err
	}
	// The stream outlives the handler (ServeEventStream parks it on its
	// connection), so what follows keeps only what it needs, and reads
	// with the context it is given. A waiting conversation's place is
	// not read here (the visitor has just read it): the first poll sends
	// it, once.
	pos := openboards.QueueInfo{Position: openboards.NotQueued}
	if queued {
		pos.Position = unknownPlace
	}
	httpapi.ServeEventStream(w, r, httpapi.Feed{
		Retry: 3 * time.Second, From: sub.From, Events: sub.Events,
		Heartbeat: visitorHeartbeat, PollEvery: visitorQueueEvery,
		Render: func(ctx context.Context, e live.Event) (string, string, []byte, error) {
			name, data, err := h.visitorEvent(ctx, cm, st, e, visitor, &pos)
			if e.Type == live.Typing {
				return name, "", data, err
			}
			return name, h.hub.EventID(e), data, err
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
			return "queue", mustJSON(visitorQueueJSON{Position: q.Position, WaitTime: q.WaitTime}), nil
		},
		Done: func() {
			sub.Cancel()
			visitorStreams.Add(-1)
		},
		Log: h.log,
	})
	return nil
}

// visitorEvent turns a live event of the conversation into what its
// visitor's stream sends; "" for nothing (a note, the visitor's own
// typing).
func (h *Handler) visitorEvent(ctx context.Context, cm *openboards.Community, st *openboards.WidgetSettings, e live.Event, visitor string, pos *openboards.QueueInfo) (string, []byte, error) {
	switch e.Type {
	case live.Reset:
		return "reset", []byte("{}"), nil
	case live.Typing:
		if e.UserID == visitor {
			return "", nil, nil
		}
		var d struct {
			Name string `json:"name"`
		}
		json.Unmarshal(e.Data, &d) // a name is a nicety
		return "typing", mustJSON(map[string]string{"name": d.Name}), nil
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
		if err != nil || m.IsDraft {
			return "", nil, err
		}
		return "message", mustJSON(visitorMessageOut(m, st)), nil
	default:
		v, err := h.chat.Get(ctx, cm, e.TicketID, false, openboards.NewestFirst)
		if err != nil {
			return "", nil, err
		}
		*pos = v.Queue
		out := visitorOut(v, st)
		out.Messages = nil
		return "conversation", mustJSON(out), nil
	}
}

// mustJSON encodes the stream's own types, which always encode.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

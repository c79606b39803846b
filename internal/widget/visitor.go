package widget

import (
	"net/http"
	"strings"
	"time"

	"openboards/internal/chat"
	"openboards/internal/clientip"
	"openboards/internal/httpapi"
	"openboards/internal/limit"
	"openboards/internal/openboards"
)

// The visitor endpoints: a website visitor opens a conversation, reads it
// and adds messages, holding the visitor token the opening answered,
// which follows that one conversation only.
//
//	POST /widget/{community}/{widgetId}/conversations
//	GET  /widget/{community}/{widgetId}/conversations/{id}
//	POST /widget/{community}/{widgetId}/conversations/{id}/messages

// Limits per client address of the visitor endpoints.
var (
	conversationsPerClient = limit.Rule{Max: 6, Window: 12 * time.Hour}
	messagesPerClient      = limit.Rule{Max: 20, Window: time.Minute}
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
	h.mux.HandleFunc("POST /widget/{community}/{widgetId}/conversations", h.public(h.handleStart))
	h.mux.HandleFunc("GET /widget/{community}/{widgetId}/conversations/{id}", h.public(h.handleVisitorGet))
	h.mux.HandleFunc("POST /widget/{community}/{widgetId}/conversations/{id}/messages", h.public(h.handleVisitorMessage))
}

type startRequest struct {
	Name            string  `json:"name"`
	Email           string  `json:"email"`
	Message         string  `json:"message"`
	ClientMessageID string  `json:"clientMessageId"`
	URL             *string `json:"url"`
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
	if st.AskEmail && strings.TrimSpace(req.Email) == "" && !st.RequireVerification {
		return openboards.Errorf(openboards.CodeInvalid, "email: required by this widget")
	}
	if err := h.opened.Take(clientip.FromRequest(r)); err != nil {
		return err
	}
	v, token, err := h.chat.StartVisitor(r.Context(), cm, chat.VisitorStart{WidgetID: st.WidgetID, Name: req.Name, Email: req.Email,
		URL: req.URL, Message: req.Message, ClientID: req.ClientMessageID, MatchByEmail: !st.RequireVerification})
	if err != nil {
		return err
	}
	httpapi.WriteData(w, startJSON{ConversationID: v.Ticket.ID, VisitorToken: token, Conversation: visitorOut(v, st)})
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

package api

import (
	"net/http"
	"strconv"
	"strings"

	"openboards/internal/chat"
	"openboards/internal/httpapi"
	"openboards/internal/openboards"
)

// The External Chat API: conversations, at the root beside the Ticket API
// and under the same tokens.
func (h *Handler) chatRoutes() {
	m := h.mux
	m.Handle("POST /chat/conversations", h.auth(h.handleChatCreate))
	m.Handle("GET /chat/conversations/{id}", h.auth(h.handleChatGet))
	m.Handle("POST /chat/conversations/{id}/messages", h.auth(h.handleChatAddMessages))
	m.Handle("GET /chat/conversations/{id}/messages", h.auth(h.handleChatMessages))
	m.Handle("POST /chat/conversations/{id}/previousmessages", h.auth(h.handleChatAddContext))
	m.Handle("GET /chat/conversations/{id}/queue", h.auth(h.handleChatQueue))
	m.Handle("GET /chat/conversations/{id}/queueinfo", h.auth(h.handleChatQueue))
	m.Handle("GET /chat/conversations/{id}/takeover", h.auth(h.handleChatTakeoverGet))
	m.Handle("PATCH /chat/conversations/{id}/takeover", h.auth(h.handleChatTakeover))
	m.Handle("PATCH /chat/conversations/{id}/feedback", h.auth(h.handleChatFeedback))
	m.Handle("PATCH /chat/conversations/{id}/latesturl", h.auth(h.handleChatLatestURL))
	m.Handle("PATCH /chat/conversations/{id}/url", h.auth(h.handleChatLatestURL))
	m.Handle("PATCH /chat/conversations/{id}/close", h.auth(h.handleChatClose))
	m.Handle("GET /chat/conversations/{id}/events", h.auth(h.handleChatEvents))
	m.Handle("POST /chat/conversations/{id}/typing", h.auth(h.handleChatTyping))
}

type userValueRequest struct {
	CustomIdentifier string `json:"customIdentifier"`
	Email            string `json:"email"`
	ID               string `json:"id"`
	Image            string `json:"image"`
	IsBot            bool   `json:"isBot"`
	Name             string `json:"name"`
	// Read-only members of the User shape.
	Status httpapi.Ignored `json:"status"`
}

func (u *userValueRequest) value() *chat.UserValue {
	if u == nil {
		return nil
	}
	return &chat.UserValue{ID: u.ID, Email: u.Email, CustomIdentifier: u.CustomIdentifier, Name: u.Name, Image: u.Image, IsBot: u.IsBot}
}

type chatCreateRequest struct {
	Author       *userValueRequest   `json:"author"`
	CategoryID   *int64              `json:"categoryId"`
	Fields       []fieldValueRequest `json:"fields"`
	IsBotEnabled bool                `json:"isBotEnabled"`
	Sentiment    *string             `json:"sentiment"`
	Title        string              `json:"title"`
	URL          *string             `json:"url"`
}

func (h *Handler) handleChatCreate(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	var req chatCreateRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	fields, err := fieldValuesIn("fields", req.Fields)
	if err != nil {
		return err
	}
	v, err := h.chat.Create(r.Context(), cm, chat.CreateInput{Author: req.Author.value(), Title: req.Title, URL: req.URL,
		Sentiment: req.Sentiment, CategoryID: req.CategoryID, IsBotEnabled: req.IsBotEnabled, Fields: fields})
	if err != nil {
		return err
	}
	return h.ok(w, conversationOut(v))
}

// messageOrder reads the order parameter: orderBy, or orderyBy as the
// documentation spells it.
func messageOrder(r *http.Request) (openboards.MessageOrder, error) {
	name := "orderBy"
	v, ok := httpapi.QueryValue(r, name)
	if !ok {
		name = "orderyBy"
		v, _ = httpapi.QueryValue(r, name)
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "creation_time_desc":
		return openboards.NewestFirst, nil
	case "creation_time_asc":
		return openboards.OldestFirst, nil
	}
	return 0, openboards.Errorf(openboards.CodeInvalid, "%s: unknown value %q (want creation_time_asc or creation_time_desc)", name, v)
}

func (h *Handler) handleChatGet(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	with, err := httpapi.QueryBool(r, "includeMessages")
	if err != nil {
		return err
	}
	order, err := messageOrder(r)
	if err != nil {
		return err
	}
	v, err := h.chat.Get(r.Context(), cm, id, with, order)
	if err != nil {
		return err
	}
	return h.ok(w, conversationOut(v))
}

type chatMessageRequest struct {
	Author          *userValueRequest `json:"author"`
	ClientMessageID string            `json:"clientMessageId"`
	CreationTime    *string           `json:"creationTime"`
	IsByTeam        *bool             `json:"isByTeam"`
	Message         string            `json:"message"`
	// Read-only members of the message shape.
	ID               httpapi.Ignored `json:"id"`
	LastModifiedTime httpapi.Ignored `json:"lastModifiedTime"`
}

func (h *Handler) addMessages(w http.ResponseWriter, r *http.Request, cm *openboards.Community, context bool) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req []chatMessageRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	in := make([]chat.MessageInput, len(req))
	for i, m := range req {
		in[i] = chat.MessageInput{Author: m.Author.value(), Message: m.Message, IsByTeam: m.IsByTeam, ClientID: strings.TrimSpace(m.ClientMessageID)}
		if m.CreationTime != nil && strings.TrimSpace(*m.CreationTime) != "" {
			if in[i].CreationTime, err = httpapi.ParseTime("["+strconv.Itoa(i)+"].creationTime", *m.CreationTime); err != nil {
				return err
			}
		}
	}
	out, err := h.chat.AddMessages(r.Context(), cm, id, in, context)
	if err != nil {
		return err
	}
	return h.ok(w, chatMessagesOut(out))
}

func (h *Handler) handleChatAddMessages(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	return h.addMessages(w, r, cm, false)
}

func (h *Handler) handleChatAddContext(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	return h.addMessages(w, r, cm, true)
}

func (h *Handler) handleChatMessages(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	order, err := messageOrder(r)
	if err != nil {
		return err
	}
	skip, _, err := httpapi.QueryInt(r, "skip")
	if err != nil {
		return err
	}
	take, set, err := httpapi.QueryInt(r, "take")
	if err != nil {
		return err
	}
	if !set {
		take = chat.MaxPage
	}
	out, err := h.chat.Messages(r.Context(), cm, id, order, skip, take)
	if err != nil {
		return err
	}
	return h.ok(w, chatMessagesOut(out))
}

func (h *Handler) handleChatQueue(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	q, err := h.chat.Queue(r.Context(), cm, id)
	if err != nil {
		return err
	}
	return h.ok(w, queueOut(q))
}

type takeoverJSON struct {
	IsAssignedToBot bool `json:"isAssignedToBot"`
}

func (h *Handler) handleChatTakeoverGet(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	state, err := h.chat.Takeover(r.Context(), cm, id)
	if err != nil {
		return err
	}
	return h.ok(w, takeoverJSON{IsAssignedToBot: state})
}

type takeoverRequest struct {
	AssigneeID      *string `json:"assigneeId"`
	IsAssignedToBot *bool   `json:"isAssignedToBot"`
}

func (h *Handler) handleChatTakeover(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req takeoverRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	if req.IsAssignedToBot == nil {
		return openboards.Errorf(openboards.CodeInvalid, "isAssignedToBot: required")
	}
	if req.AssigneeID != nil && strings.TrimSpace(*req.AssigneeID) == "" {
		req.AssigneeID = nil
	}
	state, err := h.chat.SetTakeover(r.Context(), cm, id, *req.IsAssignedToBot, req.AssigneeID)
	if err != nil {
		return err
	}
	return h.ok(w, takeoverJSON{IsAssignedToBot: state})
}

type feedbackRequest struct {
	IsPositive *bool  `json:"isPositive"`
	Text       string `json:"text"`
}

func (h *Handler) handleChatFeedback(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req feedbackRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	if req.IsPositive == nil {
		return openboards.Errorf(openboards.CodeInvalid, "isPositive: required")
	}
	f, err := h.chat.SetFeedback(r.Context(), cm, id, openboards.Feedback{IsPositive: *req.IsPositive, Text: req.Text})
	if err != nil {
		return err
	}
	return h.ok(w, feedbackOut(f))
}

type latestURLRequest struct {
	URL string `json:"url"`
}

func (h *Handler) handleChatLatestURL(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var req latestURLRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	v, err := h.chat.SetLatestURL(r.Context(), cm, id, req.URL)
	if err != nil {
		return err
	}
	return h.ok(w, conversationOut(v))
}

func (h *Handler) handleChatClose(w http.ResponseWriter, r *http.Request, cm *openboards.Community) error {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return err
	}
	var ignored struct{}
	if err := httpapi.Decode(r, &ignored, false); err != nil {
		return err
	}
	v, err := h.chat.Close(r.Context(), cm, id)
	if err != nil {
		return err
	}
	return h.ok(w, conversationOut(v))
}

// The REST shapes of the chat objects, keys in the documented order.

type chatUserJSON struct {
	Email  *string `json:"email"`
	ID     string  `json:"id"`
	Image  *string `json:"image"`
	IsBot  bool    `json:"isBot"`
	Name   string  `json:"name"`
	Status string  `json:"status"`
}

type chatAuthorJSON struct {
	CustomIdentifier *string `json:"customIdentifier"`
	chatUserJSON
}

func chatUserOut(u *openboards.User) *chatUserJSON {
	if u == nil {
		return nil
	}
	return &chatUserJSON{Email: u.Email, ID: u.ID, Image: u.Image, IsBot: u.IsBot, Name: u.Name, Status: string(u.Status)}
}

type chatMessageJSON struct {
	Author           *chatUserJSON `json:"author"`
	CreationTime     string        `json:"creationTime"`
	ID               int64         `json:"id"`
	LastModifiedTime string        `json:"lastModifiedTime"`
	Message          string        `json:"message"`
}

func chatMessagesOut(rs []*openboards.Reply) []chatMessageJSON {
	out := make([]chatMessageJSON, len(rs))
	for i, m := range rs {
		out[i] = chatMessageJSON{Author: chatUserOut(m.Author), CreationTime: httpapi.FormatTime(m.CreatedAt), ID: m.ID,
			LastModifiedTime: httpapi.FormatTime(m.UpdatedAt), Message: m.Message}
	}
	return out
}

type chatFeedbackJSON struct {
	IsPositive bool   `json:"isPositive"`
	Text       string `json:"text"`
}

func feedbackOut(f *openboards.Feedback) *chatFeedbackJSON {
	if f == nil {
		return nil
	}
	return &chatFeedbackJSON{IsPositive: f.IsPositive, Text: f.Text}
}

type queueJSON struct {
	Position int  `json:"position"`
	WaitTime *int `json:"waitTime"`
}

func queueOut(q openboards.QueueInfo) queueJSON {
	return queueJSON{Position: q.Position, WaitTime: q.WaitTime}
}

type conversationJSON struct {
	Author             *chatAuthorJSON   `json:"author"`
	CreationTime       string            `json:"creationTime"`
	Feedback           *chatFeedbackJSON `json:"feedback"`
	Fields             []fieldValueJSON  `json:"fields"`
	ID                 int64             `json:"id"`
	InitialPageURL     *string           `json:"initialPageUrl"`
	IsClosed           bool              `json:"isClosed"`
	IsTakeoverEnabled  bool              `json:"isTakeoverEnabled"`
	LastModifiedTime   string            `json:"lastModifiedTime"`
	LatestPageURL      *string           `json:"latestPageUrl"`
	Messages           []chatMessageJSON `json:"messages"`
	QueuePositionInfo  queueJSON         `json:"queuePositionInfo"`
	TotalMessagesCount int               `json:"totalMessagesCount"`
}

func conversationOut(v *chat.View) *conversationJSON {
	t, cv := v.Ticket, v.Conversation
	out := &conversationJSON{
		CreationTime: httpapi.FormatTime(t.CreatedAt), Feedback: feedbackOut(cv.Feedback),
		Fields: make([]fieldValueJSON, len(t.CustomFields)), ID: t.ID, InitialPageURL: cv.InitialPageURL,
		IsClosed: t.Status == openboards.TicketCompleted, IsTakeoverEnabled: !cv.IsAssignedToBot,
		LastModifiedTime: httpapi.FormatTime(cv.ModifiedAt(t)), LatestPageURL: cv.LatestPageURL, Messages: chatMessagesOut(v.Messages), QueuePositionInfo: queueOut(v.Queue),
		TotalMessagesCount: t.ReplyCount,
	}
	if t.Author != nil {
		out.Author = &chatAuthorJSON{CustomIdentifier: t.Author.CustomIdentifier, chatUserJSON: *chatUserOut(t.Author)}
	}
	for i, f := range t.CustomFields {
		out.Fields[i] = fieldValueJSON{ID: f.FieldID, Value: f.Value}
	}
	return out
}

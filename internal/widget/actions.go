package widget

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"openboards/internal/clientip"
	"openboards/internal/httpapi"
	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

// The visitor's other requests on their conversation: the page they moved
// to, that they are typing, their feedback, ending the chat; and the
// offline form, which leaves the team a ticket when nobody staffs the
// widget.

// action runs the start of every visitor request on a conversation: the
// limit, the body's bound and decoding into req (nil: no body), and the
// token check; it returns the conversation's id.
func (h *Handler) action(w http.ResponseWriter, r *http.Request, cm *openboards.Community, st *openboards.WidgetSettings, req any) (int64, error) {
	id, err := httpapi.PathID(r, "id")
	if err != nil {
		return 0, err
	}
	if err := h.acted.Take(clientip.FromRequest(r)); err != nil {
		return 0, err
	}
	if req != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxVisitorBody)
		if err := httpapi.Decode(r, req, true); err != nil {
			return 0, err
		}
	}
	return id, h.chat.CheckVisitor(r.Context(), cm, st.WidgetID, id, visitorToken(r))
}

type pageRequest struct {
	URL string `json:"url"`
}

// handleVisitorPage stores the page the visitor is on now (the
// conversation's latestPageUrl).
func (h *Handler) handleVisitorPage(w http.ResponseWriter, r *http.Request, cm *openboards.Community, st *openboards.WidgetSettings) error {
	var req pageRequest
	id, err := h.action(w, r, cm, st, &req)
	if err != nil {
		return err
	}
	v, err := h.chat.SetLatestURL(r.Context(), cm, id, req.URL)
	if err != nil {
		return err
	}
	httpapi.WriteData(w, map[string]*string{"latestPageUrl": v.Conversation.LatestPageURL})
	return nil
}

// handleVisitorTyping tells the team the visitor is typing.
func (h *Handler) handleVisitorTyping(w http.ResponseWriter, r *http.Request, cm *openboards.Community, st *openboards.WidgetSettings) error {
	id, err := h.action(w, r, cm, st, nil)
	if err != nil {
		return err
	}
	if err := h.chat.Typing(r.Context(), cm, id, ""); err != nil {
		return err
	}
	httpapi.WriteData(w, struct{}{})
	return nil
}

type visitorFeedbackRequest struct {
	IsPositive *bool  `json:"isPositive"`
	Text       string `json:"text"`
}

type visitorFeedbackJSON struct {
	IsPositive bool   `json:"isPositive"`
	Text       string `json:"text"`
}

// handleVisitorFeedback stores the visitor's verdict (thumbs up or down,
// and a few words); a second replaces the first.
func (h *Handler) handleVisitorFeedback(w http.ResponseWriter, r *http.Request, cm *openboards.Community, st *openboards.WidgetSettings) error {
	var req visitorFeedbackRequest
	id, err := h.action(w, r, cm, st, &req)
	if err != nil {
		return err
	}
	if req.IsPositive == nil {
		return openboards.Errorf(openboards.CodeInvalid, "isPositive: required")
	}
	f, err := h.chat.SetFeedback(r.Context(), cm, id, openboards.Feedback{IsPositive: *req.IsPositive, Text: req.Text})
	if err != nil {
		return err
	}
	httpapi.WriteData(w, visitorFeedbackJSON{IsPositive: f.IsPositive, Text: f.Text})
	return nil
}

// handleVisitorClose ends the chat; ending an ended chat changes nothing.
func (h *Handler) handleVisitorClose(w http.ResponseWriter, r *http.Request, cm *openboards.Community, st *openboards.WidgetSettings) error {
	id, err := h.action(w, r, cm, st, nil)
	if err != nil {
		return err
	}
	v, err := h.chat.Close(r.Context(), cm, id)
	if err != nil {
		return err
	}
	out := visitorOut(v, st)
	out.Messages = nil
	httpapi.WriteData(w, out)
	return nil
}

type offlineRequest struct {
	Name    string  `json:"name"`
	Email   string  `json:"email"`
	Message string  `json:"message"`
	URL     *string `json:"url"`
}

type offlineJSON struct {
	TicketID int64 `json:"ticketId"`
}

// Offline tickets come from the web, as the documented Ticket example's
// web_website does.
const sourceWeb = "web"

// handleOfflineTicket is the offline form: a ticket from the visitor's
// e-mail address, which the team answers by e-mail. An existing client's
// details are not changed by it (the form proves nothing of who sent it).
func (h *Handler) handleOfflineTicket(w http.ResponseWriter, r *http.Request, cm *openboards.Community, st *openboards.WidgetSettings) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxVisitorBody)
	var req offlineRequest
	if err := httpapi.Decode(r, &req, true); err != nil {
		return err
	}
	name, email := strings.TrimSpace(req.Name), strings.TrimSpace(req.Email)
	if email == "" {
		return openboards.Errorf(openboards.CodeInvalid, "email: required, so that the team can answer")
	}
	if err := openboards.CheckEmail("email", email); err != nil {
		return err
	}
	if err := checkVisitorMessage(req.Message, true); err != nil {
		return err
	}
	if err := openboards.CheckLen("name", name, openboards.MaxNameLen); err != nil {
		return err
	}
	page := ""
	if req.URL != nil {
		page = strings.TrimSpace(*req.URL)
		if err := openboards.CheckLen("url", page, openboards.MaxURLLen); err != nil {
			return err
		}
	}
	if err := h.opened.Take(clientip.FromRequest(r)); err != nil {
		return err
	}
	creator := &ticket.CreatorInput{Email: &email}
	if _, err := h.store.FindUserByEmail(r.Context(), cm.ID, email); openboards.ErrorCode(err) == openboards.CodeNotFound {
		if name != "" {
			creator.Name = &name
		}
	} else if err != nil {
		return err
	}
	title := "Message from " + email
	if name != "" {
		title = "Message from " + name
	}
	message := req.Message
	if page != "" {
		message += "\n\nSent from " + page
	}
	isHTML := false
	id, err := h.tickets.CreateTicket(r.Context(), cm, ticket.CreateTicketInput{Source: sourceWeb, DetailedSource: openboards.DetailedSourceWebsite,
		Title: truncate(title, openboards.MaxTitleLen), Message: message, IsHTML: &isHTML, Creator: creator})
	if err != nil {
		return err
	}
	httpapi.WriteData(w, offlineJSON{TicketID: id})
	return nil
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

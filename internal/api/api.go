// Package api serves the Socialboards-compatible Ticket API: the documented
// endpoints at the server root (paths matched without regard to case), the
// {data, errorCode, errorText} envelope, bearer-token and legacy header
// authentication, and the extensions documented in docs/compatibility.md.
package api

import (
	"time"

	"errors"
	"log/slog"
	"net/http"
	"openboards/internal/chat"
	"openboards/internal/faq"
	"runtime"
	"strings"

	"openboards/internal/clientip"
	"openboards/internal/community"
	"openboards/internal/httpapi"
	"openboards/internal/limit"
	"openboards/internal/live"
	"openboards/internal/obs"
	"openboards/internal/openboards"
	"openboards/internal/ticket"
	"openboards/internal/webhook"
)

// Options configure a Handler. The zero value is usable.
type Options struct {
	// BasePath is a path prefix the API is mounted below, e.g. "/v2"; requests
	// outside it get 404. Empty means the server root.
	BasePath string
	// MaxBodyBytes limits request bodies; 0 means 1 MiB.
	MaxBodyBytes int64
	// Log receives internal errors; nil discards them.
	Log *slog.Logger
	// Webhooks serves the webhook configuration endpoints; nil leaves them
	// out.
	Webhooks *webhook.Service
	// Failures limits failed token requests and legacy X-Token checks per
	// client id (or community) and client address; the server shares one
	// with the inbox. Nil gives the handler its own with the default
	// limits.
	Failures *limit.Failures
	// Chat serves the External Chat API; nil gives the handler one on its
	// store and ticket service, on the system clock.
	Chat *chat.Service
	// Live feeds the conversation streams; nil leaves them unavailable
	// (503).
	Live *live.Hub
	// FAQ serves the FAQ API; nil gives the handler one on its store.
	FAQ *faq.Service
}

// Handler serves the Ticket API.
type Handler struct {
	store       openboards.Store
	tickets     *ticket.Service
	communities *community.Service
	opt         Options
	log         *slog.Logger
	mux         *httpapi.Mux
	chat        *chat.Service
	faq         *faq.Service
	faqVotes    *limit.Counter // anonymous votes per client address
	faqViews    *limit.Counter // anonymous views per client address
	faqSeen     *seenViews
}

// NewHandler returns the Ticket API handler.
func NewHandler(store openboards.Store, tickets *ticket.Service, communities *community.Service, opt Options) *Handler {
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = 1 << 20
	}
	if opt.Failures == nil {
		opt.Failures = limit.NewFailures(limit.FailureOptions{})
	}
	opt.BasePath = strings.TrimRight(strings.ToLower(opt.BasePath), "/")
	h := &Handler{store: store, tickets: tickets, communities: communities, opt: opt, log: opt.Log, mux: httpapi.NewMux(), chat: opt.Chat}
	if h.faq = opt.FAQ; h.faq == nil {
		h.faq = faq.NewService(store, time.Now)
	}
	if h.chat == nil {
		h.chat = chat.NewService(store, tickets, time.Now)
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.routes()
	return h
}

// Prefixes returns the first path segments, below the base path, of the
// Ticket API's endpoints, in lower case; requests match them without regard
// to case. The webhook endpoints are among them even when Options leave
// them out.
func Prefixes() []string {
	return []string{"token", "healthz", "categories", "customfields", "teammates", "usergroups", "tickets", "tags", "widgets", "webhooks", "chat", "faq"}
}

// Routes returns the route patterns the API registered, in registration
// order; the pattern "/" answers every request no other route takes.
func (h *Handler) Routes() []string { return h.mux.Patterns() }

// routes registers every endpoint. Patterns are lower case: ServeHTTP
// lower-cases the request path before matching.
func (h *Handler) routes() {
	m := h.mux
	// Every request no route takes (unknown path, or a known path with
	// another method) gets an answer in the envelope.
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { h.writeError(w, r, httpapi.Unmatched(h.mux.ServeMux, r)) })
	m.HandleFunc("POST /token", h.handleToken) // tokenRoute
	m.HandleFunc("GET /healthz", h.handleHealth)

	m.Handle("GET /categories", h.auth(h.handleCategoryList))
	m.Handle("POST /categories", h.auth(h.handleCategoryCreate))
	m.Handle("GET /categories/subcategories", h.auth(h.handleSubcategories))
	m.Handle("GET /categories/{id}/subcategories", h.auth(h.handleSubcategories))
	m.Handle("GET /categories/{id}", h.auth(h.handleCategoryGet))
	m.Handle("PATCH /categories/{id}", h.auth(h.handleCategoryUpdate))
	m.Handle("DELETE /categories/{id}", h.auth(h.handleCategoryDelete))

	m.Handle("GET /customfields", h.auth(h.handleCustomFieldList))
	m.Handle("POST /customfields", h.auth(h.handleCustomFieldCreate))
	m.Handle("GET /customfields/{id}", h.auth(h.handleCustomFieldGet))
	m.Handle("PUT /customfields/{id}", h.auth(h.handleCustomFieldUpdate))
	m.Handle("DELETE /customfields/{id}", h.auth(h.handleCustomFieldDelete))

	m.Handle("GET /teammates", h.auth(h.handleTeammateList))
	m.Handle("GET /usergroups", h.auth(h.handleUserGroupList))
	m.Handle("POST /usergroups", h.auth(h.handleUserGroupCreate))
	m.Handle("GET /usergroups/{id}", h.auth(h.handleUserGroupGet))
	m.Handle("PATCH /usergroups/{id}", h.auth(h.handleUserGroupUpdate))
	m.Handle("DELETE /usergroups/{id}", h.auth(h.handleUserGroupDelete))
	m.Handle("POST /usergroups/{id}/teammates", h.auth(h.handleUserGroupAddMembers))
	m.Handle("DELETE /usergroups/{id}/teammates/{userId}", h.auth(h.handleUserGroupRemoveMember))

	m.Handle("POST /tickets", h.auth(h.handleTicketCreate))
	m.Handle("POST /tickets/list", h.auth(h.handleTicketList))
	m.Handle("POST /tickets/ids", h.auth(h.handleTicketIDs))
	m.Handle("GET /tickets/{id}", h.auth(h.handleTicketGet))
	m.Handle("PATCH /tickets/{id}/customfields", h.auth(h.handleTicketFieldValues))
	m.Handle("PUT /tickets/{id}/customfields", h.auth(h.handleTicketFieldValues))
	m.Handle("PATCH /tickets/{id}/assignee", h.auth(h.handleTicketAssignee))
	m.Handle("PATCH /tickets/{id}/status", h.auth(h.handleTicketStatus))
	m.Handle("PATCH /tickets/{id}/category", h.auth(h.handleTicketCategory))
	m.Handle("PUT /tickets/{id}/category", h.auth(h.handleTicketCategoryObsolete))
	m.Handle("PUT /tickets/{id}/tags", h.auth(h.handleTicketTags))
	m.Handle("POST /tickets/{id}/log", h.auth(h.handleTicketLog))
	m.Handle("POST /tickets/{id}/read", h.auth(h.handleTicketRead))

	m.Handle("GET /tickets/{id}/replies", h.auth(h.handleReplyList))
	m.Handle("POST /tickets/{id}/replies", h.auth(h.handleReplyCreate))
	m.Handle("PATCH /tickets/{id}/replies/{replyId}", h.auth(h.handleReplyUpdate))
	m.Handle("DELETE /tickets/{id}/replies/{replyId}", h.auth(h.handleReplyDelete))
	m.Handle("PUT /tickets/{id}/replies/{replyId}/tags", h.auth(h.handleReplyTags))

	m.Handle("GET /tickets/{id}/notes", h.auth(h.handleNoteList))
	m.Handle("POST /tickets/{id}/notes", h.auth(h.handleNoteCreate))
	m.Handle("PATCH /tickets/{id}/notes/{noteId}", h.auth(h.handleNoteUpdate))
	m.Handle("PUT /tickets/{id}/notes/{noteId}", h.auth(h.handleNoteUpdate))
	m.Handle("DELETE /tickets/{id}/notes/{noteId}", h.auth(h.handleNoteDelete))

	m.Handle("GET /tags", h.auth(h.handleTagList))

	m.Handle("GET /widgets/schedules", h.auth(h.handleWidgetScheduleList))
	m.Handle("POST /widgets/schedules", h.auth(h.handleWidgetSchedulePut))
	m.Handle("DELETE /widgets/schedules/{widgetId}", h.auth(h.handleWidgetScheduleDelete))

	h.chatRoutes()
	h.faqRoutes()
	if h.opt.Webhooks != nil {
		h.webhookRoutes()
	}
}

// ServeHTTP normalises the path (base path, letter case, trailing slash),
// limits the body, recovers panics and answers unknown routes in the
// envelope.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			buf := make([]byte, 4096)
			buf = buf[:runtime.Stack(buf, false)]
			h.log.ErrorContext(r.Context(), "api: panic", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(buf))
			h.writeError(w, r, errors.New("panic"))
		}
	}()
	p := strings.ToLower(r.URL.Path)
	if h.opt.BasePath != "" {
		rest, ok := strings.CutPrefix(p, h.opt.BasePath)
		if !ok || (rest != "" && rest[0] != '/') {
			h.writeError(w, r, openboards.Errorf(openboards.CodeNotFound, "no endpoint at %s", r.URL.Path))
			return
		}
		p = rest
	}
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	if p == "" {
		p = "/"
	}
	r.URL.Path, r.URL.RawPath = p, ""
	if r.ContentLength > h.opt.MaxBodyBytes {
		// Answered before a byte is read.
		_, pattern := h.mux.Handler(r)
		obs.SetRoute(r.Context(), pattern)
		w.Header().Set("Connection", "close")
		if pattern == tokenRoute {
			writeTokenTooLarge(w)
			return
		}
		h.writeError(w, r, &http.MaxBytesError{Limit: h.opt.MaxBodyBytes})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.opt.MaxBodyBytes)
	obs.Routed(h.mux).ServeHTTP(w, r)
}

// auth requires a valid bearer token (or the legacy Community and X-Token
// headers) and passes the caller's community to next.
func (h *Handler) auth(next func(http.ResponseWriter, *http.Request, *openboards.Community) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cm *openboards.Community
		var err error
		if r.Header.Get("Authorization") == "" && (r.Header.Get("X-Token") != "" || r.Header.Get("Community") != "") {
			name, secret := r.Header.Get("Community"), r.Header.Get("X-Token")
			if name == "" || secret == "" {
				err = openboards.Errorf(openboards.CodeUnauthorized, "legacy authentication needs both the Community and X-Token headers")
			} else {
				cm, err = h.authenticateLegacy(r, name, secret)
			}
		} else {
			cm, err = httpapi.Bearer(r, h.communities)
		}
		if err != nil {
			httpapi.Challenge(w, err)
			h.writeError(w, r, err)
			return
		}
		obs.SetCommunity(r.Context(), cm.Name)
		if err := next(w, r, cm); err != nil {
			h.writeError(w, r, err)
		}
	})
}

// authenticateLegacy checks the legacy header pair, with its failures
// limited per community and client address, and per client address.
func (h *Handler) authenticateLegacy(r *http.Request, name, secret string) (*openboards.Community, error) {
	done, err := h.opt.Failures.Begin("legacy\x00"+strings.ToLower(strings.TrimSpace(name)), clientip.FromRequest(r))
	if err != nil {
		return nil, err
	}
	cm, err := h.communities.AuthenticateLegacy(r.Context(), name, secret)
	done(openboards.ErrorCode(err) == openboards.CodeUnauthorized)
	return cm, err
}

func (h *Handler) handleHealth(w http.ResponseWriter, r *http.Request) {
	if _, err := h.store.Setting(r.Context(), community.SigningKeySetting); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeData(w, map[string]string{"status": "ok"})
}

func (h *Handler) writeData(w http.ResponseWriter, data any) { httpapi.WriteData(w, data) }

// ok answers data in the success envelope; handlers return it.
func (h *Handler) ok(w http.ResponseWriter, data any) error {
	h.writeData(w, data)
	return nil
}

// writeError answers with err in the envelope; internal errors are logged
// and shown only as "internal error".
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.WriteError(w, r, h.log, err)
}

// ticketPage reads the ticket id of the path and the page of the query, and
// checks that the ticket exists in the caller's community: the common head
// of the endpoints that list a ticket's replies, notes and log.
func (h *Handler) ticketPage(r *http.Request, cm *openboards.Community) (id int64, skip, take int, err error) {
	if id, err = httpapi.PathID(r, "id"); err != nil {
		return 0, 0, 0, err
	}
	if skip, take, err = httpapi.Page(r); err != nil {
		return 0, 0, 0, err
	}
	if _, err = h.store.FindTicketByID(r.Context(), cm.ID, id); err != nil {
		return 0, 0, 0, err
	}
	return id, skip, take, nil
}

// Package api serves the Socialboards-compatible Ticket API: the documented
// endpoints at the server root (paths matched without regard to case), the
// {data, errorCode, errorText} envelope, bearer-token and legacy header
// authentication, and the extensions documented in docs/compatibility.md.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"openboards/internal/community"
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
}

// Handler serves the Ticket API.
type Handler struct {
	store       openboards.Store
	tickets     *ticket.Service
	communities *community.Service
	opt         Options
	log         *slog.Logger
	mux         *http.ServeMux
}

// NewHandler returns the Ticket API handler.
func NewHandler(store openboards.Store, tickets *ticket.Service, communities *community.Service, opt Options) *Handler {
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = 1 << 20
	}
	opt.BasePath = strings.TrimRight(strings.ToLower(opt.BasePath), "/")
	h := &Handler{store: store, tickets: tickets, communities: communities, opt: opt, log: opt.Log, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.routes()
	return h
}

// routes registers every endpoint. Patterns are lower case: ServeHTTP
// lower-cases the request path before matching.
func (h *Handler) routes() {
	m := h.mux
	// Every request no route takes (unknown path, or a known path with
	// another method) gets an answer in the envelope.
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { h.writeError(w, r, h.unmatched(r)) })
	m.HandleFunc("POST /token", h.handleToken)
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
			h.log.Error("api: panic", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(buf))
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
	r.Body = http.MaxBytesReader(w, r.Body, h.opt.MaxBodyBytes)
	h.mux.ServeHTTP(w, r)
}

// unmatched explains why no route matched: a wrong method or no such path.
func (h *Handler) unmatched(r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := h.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		return &methodError{method: r.Method, path: r.URL.Path, allow: allow}
	}
	return openboards.Errorf(openboards.CodeNotFound, "no endpoint at %s %s", r.Method, r.URL.Path)
}

// methodError is a request for a known path with a method it lacks.
type methodError struct {
	method, path string
	allow        []string
}

func (e *methodError) Error() string {
	return fmt.Sprintf("method %s is not allowed on %s", e.method, e.path)
}

type ctxKey struct{}

// auth requires a valid bearer token (or the legacy Community and X-Token
// headers) and puts the caller's community in the request context.
func (h *Handler) auth(next func(http.ResponseWriter, *http.Request, *openboards.Community) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cm *openboards.Community
		var err error
		authz := r.Header.Get("Authorization")
		switch {
		case authz != "":
			scheme, tok, ok := strings.Cut(authz, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
				err = openboards.Errorf(openboards.CodeUnauthorized, "Authorization: want \"Bearer <access token>\"")
				break
			}
			cm, err = h.communities.Authenticate(r.Context(), strings.TrimSpace(tok))
		case r.Header.Get("X-Token") != "" || r.Header.Get("Community") != "":
			name, secret := r.Header.Get("Community"), r.Header.Get("X-Token")
			if name == "" || secret == "" {
				err = openboards.Errorf(openboards.CodeUnauthorized, "legacy authentication needs both the Community and X-Token headers")
				break
			}
			cm, err = h.communities.AuthenticateLegacy(r.Context(), name, secret)
		default:
			err = openboards.Errorf(openboards.CodeUnauthorized, "Authorization: missing bearer access token")
		}
		if err != nil {
			if openboards.ErrorCode(err) == openboards.CodeUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="openboards"`)
			}
			h.writeError(w, r, err)
			return
		}
		if err := next(w, r, cm); err != nil {
			h.writeError(w, r, err)
		}
	})
}

func (h *Handler) handleHealth(w http.ResponseWriter, r *http.Request) {
	if _, err := h.store.Setting(r.Context(), community.SigningKeySetting); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeData(w, map[string]string{"status": "ok"})
}

// result is the documented response envelope.
type result struct {
	Data      any     `json:"data"`
	ErrorCode int     `json:"errorCode"`
	ErrorText *string `json:"errorText"`
}

// emptyObject is the documented {} payload of updates.
var emptyObject = struct{}{}

func (h *Handler) writeData(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, result{Data: data, ErrorCode: -1})
}

// ok answers data in the success envelope; handlers return it.
func (h *Handler) ok(w http.ResponseWriter, data any) error {
	h.writeData(w, data)
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"data":null,"errorCode":500,"errorText":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// status maps an error to its HTTP status, which is also the envelope's
// errorCode.
func status(err error) int {
	var me *methodError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &me):
		return http.StatusMethodNotAllowed
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, context.Canceled):
		return 499 // the client went away; nobody reads this
	}
	switch openboards.ErrorCode(err) {
	case openboards.CodeInvalid:
		return http.StatusBadRequest
	case openboards.CodeUnauthorized:
		return http.StatusUnauthorized
	case openboards.CodeForbidden:
		return http.StatusForbidden
	case openboards.CodeNotFound:
		return http.StatusNotFound
	case openboards.CodeConflict:
		return http.StatusConflict
	case openboards.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case openboards.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError answers with err in the envelope. Internal errors are logged
// and shown only as "internal error".
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := status(err)
	var text string
	var me *methodError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &me):
		text = me.Error()
		w.Header().Set("Allow", strings.Join(me.allow, ", "))
	case errors.As(err, &mbe):
		text = fmt.Sprintf("body: larger than the limit of %d bytes", mbe.Limit)
	case code == http.StatusInternalServerError || code == 499:
		h.log.Error("api: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		text = "internal error"
	default:
		text = openboards.ErrorMessage(err)
	}
	writeJSON(w, code, result{ErrorCode: code, ErrorText: &text})
}

// decode reads a JSON body into v. An empty body leaves v as it is unless
// required. Errors name the offending field.
func decode(r *http.Request, v any, required bool) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return openboards.Errorf(openboards.CodeInvalid, "body: could not be read")
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		if required {
			return openboards.Errorf(openboards.CodeInvalid, "body: a JSON body is required")
		}
		return nil
	}
	return unmarshal(b, v)
}

// unmarshal decodes JSON, turning decoder errors into field-named errors.
func unmarshal(b []byte, v any) error {
	err := json.Unmarshal(b, v)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var fe *fieldError
	switch {
	case errors.As(err, &fe):
		return openboards.Errorf(openboards.CodeInvalid, "%s", fe.Error())
	case errors.As(err, &se):
		return openboards.Errorf(openboards.CodeInvalid, "body: invalid JSON at byte %d: %s", se.Offset, se.Error())
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return openboards.Errorf(openboards.CodeInvalid, "%s: must be %s, not %s", field, typeName(te.Type.String()), te.Value)
	}
	return openboards.Errorf(openboards.CodeInvalid, "body: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// fieldError is a decoding error that already names its field.
type fieldError struct{ msg string }

func (e *fieldError) Error() string { return e.msg }

func typeName(t string) string {
	switch {
	case strings.HasPrefix(t, "[]") || strings.HasPrefix(t, "*[]"):
		return "an array"
	case strings.Contains(t, "int"):
		return "an integer"
	case strings.Contains(t, "float"):
		return "a number"
	case t == "string" || t == "*string":
		return "a string"
	case t == "bool" || t == "*bool":
		return "true or false"
	}
	return "an object"
}

// pathID parses an integer path value.
func pathID(r *http.Request, name string) (int64, error) {
	s := r.PathValue(name)
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, openboards.Errorf(openboards.CodeInvalid, "%s: %q is not a positive integer id", name, s)
	}
	return id, nil
}

// queryInt parses an optional integer query parameter (names match without
// regard to case).
func queryInt(r *http.Request, name string) (int, bool, error) {
	s, ok := queryValue(r, name)
	if !ok || s == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false, openboards.Errorf(openboards.CodeInvalid, "%s: %q is not an integer", name, s)
	}
	return n, true, nil
}

// queryBool parses an optional boolean query parameter.
func queryBool(r *http.Request, name string) (bool, error) {
	s, ok := queryValue(r, name)
	if !ok || s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, openboards.Errorf(openboards.CodeInvalid, "%s: %q is not true or false", name, s)
	}
	return b, nil
}

func queryValue(r *http.Request, name string) (string, bool) {
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return strings.TrimSpace(v[0]), true
		}
	}
	return "", false
}

// page reads skip and take from the query, with the documented defaults.
func page(r *http.Request) (int, int, error) {
	skip, _, err := queryInt(r, "skip")
	if err != nil {
		return 0, 0, err
	}
	take, _, err := queryInt(r, "take")
	if err != nil {
		return 0, 0, err
	}
	skip, take = openboards.ClampPage(skip, take)
	return skip, take, nil
}

// ticketPage reads the ticket id of the path and the page of the query, and
// checks that the ticket exists in the caller's community: the common head
// of the endpoints that list a ticket's replies, notes and log.
func (h *Handler) ticketPage(r *http.Request, cm *openboards.Community) (id int64, skip, take int, err error) {
	if id, err = pathID(r, "id"); err != nil {
		return 0, 0, 0, err
	}
	if skip, take, err = page(r); err != nil {
		return 0, 0, 0, err
	}
	if _, err = h.store.FindTicketByID(r.Context(), cm.ID, id); err != nil {
		return 0, 0, 0, err
	}
	return id, skip, take, nil
}

// timeLayout prints times as .NET does: up to 7 fractional digits, trailing
// zeros dropped, and a numeric offset (never "Z").
const timeLayout = "2006-01-02T15:04:05.9999999-07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// parseTime reads an ISO 8601 time with an offset (or Z), as filters take.
func parseTime(field, s string) (*time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return nil, openboards.Errorf(openboards.CodeInvalid, "%s: %q is not a date-time like 2020-01-01T00:00:00+00:00", field, s)
	}
	return &t, nil
}

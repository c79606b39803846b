// Package inbox serves the agent inbox: the server-rendered web pages where
// teammates sign in and work their community's tickets. Pages are
// html/template files and the style sheet is a static file, both embedded;
// every action goes through the same services as the Ticket API, so it
// writes the same log entries and raises the same webhook events.
//
// Sessions live in the database behind an HttpOnly, SameSite=Lax cookie.
// Unsafe requests must come from the inbox's own origin
// (http.CrossOriginProtection) and carry the session's CSRF token.
package inbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"openboards/internal/chat"
	"openboards/internal/community"
	"openboards/internal/httpapi"
	"openboards/internal/limit"
	"openboards/internal/live"
	"openboards/internal/obs"
	"openboards/internal/openboards"
	"openboards/internal/ticket"
	"openboards/internal/webhook"
	"openboards/internal/widget"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// cookieName names the session cookie.
const cookieName = "openboards_session"

// Options configure a Handler.
type Options struct {
	// BasePath prefixes every inbox path, e.g. "/v2"; empty for the root.
	BasePath string
	// SecureCookies marks the session cookie Secure (an https base URL).
	SecureCookies bool
	// Log receives internal errors; nil discards them.
	Log *slog.Logger
	// Live tells open pages which tickets changed; nil turns live updates
	// off.
	Live *live.Hub
	// Webhooks configures the community's webhooks on the settings pages;
	// nil leaves those pages unavailable.
	Webhooks *webhook.Service
	// Failures limits failed sign-ins per account and client address; the
	// server shares one with the Ticket API. Nil gives the handler its own
	// with the default limits.
	Failures *limit.Failures
	// Chat serves live chat; nil gives the handler one on its store and
	// ticket service, on the system clock.
	Chat *chat.Service
	// Widgets keeps the support widgets' settings; nil gives the handler
	// one on its store.
	Widgets *widget.Service
}

// Handler serves the inbox.
type Handler struct {
	store       openboards.Store
	tickets     *ticket.Service
	communities *community.Service
	chat        *chat.Service
	widgets     *widget.Service
	opt         Options
	log         *slog.Logger
	pages       map[string]*template.Template
	static      map[string]staticFile // by name
	mux         *httpapi.Mux
	handler     http.Handler
	counts      statusCounts
}

type staticFile struct {
	body []byte
	hash string // first bytes of its SHA-256, in its URL
	typ  string
}

// partials are the templates every page is parsed with; every other file
// in templates/ is a page, named after its file.
var partials = []string{"templates/layout.html", "templates/ticket.html"}

// NewHandler returns the inbox handler.
func NewHandler(store openboards.Store, tickets *ticket.Service, communities *community.Service, opt Options) (*Handler, error) {
	opt.BasePath = strings.TrimRight(opt.BasePath, "/")
	h := &Handler{store: store, tickets: tickets, communities: communities, opt: opt, log: opt.Log,
		pages: map[string]*template.Template{}, static: map[string]staticFile{}, mux: httpapi.NewMux()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.opt.Failures == nil {
		h.opt.Failures = limit.NewFailures(limit.FailureOptions{})
	}
	if h.chat = opt.Chat; h.chat == nil {
		h.chat = chat.NewService(store, tickets, time.Now)
	}
	if h.widgets = opt.Widgets; h.widgets == nil {
		h.widgets = widget.NewService(store, time.Now)
	}
	if err := h.load(); err != nil {
		return nil, err
	}
	h.routes()
	cop := http.NewCrossOriginProtection()
	h.handler = cop.Handler(obs.Routed(h.mux))
	return h, nil
}

// Prefixes returns the first path segments, below the base path, of the
// inbox's own pages. Every other first segment names a community: the
// inbox serves /{community}/..., so the server reserves these names.
// Static files are under /static/, matched before the routes.
func Prefixes() []string { return []string{"signin", "signout", "static"} }

// Routes returns the route patterns the inbox registered, in registration
// order.
func (h *Handler) Routes() []string { return h.mux.Patterns() }

// load parses the templates and reads the static files once.
func (h *Handler) load() error {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	for _, f := range files {
		if slices.Contains(partials, f) {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		t, err := template.New(name).ParseFS(templateFS, append(slices.Clone(partials), f)...)
		if err != nil {
			return err
		}
		h.pages[name] = t
	}
	return fs.WalkDir(staticFS, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		typ := "application/octet-stream"
		switch {
		case strings.HasSuffix(path, ".css"):
			typ = "text/css; charset=utf-8"
		case strings.HasSuffix(path, ".js"):
			typ = "text/javascript; charset=utf-8"
		}
		h.static[strings.TrimPrefix(path, "static/")] = staticFile{body: body, hash: hex.EncodeToString(sum[:6]), typ: typ}
		return nil
	})
}

func (h *Handler) routes() {
	m := h.mux
	m.HandleFunc("/", h.handleUnmatched)
	m.Handle("GET /{$}", http.RedirectHandler(h.opt.BasePath+"/signin", http.StatusSeeOther))
	m.HandleFunc("GET /signin", h.handleSignInForm)
	m.HandleFunc("POST /signin", h.handleSignIn)
	m.Handle("POST /signout", h.auth(h.handleSignOut))
	m.Handle("GET /{community}/tickets", h.auth(h.handleTickets))
	m.Handle("GET /{community}/account", h.auth(h.handleAccount))
	h.liveRoutes()
	h.chatRoutes()
	m.Handle("GET /{community}/settings", h.auth(h.admin(h.handleSettings)))
	h.webhookSettingsRoutes()
	h.apiSettingsRoutes()
	h.setupRoutes()
	m.Handle("POST /{community}/account/password", h.auth(h.handlePassword))
	m.Handle("POST /{community}/tickets/{id}/replies/{item}/delete", h.auth(h.editor(h.deleteItem("reply"))))
	m.Handle("POST /{community}/tickets/{id}/notes/{item}/delete", h.auth(h.editor(h.deleteItem("note"))))
	for _, action := range []string{"reply", "note", "status", "assignee", "category", "tags", "fields"} {
		m.Handle("POST /{community}/tickets/{id}/"+action, h.auth(h.editor(h.ticketAction(action))))
	}
}

// ServeHTTP strips the base path and serves the inbox.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.opt.BasePath != "" {
		rest, ok := strings.CutPrefix(r.URL.Path, h.opt.BasePath)
		if !ok || (rest != "" && rest[0] != '/') {
			http.NotFound(w, r)
			return
		}
		r = r.Clone(r.Context())
		r.URL.Path, r.URL.RawPath = rest, ""
	}
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	// Static files are matched here, not by the mux, where
	// /static/{hash}/{name} would conflict with /{community}/settings/{page}
	// patterns (no community may be named "static").
	if rest, ok := strings.CutPrefix(r.URL.Path, "/static/"); ok && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		hash, name, _ := strings.Cut(rest, "/")
		r = r.Clone(r.Context())
		r.SetPathValue("hash", hash)
		r.SetPathValue("name", name)
		obs.SetRoute(r.Context(), "GET /static/{hash}/{name}")
		h.handleStatic(w, r)
		return
	}
	if !h.readForm(w, r) {
		return
	}
	h.handler.ServeHTTP(w, r)
}

func (h *Handler) handleStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := h.static[r.PathValue("name")]
	if !ok || f.hash != r.PathValue("hash") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.typ)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(f.body)
}

// ctxKey carries the signed-in teammate in a request's context.
type ctxKey struct{}

// auth requires a session whose community is the one in the path (when
// the path names one); others are sent to sign in.
func (h *Handler) auth(next func(http.ResponseWriter, *http.Request, *community.SignedIn) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in *community.SignedIn
		c, err := r.Cookie(cookieName)
		if err == nil {
			in, err = h.communities.Session(r.Context(), c.Value)
		}
		if err != nil {
			if openboards.ErrorCode(err) == openboards.CodeUnauthorized || errors.Is(err, http.ErrNoCookie) {
				if r.Method == http.MethodGet {
					http.Redirect(w, r, h.opt.BasePath+"/signin?next="+url.QueryEscape(h.opt.BasePath+r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				h.fail(w, r, nil, openboards.Errorf(openboards.CodeUnauthorized, "your session has ended; sign in again"))
				return
			}
			h.fail(w, r, nil, err)
			return
		}
		if in.Extended {
			// The session lives on: so does the browser's cookie.
			h.setSessionCookie(w, c.Value)
		}
		if name := r.PathValue("community"); name != "" && !strings.EqualFold(name, in.Community.Name) {
			h.fail(w, r, in, openboards.Errorf(openboards.CodeNotFound, "there is no community %q here", name))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(in.Session.CSRF)) != 1 {
				h.fail(w, r, in, openboards.Errorf(openboards.CodeForbidden, "the form is out of date; reload the page and try again"))
				return
			}
		}
		if err := next(w, r, in); err != nil {
			h.fail(w, r, in, err)
		}
	})
}

// editor refuses changes by read-only teammates.
func (h *Handler) editor(next func(http.ResponseWriter, *http.Request, *community.SignedIn) error) func(http.ResponseWriter, *http.Request, *community.SignedIn) error {
	return func(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
		if !canEdit(in.User) {
			return openboards.Errorf(openboards.CodeForbidden, "read-only teammates cannot change tickets")
		}
		return next(w, r, in)
	}
}

// admin limits settings to the community's admins.
func (h *Handler) admin(next func(http.ResponseWriter, *http.Request, *community.SignedIn) error) func(http.ResponseWriter, *http.Request, *community.SignedIn) error {
	return func(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
		if in.User.Role != openboards.RoleAdmin {
			return openboards.Errorf(openboards.CodeForbidden, "only the community's admins can see and change its settings")
		}
		return next(w, r, in)
	}
}

func (h *Handler) handleSettings(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	h.render(w, http.StatusOK, "settings", h.newPage("Settings", in, nil))
	return nil
}

func canEdit(u *openboards.User) bool { return u.Role != openboards.RoleReadOnlyUser }

// page is what every template gets.
type page struct {
	Title     string
	Base      string
	Community string
	Signed    *community.SignedIn
	CSRF      string
	Flash     string
	Error     string
	Data      any
	static    map[string]staticFile
}

// Static is the URL of a static file, with its content hash.
func (p *page) Static(name string) string {
	return p.Base + "/static/" + p.static[name].hash + "/" + name
}

func (h *Handler) newPage(title string, in *community.SignedIn, data any) *page {
	p := &page{Title: title, Base: h.opt.BasePath, Signed: in, Data: data, static: h.static}
	if in != nil {
		p.Community, p.CSRF = in.Community.Name, in.Session.CSRF
	}
	return p
}

// render writes a page with status.
func (h *Handler) render(w http.ResponseWriter, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.Error("inbox: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// handleUnmatched answers every request no route takes. A path the inbox
// serves, asked with another method, answers 405 as a page with the Allow
// header. Any other path is none of the inbox's pages: it is most likely a
// mistyped API endpoint (the router sends every first segment it does not
// know here, as a community name), so it answers 404 in the API's JSON
// envelope, as the Ticket API does for its own unknown paths.
func (h *Handler) handleUnmatched(w http.ResponseWriter, r *http.Request) {
	// Metrics and logs name no route for these, not the catch-all's "/".
	obs.SetRoute(r.Context(), obs.Unmatched)
	err := httpapi.Unmatched(h.mux.ServeMux, r)
	var me *httpapi.MethodError
	if errors.As(err, &me) {
		w.Header().Set("Allow", strings.Join(me.Allow, ", "))
		p := h.newPage(http.StatusText(http.StatusMethodNotAllowed), nil, nil)
		p.Error = "This page does not take a " + r.Method + " request."
		h.render(w, http.StatusMethodNotAllowed, "error", p)
		return
	}
	httpapi.WriteError(w, r, h.log, err)
}

// fail answers an error as a page that says what went wrong.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, in *community.SignedIn, err error) {
	status := httpapi.Status(openboards.ErrorCode(err))
	msg := openboards.ErrorMessage(err)
	httpapi.SetRetryAfter(w, err)
	if status == http.StatusInternalServerError {
		if errors.Is(err, context.Canceled) {
			return
		}
		h.log.ErrorContext(r.Context(), "inbox: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "Something went wrong on our side; please try again."
	}
	title := http.StatusText(status)
	p := h.newPage(title, in, nil)
	p.Error = msg
	h.render(w, status, "error", p)
}

package widget

import (
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"openboards/internal/chat"
	"openboards/internal/httpapi"
	"openboards/internal/limit"
	"openboards/internal/live"
	"openboards/internal/obs"
	"openboards/internal/openboards"
	"openboards/internal/ticket"
)

// The widget's public surface, /widget/{community}/{widgetId}/..., which
// visitors' browsers call from the sites that embed the widget: no
// credentials, CORS for the widget's allowed origins, and the API's
// envelope.

// Handler serves the widget's public endpoints.
type Handler struct {
	base    string // the server's base path, e.g. "/v2"; empty for the root
	store   openboards.Store
	widgets *Service
	chat    *chat.Service
	tickets *ticket.Service
	hub     *live.Hub      // nil: no visitor streams
	opened  *limit.Counter // conversations per client address
	sent    *limit.Counter // messages per client address
	acted   *limit.Counter // other visitor requests per client address
	log     *slog.Logger
	assets  *assets
	// resolved keeps the widgets of recent requests: every page view of
	// every site asks for its widget, more than once.
	resolved resolvedCache
	mux      *httpapi.Mux
	handler  http.Handler
}

// Options are what the widget surface works with.
type Options struct {
	Widgets *Service
	Chat    *chat.Service
	Tickets *ticket.Service // the offline form's tickets
	Live    *live.Hub       // feeds the visitor streams; nil: none
	// BasePath is the server's base path (empty for the root).
	BasePath string
	Log      *slog.Logger // internal errors; nil discards them
}

// NewHandler returns the widget surface.
func NewHandler(store openboards.Store, o Options) (*Handler, error) {
	files, err := loadAssets()
	if err != nil {
		return nil, err
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{base: strings.TrimRight(o.BasePath, "/"), store: store, widgets: o.Widgets, chat: o.Chat, tickets: o.Tickets, hub: o.Live, log: log, mux: httpapi.NewMux(), assets: files}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		obs.SetRoute(r.Context(), obs.Unmatched)
		httpapi.WriteError(w, r, h.log, httpapi.Unmatched(h.mux.ServeMux, r))
	})
	h.mux.HandleFunc("GET /magic-widget.js", h.handleLoader)
	h.mux.HandleFunc("GET /widget/{community}/{widgetId}/panel", h.public(h.handlePanel))
	h.mux.HandleFunc("GET /widget/{community}/{widgetId}/config", h.public(h.handleConfig))
	h.mux.HandleFunc("OPTIONS /widget/{community}/{widgetId}/{rest...}", h.public(h.handlePreflight))
	h.visitorRoutes()
	h.handler = obs.Routed(h.mux)
	return h, nil
}

// Prefixes returns the first path segments the widget surface owns.
func Prefixes() []string { return []string{"widget", "magic-widget.js"} }

// Routes returns the route patterns, in registration order.
func (h *Handler) Routes() []string { return h.mux.Patterns() }

// ServeHTTP serves the widget's endpoints.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if h.base != "" {
		rest, ok := strings.CutPrefix(r.URL.Path, h.base)
		if !ok || (rest != "" && rest[0] != '/') {
			httpapi.WriteError(w, r, h.log, openboards.Errorf(openboards.CodeNotFound, "no endpoint %s", r.URL.Path))
			return
		}
		r = r.Clone(r.Context())
		r.URL.Path, r.URL.RawPath = rest, ""
	}
	h.handler.ServeHTTP(w, r)
}

// maxCommunityName bounds the community segment of a path; longer names
// exist nowhere.
const maxCommunityName = 100

// public resolves the widget of the path and checks the caller's origin
// against it, then runs next; failures are answered in the envelope.
func (h *Handler) public(next func(http.ResponseWriter, *http.Request, *openboards.Community, *openboards.WidgetSettings) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cm, st, err := h.resolve(r)
		if err == nil {
			err = allowOrigin(w, r, st)
		}
		if err == nil {
			err = next(w, r, cm, st)
		}
		if err != nil {
			httpapi.WriteError(w, r, h.log, err)
		}
	}
}

func (h *Handler) resolve(r *http.Request) (*openboards.Community, *openboards.WidgetSettings, error) {
	name := r.PathValue("community")
	id, err := strconv.ParseInt(r.PathValue("widgetId"), 10, 64)
	if err != nil || id <= 0 || name == "" || len(name) > maxCommunityName {
		return nil, nil, openboards.Errorf(openboards.CodeNotFound, "there is no widget %q of community %q", r.PathValue("widgetId"), name)
	}
	key := resolvedKey{strings.ToLower(name), id}
	if cm, st, ok := h.resolved.get(key, h.widgets.Generation()); ok {
		return cm, st, nil
	}
	gen := h.widgets.Generation()
	cm, st, err := h.lookup(r, name, id)
	if err == nil {
		h.resolved.put(key, gen, cm, st)
	}
	return cm, st, err
}

func (h *Handler) lookup(r *http.Request, name string, id int64) (*openboards.Community, *openboards.WidgetSettings, error) {
	cm, err := h.store.FindCommunityByName(r.Context(), name)
	if openboards.ErrorCode(err) == openboards.CodeNotFound {
		return nil, nil, openboards.Errorf(openboards.CodeNotFound, "there is no widget %d of community %q", id, name)
	}
	if err != nil {
		return nil, nil, err
	}
	st, err := h.widgets.Settings(r.Context(), cm, id)
	if openboards.ErrorCode(err) == openboards.CodeNotFound {
		return nil, nil, openboards.Errorf(openboards.CodeNotFound, "there is no widget %d of community %q", id, name)
	}
	return cm, st, err
}

// allowOrigin answers CORS for the widget: a page of an allowed origin may
// read the answers, any other origin is refused. A request without Origin
// (not from a page) is answered as is.
func allowOrigin(w http.ResponseWriter, r *http.Request, st *openboards.WidgetSettings) error {
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" || sameOrigin(r, origin) {
		return nil // not from a page, or from the widget's own panel
	}
	if !st.AllowsOrigin(origin) {
		return openboards.Errorf(openboards.CodeForbidden, "origin: %q may not use this widget; add it to the widget's allowed origins", origin)
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	return nil
}

// sameOrigin reports whether origin is this server's own: the panel's
// requests come from it.
func sameOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

func (h *Handler) handlePreflight(w http.ResponseWriter, r *http.Request, _ *openboards.Community, _ *openboards.WidgetSettings) error {
	hdr := w.Header()
	hdr.Set("Access-Control-Allow-Methods", "GET, POST, PATCH")
	hdr.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID")
	hdr.Set("Access-Control-Max-Age", strconv.Itoa(int((10 * time.Minute).Seconds())))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// configJSON is what a visitor's browser reads of a widget.
type configJSON struct {
	Community           string `json:"community"`
	WidgetID            int64  `json:"widgetId"`
	Name                string `json:"name"`
	Greeting            string `json:"greeting"`
	Color               string `json:"color"`
	OfflineText         string `json:"offlineText"`
	AskName             bool   `json:"askName"`
	AskEmail            bool   `json:"askEmail"`
	RequireVerification bool   `json:"requireVerification"`
	TimeZone            string `json:"timeZone"`
	// Online says whether the schedule staffs the widget now; outside it
	// the panel offers the offline form.
	Online bool `json:"online"`
}

func (h *Handler) handleConfig(w http.ResponseWriter, r *http.Request, cm *openboards.Community, st *openboards.WidgetSettings) error {
	cfg, err := h.config(r, cm, st)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "max-age=60")
	httpapi.WriteData(w, cfg)
	return nil
}

func (h *Handler) config(r *http.Request, cm *openboards.Community, st *openboards.WidgetSettings) (configJSON, error) {
	online, err := h.widgets.Online(r.Context(), cm, st)
	return configJSON{TimeZone: st.TimeZone, Online: online,
		Community: cm.Name, WidgetID: st.WidgetID, Name: st.Name, Greeting: st.Greeting, Color: st.Color,
		OfflineText: st.OfflineText, AskName: st.AskName, AskEmail: st.AskEmail, RequireVerification: st.RequireVerification,
	}, err
}

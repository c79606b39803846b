package cli

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"openboards/internal/api"
	"openboards/internal/chat"
	"openboards/internal/community"
	"openboards/internal/config"
	"openboards/internal/faq"
	"openboards/internal/inbox"
	"openboards/internal/limit"
	"openboards/internal/live"
	"openboards/internal/openboards"
	"openboards/internal/ticket"
	"openboards/internal/webhook"
	"openboards/internal/widget"
)

// surface is one HTTP surface of the server: its handler, which can list
// the route patterns it registered.
type surface interface {
	http.Handler
	Routes() []string
}

// surfaceDeps are what the surfaces are built from.
type surfaceDeps struct {
	cfg           config.Config
	store         openboards.Store // writes wake the dispatcher
	tickets       *ticket.Service
	communities   *community.Service
	webhooks      *webhook.Service
	chat          *chat.Service
	widgets       *widget.Service
	faq           *faq.Service // the knowledge base, shared by the surfaces that show it
	live          *live.Hub
	secureCookies bool
	failures      *limit.Failures // shared by the surfaces that check secrets
	log           *slog.Logger
}

// mount is one row of the mount table.
type mount struct {
	// surface names the surface in logs and metrics.
	surface string
	// prefixes are the first path segments below the base path that the
	// surface owns, matched without regard to case.
	prefixes []string
	// communities marks the surface that also owns every first segment no
	// row lists: the community names of /{community}/... One row has it.
	communities bool
	// build makes the surface's handler.
	build func(surfaceDeps) (surface, error)
}

// mountTable lists every surface the server serves. The router sends a
// request to the row owning the first segment of its path below the base
// path, to the communities row when no row owns it, and to the first row
// (the Ticket API, which answers 404 in its envelope) when the path is
// outside the base path. The reserved community names derive from it, and
// a test checks every surface's routes against its prefixes. A new surface
// is one more row: its package exports its prefixes and a constructor.
func mountTable() []mount {
	return []mount{
		{surface: "api", prefixes: api.Prefixes(), build: func(d surfaceDeps) (surface, error) {
			return api.NewHandler(d.store, d.tickets, d.communities, api.Options{
				BasePath: d.cfg.BasePath(), MaxBodyBytes: d.cfg.MaxBodyBytes, Log: d.log, Webhooks: d.webhooks, Failures: d.failures,
				Chat: d.chat, Live: d.live, FAQ: d.faq,
			}), nil
		}},
		{surface: "widget", prefixes: widget.Prefixes(), build: func(d surfaceDeps) (surface, error) {
			return widget.NewHandler(d.store, widget.Options{Widgets: d.widgets, Chat: d.chat, Tickets: d.tickets, Live: d.live, BasePath: d.cfg.BasePath(), Log: d.log})
		}},
		{surface: "inbox", prefixes: inbox.Prefixes(), communities: true, build: func(d surfaceDeps) (surface, error) {
			return inbox.NewHandler(d.store, d.tickets, d.communities, inbox.Options{
				BasePath: d.cfg.BasePath(), SecureCookies: d.secureCookies, Log: d.log, Live: d.live, Webhooks: d.webhooks, Failures: d.failures,
				Chat: d.chat, Widgets: d.widgets,
			})
		}},
	}
}

// reservedPaths are first path segments kept from communities beyond the
// mount table's: those of surfaces to come (chat, widget, FAQ and help
// centre, reporting), of paths served outside the table (/metrics), and
// of names likely to be wanted for the server's own use later. Reserving
// them now means no community takes them first.
func reservedPaths() []string {
	return []string{
		"chat", "help", "reports", "warehouse", "metrics", "static",
		"signin", "signout", "setup", "invite", "api", "v1", "v2",
	}
}

// reservedNames are the names no community may take, in lower case: every
// prefix of the mount table and the reservedPaths.
func reservedNames() []string {
	names := reservedPaths()
	for _, m := range mountTable() {
		names = append(names, m.prefixes...)
	}
	for i, n := range names {
		names[i] = strings.ToLower(n)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// mounted is a row of the mount table with its surface built.
type mounted struct {
	mount
	handler surface
}

// buildSurfaces builds the surface of every row of table.
func buildSurfaces(table []mount, d surfaceDeps) ([]mounted, error) {
	out := make([]mounted, len(table))
	for i, m := range table {
		h, err := m.build(d)
		if err != nil {
			return nil, err
		}
		out[i] = mounted{mount: m, handler: h}
	}
	return out, nil
}

// router dispatches a request to a surface by the first segment of its
// path below the base path, as the mount table says.
type router struct {
	base        string
	rows        []routerRow
	communities http.Handler // owns every segment no row owns
	outside     http.Handler // answers paths outside the base path
}

type routerRow struct {
	prefixes []string
	handler  http.Handler
}

// newRouter returns the router of mounts. wrap, if not nil, wraps each
// surface's handler once, given the surface's name: the place for
// per-surface middleware such as request metrics and logs.
func newRouter(base string, mounts []mounted, wrap func(surface string, h http.Handler) http.Handler) *router {
	rt := &router{base: base}
	for i, m := range mounts {
		var h http.Handler = m.handler
		if wrap != nil {
			h = wrap(m.surface, h)
		}
		if i == 0 {
			rt.outside = h
		}
		if m.communities {
			rt.communities = h
		}
		rt.rows = append(rt.rows, routerRow{prefixes: m.prefixes, handler: h})
	}
	return rt
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := strings.CutPrefix(r.URL.Path, rt.base)
	if !ok {
		rt.outside.ServeHTTP(w, r)
		return
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	for _, row := range rt.rows {
		// The documented API matches paths without regard to case, and so
		// does the split.
		if slices.ContainsFunc(row.prefixes, func(s string) bool { return strings.EqualFold(s, first) }) {
			row.handler.ServeHTTP(w, r)
			return
		}
	}
	rt.communities.ServeHTTP(w, r)
}

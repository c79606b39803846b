package widget

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"sync"

	"github.com/evanw/esbuild/pkg/api"

	"openboards/internal/openboards"
)

// The widget's browser code: the loader a site embeds (/magic-widget.js)
// and the panel, the document of the loader's iframe. The sources in
// assets/ are plain and commented; they are minified once, when first
// served, and the loader is kept compressed beside. The panel's script and
// style sheet are inlined into its document, allowed by their hashes in
// its CSP: opening the panel costs one request, not three.

//go:embed assets
var assetFS embed.FS

// asset is one file as served.
type asset struct {
	typ        string
	body, gzip []byte
	hash       string // of the body, the version in its URL and its ETag
}

// assets are the loader and the panel's parts.
type assets struct {
	loader *asset
	panel  *template.Template
	// js and css are the panel's, minified; csp the policy that allows
	// them.
	js  template.JS
	css template.CSS
	csp string
}

var (
	builtOnce sync.Once
	built     *assets
	buildErr  error
)

// loadAssets minifies and compresses the embedded sources, once.
func loadAssets() (*assets, error) {
	builtOnce.Do(func() { built, buildErr = buildAssets() })
	return built, buildErr
}

func buildAssets() (*assets, error) {
	a := &assets{}
	min := map[string][]byte{}
	for name, loader := range map[string]api.Loader{"magic-widget.js": api.LoaderJS, "panel.js": api.LoaderJS, "panel.css": api.LoaderCSS} {
		src, err := assetFS.ReadFile("assets/" + name)
		if err != nil {
			return nil, err
		}
		out := api.Transform(string(src), api.TransformOptions{Loader: loader, MinifyWhitespace: true, MinifyIdentifiers: true,
			MinifySyntax: true, Target: api.ES2020, LegalComments: api.LegalCommentsNone, Sourcefile: name})
		if len(out.Errors) > 0 {
			return nil, fmt.Errorf("widget: minify %s: %s", name, out.Errors[0].Text)
		}
		min[name] = out.Code
	}
	a.loader = newAsset("text/javascript; charset=utf-8", min["magic-widget.js"])
	// Inlined, neither may hold what ends its element early.
	for _, name := range []string{"panel.js", "panel.css"} {
		if bytes.Contains(bytes.ToLower(min[name]), []byte("</")) {
			return nil, fmt.Errorf("widget: %s holds \"</\", which would end its element in the panel's page", name)
		}
	}
	a.js, a.css = template.JS(min["panel.js"]), template.CSS(min["panel.css"])
	a.csp = fmt.Sprintf("default-src 'none'; script-src '%s'; style-src '%s'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'",
		cspHash(min["panel.js"]), cspHash(min["panel.css"]))
	page, err := assetFS.ReadFile("assets/panel.html")
	if err != nil {
		return nil, err
	}
	if a.panel, err = template.New("panel").Parse(string(page)); err != nil {
		return nil, err
	}
	return a, nil
}

// cspHash is a CSP source that allows the inline element whose content is b.
func cspHash(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

func newAsset(typ string, body []byte) *asset {
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression) // the level is valid
	zw.Write(body)
	zw.Close()
	sum := sha256.Sum256(body)
	return &asset{typ: typ, body: body, gzip: z.Bytes(), hash: hex.EncodeToString(sum[:8])}
}

// serve writes f, compressed when the client takes gzip, honouring
// If-None-Match.
func (f *asset) serve(w http.ResponseWriter, r *http.Request, cacheControl string) {
	h := w.Header()
	etag := `"` + f.hash + `"`
	h.Set("Content-Type", f.typ)
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", etag)
	h.Add("Vary", "Accept-Encoding")
	// Any page may load the files: they are the same for everyone.
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = f.gzip
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// handleLoader serves /magic-widget.js. Its address never changes (sites
// paste it), so caches keep it for minutes, not for ever.
func (h *Handler) handleLoader(w http.ResponseWriter, r *http.Request) {
	h.assets.loader.serve(w, r, "public, max-age=300")
}

// panelConfig is what the panel's script starts from, in the page.
type panelConfig struct {
	Base string `json:"base"`
	configJSON
}

// handlePanel serves the panel's document, framed only by the widget's
// allowed origins (any page when it has none).
func (h *Handler) handlePanel(w http.ResponseWriter, r *http.Request, cm *openboards.Community, st *openboards.WidgetSettings) error {
	cfg, err := h.config(r, cm, st)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(panelConfig{Base: fmt.Sprintf("%s/widget/%s/%d", h.base, cm.Name, st.WidgetID), configJSON: cfg})
	if err != nil {
		return err
	}
	ancestors := "*"
	if len(st.AllowedOrigins) > 0 {
		ancestors = strings.Join(st.AllowedOrigins, " ")
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Content-Security-Policy", h.assets.csp+"; frame-ancestors "+ancestors)
	var page bytes.Buffer
	if err := h.assets.panel.Execute(&page, map[string]any{
		"Name":   st.Name,
		"JS":     h.assets.js,
		"CSS":    h.assets.css,
		"Config": template.JS(raw), // json.Marshal escapes <, > and &: nothing ends the element early
	}); err != nil {
		return err
	}
	hdr.Add("Vary", "Accept-Encoding")
	if !acceptsGzip(r) {
		_, err = w.Write(page.Bytes())
		return err
	}
	hdr.Set("Content-Encoding", "gzip")
	zw := gzip.NewWriter(w)
	if _, err := zw.Write(page.Bytes()); err != nil {
		return err
	}
	return zw.Close()
}

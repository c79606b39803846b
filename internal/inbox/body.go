package inbox

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"openboards/internal/obs"
	"openboards/internal/openboards"
)

// Form bodies. Every inbox form is application/x-www-form-urlencoded and
// none uploads a file, so multipart bodies are refused (415) before a byte
// is read: net/http would spool their files to disk. A body over its
// route's cap is answered 413, at once when Content-Length says so.
const (
	// maxFormBytes caps every form but those in longForms.
	maxFormBytes = 64 << 10
	// maxLongFormBytes caps the forms that carry long text: a reply or
	// note (up to openboards.MaxMessageLen, 512 KiB, which percent-encoding
	// can triple), a ticket's custom field values and a custom field's
	// possible values (500 of 200 characters).
	maxLongFormBytes = 2 << 20
)

// longForms are the route patterns that take maxLongFormBytes.
var longForms = map[string]bool{
	"POST /{community}/tickets/{id}/reply":   true,
	"POST /{community}/tickets/{id}/note":    true,
	"POST /{community}/tickets/{id}/fields":  true,
	"POST /{community}/settings/fields":      true,
	"POST /{community}/settings/fields/{id}": true,
}

// formLimit is the body cap of r's route.
func (h *Handler) formLimit(r *http.Request) int64 {
	if _, pattern := h.mux.Handler(r); longForms[pattern] {
		return maxLongFormBytes
	}
	return maxFormBytes
}

// readForm limits and parses the body of an unsafe request, so that every
// handler reads r.PostForm within the caps. It answers the request itself
// and reports false when the body is refused.
func (h *Handler) readForm(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if strings.HasPrefix(mt, "multipart/") {
		h.refuseBody(w, r, http.StatusUnsupportedMediaType, "Inbox forms are sent as application/x-www-form-urlencoded; this one was "+mt+".")
		return false
	}
	n := h.formLimit(r)
	if r.ContentLength > n {
		h.refuseBody(w, r, http.StatusRequestEntityTooLarge, tooLarge(n))
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, n)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.refuseBody(w, r, http.StatusRequestEntityTooLarge, tooLarge(n))
			return false
		}
		h.fail(w, r, nil, openboards.Errorf(openboards.CodeInvalid, "the form could not be read: %v", err))
		return false
	}
	return true
}

func tooLarge(n int64) string {
	return fmt.Sprintf("The form is larger than this page takes (%d KiB).", n>>10)
}

// refuseBody answers a refused body with the error page and closes the
// connection, whose unread body is not worth draining.
func (h *Handler) refuseBody(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if _, pattern := h.mux.Handler(r); pattern != "" {
		obs.SetRoute(r.Context(), pattern)
	}
	w.Header().Set("Connection", "close")
	p := h.newPage(http.StatusText(status), nil, nil)
	p.Error = msg
	h.render(w, status, "error", p)
}

package inbox

import (
	"net/http"
	"strconv"

	"openboards/internal/community"
	"openboards/internal/openboards"
)

// API access settings: the community's client id and its refresh tokens.
// A new token's secret is shown once, on the answer to the form that
// created it; only its hash is stored.

func (h *Handler) apiSettingsRoutes() {
	m := h.mux
	const base = "/{community}/settings/api"
	m.Handle("GET "+base, h.auth(h.admin(h.handleAPISettings)))
	m.Handle("POST "+base+"/tokens", h.auth(h.admin(h.handleAPITokenCreate)))
	m.Handle("POST "+base+"/tokens/{id}/revoke", h.auth(h.admin(h.handleAPITokenRevoke)))
}

type whAPIData struct {
	ClientID string
	Tokens   []whTokenRow
	Action   string
	Name     string // the create form's value, kept after an error
	// The token just created, with its secret.
	NewName, NewSecret string
}

type whTokenRow struct {
	ID                     int64
	Name, Created, Revoked string
	RevokeAction           string
}

var whAPIFlashes = map[string]string{
	"revoked": "The token is revoked. Access tokens obtained with it stop working within a minute.",
}

func (h *Handler) apiSettingsPath(in *community.SignedIn) string {
	return h.communityPath(in) + "/settings/api"
}

func (h *Handler) handleAPISettings(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	return h.renderAPISettings(w, r, in, &whAPIData{}, nil)
}

func (h *Handler) renderAPISettings(w http.ResponseWriter, r *http.Request, in *community.SignedIn, d *whAPIData, failure error) error {
	tokens, err := h.store.FindRefreshTokens(r.Context(), in.Community.ID)
	if err != nil {
		return err
	}
	path := h.apiSettingsPath(in)
	d.ClientID, d.Action = in.Community.ClientID, path+"/tokens"
	// Newest first: the one just created is at the top.
	for i := len(tokens) - 1; i >= 0; i-- {
		t := tokens[i]
		row := whTokenRow{ID: t.ID, Name: t.Name, Created: shortTime(t.CreatedAt), Revoked: whOptionalTime(t.RevokedAt)}
		if t.RevokedAt == nil {
			row.RevokeAction = path + "/tokens/" + strconv.FormatInt(t.ID, 10) + "/revoke"
		}
		d.Tokens = append(d.Tokens, row)
	}
	p := h.newPage("API access", in, d)
	if r.Method == http.MethodGet {
		p.Flash = whAPIFlashes[r.URL.Query().Get("done")]
	}
	status := http.StatusOK
	if failure != nil {
		code, msg, ok := whErrorStatus(failure)
		if !ok {
			return failure
		}
		status, p.Error = code, msg
	}
	h.render(w, status, "settings_api", p)
	return nil
}

func (h *Handler) handleAPITokenCreate(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	name := r.PostFormValue("name")
	t, secret, err := h.communities.CreateRefreshToken(r.Context(), in.Community, name)
	if err != nil {
		return h.renderAPISettings(w, r, in, &whAPIData{Name: name}, err)
	}
	// The secret is in this answer only (not stored, not in a URL); the
	// page is sent with Cache-Control: no-store.
	return h.renderAPISettings(w, r, in, &whAPIData{NewName: t.Name, NewSecret: secret}, nil)
}

func (h *Handler) handleAPITokenRevoke(w http.ResponseWriter, r *http.Request, in *community.SignedIn) error {
	id, err := whPathID(r, "id", "refresh token")
	if err != nil {
		return err
	}
	if err := h.communities.RevokeRefreshToken(r.Context(), in.Community, id); err != nil {
		if openboards.ErrorCode(err) == openboards.CodeNotFound {
			return h.renderAPISettings(w, r, in, &whAPIData{}, openboards.Errorf(openboards.CodeNotFound, "there is no refresh token %d", id))
		}
		return err
	}
	http.Redirect(w, r, h.apiSettingsPath(in)+"?done=revoked", http.StatusSeeOther)
	return nil
}

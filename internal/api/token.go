package api

import (
	"errors"
	"net/http"
	"strings"

	"openboards/internal/clientip"
	"openboards/internal/community"
	"openboards/internal/httpapi"
	"openboards/internal/openboards"
)

// tokenResponse is the OAuth-style answer of POST /token (not enveloped).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// tokenRoute is the pattern of the token endpoint, which answers in its
// own OAuth-style format rather than the envelope.
const tokenRoute = "POST /token"

func writeTokenTooLarge(w http.ResponseWriter) {
	httpapi.WriteJSON(w, http.StatusRequestEntityTooLarge, oauthError{"invalid_request", "the request body is too large"})
}

// handleToken trades a refresh token for an access token. The form takes
// grant_type (or the misspelled grand_type of an older doc), refresh_token
// and client_id.
func (h *Handler) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeTokenTooLarge(w)
			return
		}
		httpapi.WriteJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "the body must be application/x-www-form-urlencoded"})
		return
	}
	grant := r.PostForm.Get("grant_type")
	if grant == "" {
		grant = r.PostForm.Get("grand_type")
	}
	refresh, client := r.PostForm.Get("refresh_token"), r.PostForm.Get("client_id")
	switch {
	case grant == "":
		httpapi.WriteJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "grant_type: required (refresh_token)"})
		return
	case !strings.EqualFold(grant, "refresh_token"):
		httpapi.WriteJSON(w, http.StatusBadRequest, oauthError{"unsupported_grant_type", "grant_type: only refresh_token is supported"})
		return
	case refresh == "":
		httpapi.WriteJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "refresh_token: required"})
		return
	case client == "":
		httpapi.WriteJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "client_id: required"})
		return
	}
	// Failures are limited per client id and client address, and per
	// client address, before the refresh token is looked up.
	done, err := h.opt.Failures.Begin("token\x00"+strings.ToLower(strings.TrimSpace(client)), clientip.FromRequest(r))
	if err != nil {
		httpapi.SetRetryAfter(w, err)
		httpapi.WriteJSON(w, http.StatusTooManyRequests, oauthError{"slow_down", openboards.ErrorMessage(err)})
		return
	}
	at, err := h.communities.Exchange(r.Context(), client, refresh)
	done(err == community.ErrInvalidClient || err == community.ErrInvalidGrant)
	switch {
	case err == community.ErrInvalidClient:
		httpapi.WriteJSON(w, http.StatusUnauthorized, oauthError{"invalid_client", "client_id: no community has this client id"})
		return
	case err == community.ErrInvalidGrant:
		httpapi.WriteJSON(w, http.StatusBadRequest, oauthError{"invalid_grant", "refresh_token: unknown, revoked, or not of this client"})
		return
	case err != nil:
		code := httpapi.ErrorStatus(err)
		if code == http.StatusInternalServerError {
			h.log.ErrorContext(r.Context(), "api: token", "err", err)
		}
		httpapi.WriteJSON(w, code, oauthError{"server_error", openboards.ErrorMessage(err)})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, tokenResponse{AccessToken: at.Token, TokenType: "bearer", ExpiresIn: at.ExpiresIn, RefreshToken: refresh})
}

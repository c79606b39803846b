package httpapi

import (
	"context"
	"net/http"
	"strings"

	"openboards/internal/openboards"
)

// Authenticator finds the community a bearer access token belongs to;
// *community.Service is one.
type Authenticator interface {
	Authenticate(ctx context.Context, bearer string) (*openboards.Community, error)
}

// Bearer authenticates the request's "Authorization: Bearer <token>"
// header. A missing or malformed header is CodeUnauthorized, as is any
// token a refuses.
func Bearer(r *http.Request, a Authenticator) (*openboards.Community, error) {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return nil, openboards.Errorf(openboards.CodeUnauthorized, "Authorization: missing bearer access token")
	}
	scheme, tok, ok := strings.Cut(authz, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return nil, openboards.Errorf(openboards.CodeUnauthorized, "Authorization: want \"Bearer <access token>\"")
	}
	return a.Authenticate(r.Context(), strings.TrimSpace(tok))
}

// Challenge sets the WWW-Authenticate header that a 401 must carry when
// err is CodeUnauthorized. Call it before writing the answer.
func Challenge(w http.ResponseWriter, err error) {
	if openboards.ErrorCode(err) == openboards.CodeUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="openboards"`)
	}
}

package widget

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Identity verification: a site that knows who its signed-in visitor is
// vouches for them with an identityToken made with the widget's identity
// secret, on its own server (the secret never reaches a browser). Either
//
//   - a JWT signed with HS256 that expires (exp), whose claims name the
//     visitor: sub (or customIdentifier) and email, and optionally name;
//   - or the lower-case hex HMAC-SHA256 of the visitor's customIdentifier
//     (or, without one, of their e-mail address), keyed with the secret.
//
// A verified visitor writes as the client those details name. When the
// widget requires verification, any other visitor is anonymous: a new
// client of their own, whatever e-mail address they type.

// userValue is who the page says its visitor is (the user option).
type userValue struct {
	Name             string `json:"name"`
	Email            string `json:"email"`
	CustomIdentifier string `json:"customIdentifier"`
	IdentityToken    string `json:"identityToken"`
}

// maxIdentityToken bounds an identityToken; a JWT of a few claims is far
// smaller.
const maxIdentityToken = 4096

// tokenLeeway forgives clocks that disagree by this much about exp.
const tokenLeeway = time.Minute

// identityClaims are the claims of a JWT identityToken.
type identityClaims struct {
	CustomIdentifier string `json:"customIdentifier"`
	Email            string `json:"email"`
	Name             string `json:"name"`
	jwt.RegisteredClaims
}

// verifyIdentity checks u's identityToken against the widget's secret at
// now and returns the details it vouches for, or why it does not; a JWT's
// claims override what the page sent.
func verifyIdentity(secret string, u userValue, now time.Time) (userValue, error) {
	tok := strings.TrimSpace(u.IdentityToken)
	switch {
	case tok == "":
		return u, errors.New("no identityToken")
	case secret == "":
		return u, errors.New("the widget has no identity secret")
	case len(tok) > maxIdentityToken:
		return u, errors.New("identityToken too long")
	case strings.Count(tok, ".") == 2:
		return verifyJWT(secret, tok, u, now)
	}
	id := strings.TrimSpace(u.CustomIdentifier)
	if id == "" {
		id = strings.TrimSpace(u.Email)
	}
	if id == "" {
		return u, errors.New("an HMAC identityToken needs the customIdentifier or email it signs")
	}
	if !hmac.Equal([]byte(strings.ToLower(tok)), []byte(SignIdentity(secret, id))) {
		return u, errors.New("identityToken does not match the identifier")
	}
	return u, nil
}

func verifyJWT(secret, tok string, u userValue, now time.Time) (userValue, error) {
	var c identityClaims
	_, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return []byte(secret), nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired(),
		jwt.WithLeeway(tokenLeeway), jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		return u, err
	}
	out := userValue{Name: c.Name, Email: c.Email, CustomIdentifier: c.CustomIdentifier}
	if out.CustomIdentifier == "" {
		out.CustomIdentifier = c.Subject
	}
	if out.Name == "" {
		out.Name = u.Name
	}
	if out.Email == "" && out.CustomIdentifier == "" {
		return u, errors.New("the identityToken's claims name nobody (give sub or email)")
	}
	return out, nil
}

// SignIdentity returns the HMAC identityToken of identifier: what a site's
// server computes for its signed-in visitor.
func SignIdentity(secret, identifier string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(identifier))
	return hex.EncodeToString(m.Sum(nil))
}

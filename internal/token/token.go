// Package token issues and verifies access tokens (HS512-signed JWTs, as
// the documented API's) and makes refresh-token secrets.
package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Lifetime is how long an access token is valid.
const Lifetime = time.Hour

// Errors returned by Verify.
var (
	ErrMalformed = errors.New("token: malformed access token")
	ErrSignature = errors.New("token: access token signature does not verify")
	ErrExpired   = errors.New("token: access token expired")
)

// Claims are what an access token says.
type Claims struct {
	CommunityID    int64
	ClientID       string
	RefreshTokenID int64
	NotBefore      time.Time
	ExpiresAt      time.Time
}

// jwtClaims is the JSON form, shaped like the documented sample token.
type jwtClaims struct {
	CID  string `json:"cid"`
	Type string `json:"type"`
	RID  string `json:"rid"`
	NBF  int64  `json:"nbf"`
	EXP  int64  `json:"exp"`
	ISS  string `json:"iss"`
	AUD  string `json:"aud"`
}

var header = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS512","typ":"JWT"}`))

// Signer signs and verifies access tokens with one secret key.
type Signer struct {
	key    []byte
	issuer string
}

// NewSigner returns a Signer using key, naming issuer in the tokens.
func NewSigner(key []byte, issuer string) *Signer {
	return &Signer{key: key, issuer: issuer}
}

// Sign returns a signed access token for c.
func (s *Signer) Sign(c Claims) string {
	payload, _ := json.Marshal(jwtClaims{
		CID: strconv.FormatInt(c.CommunityID, 10), Type: "Community", RID: strconv.FormatInt(c.RefreshTokenID, 10),
		NBF: c.NotBefore.Unix(), EXP: c.ExpiresAt.Unix(), ISS: s.issuer, AUD: c.ClientID,
	})
	unsigned := header + "." + base64.RawURLEncoding.EncodeToString(payload)
	return unsigned + "." + base64.RawURLEncoding.EncodeToString(s.mac(unsigned))
}

func (s *Signer) mac(unsigned string) []byte {
	m := hmac.New(sha512.New, s.key)
	m.Write([]byte(unsigned))
	return m.Sum(nil)
}

// Verify checks tok's signature and validity at now and returns its claims.
func (s *Signer) Verify(tok string, now time.Time) (Claims, error) {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 || strings.Count(tok, ".") != 2 {
		return Claims{}, ErrMalformed
	}
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		return Claims{}, ErrMalformed
	}
	if !hmac.Equal(sig, s.mac(tok[:i])) {
		return Claims{}, ErrSignature
	}
	parts := strings.SplitN(tok[:i], ".", 2)
	if parts[0] != header {
		return Claims{}, ErrMalformed
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return Claims{}, ErrMalformed
	}
	var jc jwtClaims
	if err := json.Unmarshal(payload, &jc); err != nil || jc.Type != "Community" {
		return Claims{}, ErrMalformed
	}
	c := Claims{ClientID: jc.AUD, NotBefore: time.Unix(jc.NBF, 0), ExpiresAt: time.Unix(jc.EXP, 0)}
	if c.CommunityID, err = strconv.ParseInt(jc.CID, 10, 64); err != nil {
		return Claims{}, ErrMalformed
	}
	if c.RefreshTokenID, err = strconv.ParseInt(jc.RID, 10, 64); err != nil {
		return Claims{}, ErrMalformed
	}
	// A minute of leeway on nbf absorbs clock skew between nodes.
	if now.Unix() >= jc.EXP || now.Add(time.Minute).Unix() < jc.NBF {
		return Claims{}, ErrExpired
	}
	return c, nil
}

// NewKey returns a random signing key.
func NewKey() []byte {
	k := make([]byte, 64)
	rand.Read(k)
	return k
}

// NewSecret returns a random refresh-token secret and its stored hash.
func NewSecret() (secret string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	secret = base64.StdEncoding.EncodeToString(b)
	return secret, Hash(secret)
}

// Hash returns the stored form of a refresh-token secret.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

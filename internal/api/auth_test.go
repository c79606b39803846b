package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"openboards/internal/community"
	"openboards/internal/openboards"
)

func TestToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	other := b.newTenant(t, "globex")
	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	t.Run("OK", func(t *testing.T) {
		tok := b.exchange(t, b.cm.ClientID, b.refresh)
		if tok.TokenType != "bearer" || tok.ExpiresIn != 3599 || tok.RefreshToken != b.refresh {
			t.Fatalf("got %+v, want token_type bearer, expires_in 3599 and the refresh token echoed", tok)
		}
		const header = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9." // {"alg":"HS512","typ":"JWT"}
		parts := strings.Split(tok.AccessToken, ".")
		if !strings.HasPrefix(tok.AccessToken, header) || len(parts) != 3 {
			t.Fatalf("access token %q is not an HS512 JWT", tok.AccessToken)
		}
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		var claims struct {
			CID  string `json:"cid"`
			Type string `json:"type"`
			NBF  int64  `json:"nbf"`
			EXP  int64  `json:"exp"`
			AUD  string `json:"aud"`
		}
		if err := json.Unmarshal(payload, &claims); err != nil {
			t.Fatal(err)
		}
		if claims.Type != "Community" || claims.AUD != b.cm.ClientID || claims.EXP-claims.NBF != 3600 || claims.NBF != start.Unix() {
			t.Fatalf("claims %+v: want type Community, aud the client id, a one-hour lifetime from the clock", claims)
		}
		// The new token works.
		b.bearer(tok.AccessToken).ok(t, "GET", "/teammates", nil)
	})
	t.Run("NoStore", func(t *testing.T) {
		resp, err := b.srv.Client().PostForm(b.base+"/token", form("grant_type", "refresh_token", "refresh_token", b.refresh, "client_id", b.cm.ClientID))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Fatalf("Cache-Control %q, want no-store", got)
		}
	})
	t.Run("OldSpelling", func(t *testing.T) {
		status, body := b.postToken(t, form("grand_type", "refresh_token", "refresh_token", b.refresh, "client_id", b.cm.ClientID))
		if status != http.StatusOK {
			t.Fatalf("grand_type: got %d %s, want 200", status, body)
		}
	})
	t.Run("GrantTypeAnyCase", func(t *testing.T) {
		status, body := b.postToken(t, form("grant_type", "REFRESH_TOKEN", "refresh_token", b.refresh, "client_id", b.cm.ClientID))
		if status != http.StatusOK {
			t.Fatalf("got %d %s, want 200", status, body)
		}
	})
	t.Run("UpperCaseClientID", func(t *testing.T) {
		status, body := b.postToken(t, form("grant_type", "refresh_token", "refresh_token", b.refresh, "client_id", strings.ToUpper(b.cm.ClientID)))
		if status != http.StatusOK {
			t.Fatalf("got %d %s, want 200", status, body)
		}
	})

	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		err    string
	}{
		{"ErrNoGrant", form("refresh_token", b.refresh, "client_id", b.cm.ClientID), 400, "invalid_request"},
		{"ErrGrantType", form("grant_type", "password", "refresh_token", b.refresh, "client_id", b.cm.ClientID), 400, "unsupported_grant_type"},
		{"ErrNoRefreshToken", form("grant_type", "refresh_token", "client_id", b.cm.ClientID), 400, "invalid_request"},
		{"ErrNoClientID", form("grant_type", "refresh_token", "refresh_token", b.refresh), 400, "invalid_request"},
		{"ErrUnknownClient", form("grant_type", "refresh_token", "refresh_token", b.refresh, "client_id", "f525a170-9c89-40b7-a687-673efd7f218b"), 401, "invalid_client"},
		{"ErrUnknownRefreshToken", form("grant_type", "refresh_token", "refresh_token", "c5ngLXd0zVrgN6U7jdAw2EOGd9fj0GkZEFOvdd6yEHo=", "client_id", b.cm.ClientID), 400, "invalid_grant"},
		{"ErrOtherCommunitysRefreshToken", form("grant_type", "refresh_token", "refresh_token", other.refresh, "client_id", b.cm.ClientID), 400, "invalid_grant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := b.postToken(t, tc.form)
			var e struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatal(err)
			}
			if status != tc.status || e.Error != tc.err || e.Description == "" {
				t.Fatalf("got %d %s, want %d with error %q and a description", status, body, tc.status, tc.err)
			}
		})
	}
	t.Run("ErrJSONBody", func(t *testing.T) {
		resp, body := b.anonymous().send(t, "POST", "/token", map[string]string{"grant_type": "refresh_token", "refresh_token": b.refresh, "client_id": b.cm.ClientID})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "invalid_request") {
			t.Fatalf("got %d %s, want 400 invalid_request", resp.StatusCode, body)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
			c := b.withHeaders("Authorization", scheme+" "+b.token)
			c.ok(t, "GET", "/teammates", nil)
		}
		// Within the hour the token keeps working.
		b.clock.Advance(59 * time.Minute)
		b.ok(t, "GET", "/teammates", nil)
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		other := setup(t) // a server with a different signing key
		tampered := []byte(b.token)
		tampered[len(tampered)-2] ^= 1
		cases := []struct {
			name string
			c    client
			text string
		}{
			{"Missing", b.anonymous(), "missing bearer access token"},
			{"EmptyBearer", b.withHeaders("Authorization", "Bearer "), "Bearer <access token>"},
			{"BasicScheme", b.withHeaders("Authorization", "Basic dXNlcjpwYXNz"), "Bearer <access token>"},
			{"RawToken", b.withHeaders("Authorization", b.token), "Bearer <access token>"},
			{"Garbage", b.bearer("garbage"), "not valid"},
			{"Tampered", b.bearer(string(tampered)), "not valid"},
			{"OtherServer", b.bearer(other.token), "not valid"},
			{"RefreshTokenAsBearer", b.bearer(b.refresh), "not valid"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp, env := tc.c.call(t, "GET", "/teammates", nil)
				if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(env.ErrorText, tc.text) {
					t.Fatalf("got %d %q, want 401 containing %q", resp.StatusCode, env.ErrorText, tc.text)
				}
				if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Fatalf("WWW-Authenticate %q, want a Bearer challenge", got)
				}
			})
		}
	})

	t.Run("ErrExpired", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.clock.Advance(time.Hour + time.Second)
		b.reject(t, b.client, []rejected{
			{"Read", "GET", "/teammates", nil, 401, "expired"},
			{"Write", "POST", "/tickets", simpleTicket("Late"), 401, "expired"},
		})
		// The refresh token still yields a fresh access token.
		tok := b.exchange(t, b.cm.ClientID, b.refresh)
		b.bearer(tok.AccessToken).ok(t, "GET", "/teammates", nil)
	})

	t.Run("ErrRevoked", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := context.Background()
		_, spare, err := b.communities.CreateRefreshToken(ctx, b.cm, "spare")
		if err != nil {
			t.Fatal(err)
		}
		id := refreshTokenID(t, b, b.cm, "default")
		if err := b.communities.RevokeRefreshToken(ctx, b.cm, id); err != nil {
			t.Fatal(err)
		}
		b.reject(t, b.client, []rejected{
			{"AccessToken", "GET", "/teammates", nil, 401, "revoked"},
			{"AccessTokenWrite", "POST", "/tickets", simpleTicket("After revocation"), 401, "revoked"},
		})
		b.reject(t, b.withHeaders("Community", "acme", "X-Token", b.refresh), []rejected{
			{"Legacy", "GET", "/teammates", nil, 401, "do not match"},
		})
		status, body := b.postToken(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {b.refresh}, "client_id": {b.cm.ClientID}})
		if status != http.StatusBadRequest || !strings.Contains(string(body), "invalid_grant") {
			t.Fatalf("POST /token with a revoked refresh token: got %d %s, want 400 invalid_grant", status, body)
		}
		// Another refresh token of the community is not affected.
		tok := b.exchange(t, b.cm.ClientID, spare)
		b.bearer(tok.AccessToken).ok(t, "GET", "/teammates", nil)
	})
}

// refreshTokenID finds the id of a community's refresh token by name.
func refreshTokenID(t *testing.T, b *bundle, cm *openboards.Community, name string) int64 {
	t.Helper()
	list, err := b.store.FindRefreshTokens(context.Background(), cm.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range list {
		if rt.Name == name {
			return rt.ID
		}
	}
	t.Fatalf("no refresh token named %q", name)
	return 0
}

func TestLegacyAuth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	other := b.newTenant(t, "globex")

	t.Run("OK", func(t *testing.T) {
		for _, name := range []string{"acme", "ACME"} {
			c := b.withHeaders("Community", name, "X-Token", b.refresh)
			got := decode[[]teammateView](t, c.ok(t, "GET", "/teammates", nil))
			if len(got) != 3 || got[0].ID != b.agent.ID {
				t.Fatalf("Community %q: got %+v, want acme's three teammates", name, got)
			}
		}
	})
	t.Run("Write", func(t *testing.T) {
		c := b.withHeaders("Community", "acme", "X-Token", b.refresh)
		id := c.createTicket(t, simpleTicket("Legacy client"))
		if got := b.ticket(t, id).Title; got != "Legacy client" {
			t.Fatalf("title %q", got)
		}
	})
	t.Run("BearerWins", func(t *testing.T) {
		// With both schemes present the Authorization header decides.
		c := b.withHeaders("Community", "acme", "X-Token", b.refresh, "Authorization", "Bearer garbage")
		c.fail(t, "GET", "/teammates", nil, 401, "not valid")
	})
	for _, tc := range []struct {
		name string
		c    client
		text string
	}{
		{"ErrTokenOnly", b.withHeaders("X-Token", b.refresh), "needs both"},
		{"ErrCommunityOnly", b.withHeaders("Community", "acme"), "needs both"},
		{"ErrWrongSecret", b.withHeaders("Community", "acme", "X-Token", "c5ngLXd0zVrgN6U7jdAw2EOGd9fj0GkZEFOvdd6yEHo="), "do not match"},
		{"ErrOtherCommunitysSecret", b.withHeaders("Community", "acme", "X-Token", other.refresh), "do not match"},
		{"ErrUnknownCommunity", b.withHeaders("Community", "initech", "X-Token", b.refresh), "do not match"},
		{"ErrAccessTokenAsSecret", b.withHeaders("Community", "acme", "X-Token", b.token), "do not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.reject(t, tc.c, []rejected{
				{"Read", "GET", "/teammates", nil, 401, tc.text},
				{"Write", "POST", "/tickets", simpleTicket("Legacy"), 401, tc.text},
			})
		})
	}
}

// TestRole covers the teammate role enumeration, which only the admin
// commands set: no API endpoint takes a role.
func TestRole(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.communities.AddTeammate(context.Background(), b.cm, community.TeammateInput{Email: "eve@example.com", Name: "Eve", Role: "superuser"})
	if openboards.ErrorCode(err) != openboards.CodeInvalid || !strings.Contains(openboards.ErrorMessage(err), "role: unknown role") {
		t.Fatalf("got %v, want an invalid role error naming the field", err)
	}
	if got := decode[[]teammateView](t, b.ok(t, "GET", "/teammates", nil)); len(got) != 3 {
		t.Fatalf("got %d teammates, want 3", len(got))
	}
}

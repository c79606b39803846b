package community_test

import (
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"openboards/internal/community"
	"openboards/internal/openboards"
	"openboards/internal/store/sqlite"
	"openboards/internal/token"
)

// clock is a fixed clock that tests move forward by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// bundle is one test's world: a real SQLite store, a Service on a fixed
// clock and one community made through it.
type bundle struct {
	ctx     context.Context
	store   *sqlite.Store
	clock   *clock
	svc     *community.Service
	created *community.Created
	cm      *openboards.Community
}

func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "openboards.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	b := &bundle{ctx: ctx, store: store, clock: &clock{t: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)}}
	b.svc = b.service(t)
	if b.created, err = b.svc.Create(ctx, "Acme Support"); err != nil {
		t.Fatal(err)
	}
	b.cm = b.created.Community
	return b
}

// reserved are the names the bundle's services reserve, as the server's
// mount table would.
var reserved = []string{"token", "healthz", "tickets", "webhooks", "signin", "signout", "static", "chat", "magic-widget.js"}

// service returns another Service on the bundle's store and clock, as a
// second server node would run.
func (b *bundle) service(t *testing.T) *community.Service {
	t.Helper()
	svc, err := community.NewService(b.ctx, b.store, b.clock.now, "openboards", reserved)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// accessToken trades the community's first refresh token for an access
// token.
func (b *bundle) accessToken(t *testing.T) string {
	t.Helper()
	at, err := b.svc.Exchange(b.ctx, b.cm.ClientID, b.created.RefreshToken)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return at.Token
}

// tokenID returns the id of the community's first refresh token.
func (b *bundle) tokenID(t *testing.T) int64 {
	t.Helper()
	rt, err := b.store.FindRefreshTokenByHash(b.ctx, token.Hash(b.created.RefreshToken))
	if err != nil {
		t.Fatal(err)
	}
	return rt.ID
}

func wantCode(t *testing.T, err error, want openboards.Code) {
	t.Helper()
	if got := openboards.ErrorCode(err); got != want {
		t.Fatalf("got error %v (code %q), want code %q", err, got, want)
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if b.cm.ID == 0 || !openboards.IsGUID(b.cm.ClientID) || !openboards.IsGUID(b.cm.APIUserID) || b.cm.Name != "Acme Support" {
			t.Fatalf("community %+v", b.cm)
		}
		got, err := b.store.FindCommunityByClientID(b.ctx, b.cm.ClientID)
		if err != nil || got.ID != b.cm.ID {
			t.Fatalf("FindCommunityByClientID: %+v, %v", got, err)
		}
		api, err := b.store.FindUserByID(b.ctx, b.cm.ID, b.cm.APIUserID)
		if err != nil {
			t.Fatal(err)
		}
		if api.Status != openboards.StatusBot || !api.IsBot {
			t.Fatalf("API user %+v, want a bot", api)
		}
		tokens, err := b.store.FindRefreshTokens(b.ctx, b.cm.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(tokens) != 1 || tokens[0].RevokedAt != nil || string(tokens[0].Hash) != string(token.Hash(b.created.RefreshToken)) {
			t.Fatalf("refresh tokens %+v", tokens)
		}
		// The secret is returned, not stored.
		if strings.Contains(string(tokens[0].Hash), b.created.RefreshToken) || b.created.RefreshToken == "" {
			t.Fatal("the refresh token secret is stored as is")
		}
		b.accessToken(t)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := b.svc.Create(b.ctx, " ACME SUPPORT ")
		wantCode(t, err, openboards.CodeConflict)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, name := range []string{"", "  ", "two\nlines", "tab\there", strings.Repeat("n", 101)} {
			_, err := b.svc.Create(b.ctx, name)
			wantCode(t, err, openboards.CodeInvalid)
		}
		if _, err := b.store.FindCommunityByName(b.ctx, "two\nlines"); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Fatalf("a refused community was stored: %v", err)
		}
	})
}

func TestAddTeammate(t *testing.T) {
	t.Parallel()
	t.Run("New", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u, err := b.svc.AddTeammate(b.ctx, b.cm, community.TeammateInput{Email: " Ann@Example.com ", Name: " Ann ", Role: "Admin"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.store.FindUserByEmail(b.ctx, b.cm.ID, "ann@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != u.ID || got.Name != "Ann" || got.Status != openboards.StatusTeam || got.Role != openboards.RoleAdmin || !got.CreatedAt.Equal(b.clock.now()) {
			t.Fatalf("teammate %+v", got)
		}
		if groups, err := b.store.FindUserGroups(b.ctx, b.cm.ID); err != nil || len(groups) != 0 {
			t.Fatalf("groups without a Group given: %v, %v", groups, err)
		}
	})
	t.Run("ExistingEmail", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		email := "carl@example.com"
		customer := &openboards.User{ID: openboards.NewID(), CommunityID: b.cm.ID, Name: "Carl", Email: &email, Status: openboards.StatusClient, CreatedAt: b.clock.now()}
		if err := b.store.InTx(b.ctx, func(tx openboards.Tx) error { return tx.CreateUser(b.ctx, customer) }); err != nil {
			t.Fatal(err)
		}
		b.clock.advance(time.Hour)
		u, err := b.svc.AddTeammate(b.ctx, b.cm, community.TeammateInput{Email: "CARL@example.com", Name: "Carl Teammate", Role: "team_member"})
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != customer.ID {
			t.Fatalf("a known e-mail made a new user %s, want %s", u.ID, customer.ID)
		}
		got, err := b.store.FindUserByID(b.ctx, b.cm.ID, customer.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Carl Teammate" || got.Status != openboards.StatusTeam || got.Role != openboards.RoleTeamMember || !got.CreatedAt.Equal(customer.CreatedAt) {
			t.Fatalf("updated user %+v", got)
		}
		// Adding again changes the role only.
		if _, err := b.svc.AddTeammate(b.ctx, b.cm, community.TeammateInput{Email: email, Name: "Carl Teammate", Role: "read_only_user"}); err != nil {
			t.Fatal(err)
		}
		mates, err := b.store.FindTeammates(b.ctx, b.cm.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(mates) != 1 || mates[0].ID != customer.ID || mates[0].Role != openboards.RoleReadOnlyUser {
			t.Fatalf("teammates %+v", mates)
		}
	})
	t.Run("GroupByName", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		var ids []string
		for i, group := range []string{"Support", " support ", "SUPPORT"} {
			u, err := b.svc.AddTeammate(b.ctx, b.cm, community.TeammateInput{Email: "t" + strconv.Itoa(i) + "@example.com", Name: "T", Role: "team_member", Group: group})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, u.ID)
		}
		groups, err := b.store.FindUserGroups(b.ctx, b.cm.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != 1 || groups[0].Name != "Support" {
			t.Fatalf("groups %+v, want one named Support", groups)
		}
		members, err := b.store.FindUserGroupMemberIDs(b.ctx, b.cm.ID, groups[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids)
		slices.Sort(members)
		if !slices.Equal(members, ids) {
			t.Fatalf("members %v, want %v", members, ids)
		}
	})
	t.Run("GroupByID", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		g := &openboards.UserGroup{CommunityID: b.cm.ID, Name: "42", CreatedAt: b.clock.now()}
		if err := b.store.InTx(b.ctx, func(tx openboards.Tx) error { return tx.CreateUserGroup(b.ctx, g) }); err != nil {
			t.Fatal(err)
		}
		u, err := b.svc.AddTeammate(b.ctx, b.cm, community.TeammateInput{Email: "ann@example.com", Name: "Ann", Role: "admin", Group: strconv.FormatInt(g.ID, 10)})
		if err != nil {
			t.Fatal(err)
		}
		members, err := b.store.FindUserGroupMemberIDs(b.ctx, b.cm.ID, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(members, []string{u.ID}) {
			t.Fatalf("members %v, want %s", members, u.ID)
		}
		if groups, err := b.store.FindUserGroups(b.ctx, b.cm.ID); err != nil || len(groups) != 1 {
			t.Fatalf("groups %v, %v; want only the one given by id", groups, err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, in := range []community.TeammateInput{
			{Email: "not-an-address", Name: "X", Role: "admin"},
			{Email: "x@example.com", Name: " ", Role: "admin"},
			{Email: "x@example.com", Name: "X", Role: "owner"},
			{Email: "x@example.com", Name: "X", Role: "admin", Group: "999"},
		} {
			_, err := b.svc.AddTeammate(b.ctx, b.cm, in)
			wantCode(t, err, openboards.CodeInvalid)
		}
		// The unknown group was found missing after the teammate was
		// written: that write was rolled back.
		if _, err := b.store.FindUserByEmail(b.ctx, b.cm.ID, "x@example.com"); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Fatalf("a refused teammate was stored: %v", err)
		}
	})
}

func TestExchange(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		at, err := b.svc.Exchange(b.ctx, " "+strings.ToUpper(b.cm.ClientID)+" ", " "+b.created.RefreshToken+" ")
		if err != nil {
			t.Fatal(err)
		}
		if at.Token == "" || at.ExpiresIn != int(token.Lifetime/time.Second)-1 {
			t.Fatalf("access token %+v", at)
		}
		cm, err := b.svc.Authenticate(b.ctx, at.Token)
		if err != nil {
			t.Fatal(err)
		}
		if cm.ID != b.cm.ID {
			t.Fatalf("token of community %d authenticates community %d", b.cm.ID, cm.ID)
		}
	})
	t.Run("ErrInvalidClient", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, client := range []string{openboards.NewID(), "", "not-a-client"} {
			if _, err := b.svc.Exchange(b.ctx, client, b.created.RefreshToken); !errors.Is(err, community.ErrInvalidClient) {
				t.Fatalf("Exchange(%q): got %v, want ErrInvalidClient", client, err)
			}
		}
	})
	t.Run("ErrInvalidGrant", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		other, err := b.svc.Create(b.ctx, "Other")
		if err != nil {
			t.Fatal(err)
		}
		for name, secret := range map[string]string{
			"Wrong":            "not-the-token",
			"Empty":            "",
			"OtherCommunity":   other.RefreshToken,
			"ChangedCharacter": b.created.RefreshToken[1:] + "A",
		} {
			if _, err := b.svc.Exchange(b.ctx, b.cm.ClientID, secret); !errors.Is(err, community.ErrInvalidGrant) {
				t.Errorf("%s: got %v, want ErrInvalidGrant", name, err)
			}
		}
		if err := b.svc.RevokeRefreshToken(b.ctx, b.cm, b.tokenID(t)); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Exchange(b.ctx, b.cm.ClientID, b.created.RefreshToken); !errors.Is(err, community.ErrInvalidGrant) {
			t.Fatalf("revoked: got %v, want ErrInvalidGrant", err)
		}
		// Another token of the community still works.
		_, secret, err := b.svc.CreateRefreshToken(b.ctx, b.cm, "second")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Exchange(b.ctx, b.cm.ClientID, secret); err != nil {
			t.Fatalf("a new token after revoking another: %v", err)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tok := b.accessToken(t)
		b.clock.advance(token.Lifetime - time.Second)
		cm, err := b.svc.Authenticate(b.ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if cm.ID != b.cm.ID || cm.ClientID != b.cm.ClientID {
			t.Fatalf("authenticated %+v, want %+v", cm, b.cm)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tok := b.accessToken(t)
		b.clock.advance(token.Lifetime)
		_, err := b.svc.Authenticate(b.ctx, tok)
		wantCode(t, err, openboards.CodeUnauthorized)
		if !strings.Contains(openboards.ErrorMessage(err), "expired") {
			t.Fatalf("message %q does not say the token expired", openboards.ErrorMessage(err))
		}
		// A fresh token works again.
		if _, err := b.svc.Authenticate(b.ctx, b.accessToken(t)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrRevoked", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tok := b.accessToken(t)
		if _, err := b.svc.Authenticate(b.ctx, tok); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.RevokeRefreshToken(b.ctx, b.cm, b.tokenID(t)); err != nil {
			t.Fatal(err)
		}
		_, err := b.svc.Authenticate(b.ctx, tok)
		wantCode(t, err, openboards.CodeUnauthorized)
		wantCode(t, b.svc.RevokeRefreshToken(b.ctx, b.cm, b.tokenID(t)+100), openboards.CodeNotFound)
	})
	t.Run("ErrRevokedOnAnotherNode", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		other := b.service(t)
		tok := b.accessToken(t)
		if _, err := b.svc.Authenticate(b.ctx, tok); err != nil {
			t.Fatal(err)
		}
		if err := other.RevokeRefreshToken(b.ctx, b.cm, b.tokenID(t)); err != nil {
			t.Fatal(err)
		}
		// Once the node's last check is older than the revocation TTL
		// (30 s), it sees the revocation.
		b.clock.advance(time.Minute)
		_, err := b.svc.Authenticate(b.ctx, tok)
		wantCode(t, err, openboards.CodeUnauthorized)
		_, err = other.Authenticate(b.ctx, tok)
		wantCode(t, err, openboards.CodeUnauthorized)
	})
	t.Run("ErrForged", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tok := b.accessToken(t)
		now := b.clock.now()
		parts := strings.Split(tok, ".")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		id := strconv.FormatInt(b.cm.ID, 10)
		changed := strings.Replace(string(payload), `"cid":"`+id+`"`, `"cid":"`+id+`0"`, 1)
		if changed == string(payload) {
			t.Fatalf("payload %s has no cid %s", payload, id)
		}
		foreignKey := token.NewSigner(token.NewKey(), "openboards").Sign(token.Claims{CommunityID: b.cm.ID, ClientID: b.cm.ClientID,
			RefreshTokenID: b.tokenID(t), NotBefore: now, ExpiresAt: now.Add(token.Lifetime)})
		for name, forged := range map[string]string{
			"ChangedPayload": parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(changed)) + "." + parts[2],
			"OtherKey":       foreignKey,
			"NoSignature":    parts[0] + "." + parts[1] + ".",
			"Garbage":        "not.a.token",
			"Empty":          "",
		} {
			if _, err := b.svc.Authenticate(b.ctx, forged); openboards.ErrorCode(err) != openboards.CodeUnauthorized {
				t.Errorf("%s: got %v, want unauthorized", name, err)
			}
		}
	})
	t.Run("SharedSigningKey", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		other := b.service(t)
		tok, err := other.Exchange(b.ctx, b.cm.ClientID, b.created.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		for _, svc := range []*community.Service{b.svc, b.service(t)} {
			cm, err := svc.Authenticate(b.ctx, tok.Token)
			if err != nil {
				t.Fatalf("a token from another node: %v", err)
			}
			if cm.ID != b.cm.ID {
				t.Fatalf("authenticated community %d, want %d", cm.ID, b.cm.ID)
			}
		}
		if _, err := other.Authenticate(b.ctx, b.accessToken(t)); err != nil {
			t.Fatalf("a token from the first node: %v", err)
		}
	})
}

func TestAuthenticateLegacy(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, name := range []string{"Acme Support", " acme SUPPORT "} {
			cm, err := b.svc.AuthenticateLegacy(b.ctx, name, " "+b.created.RefreshToken+" ")
			if err != nil {
				t.Fatalf("AuthenticateLegacy(%q): %v", name, err)
			}
			if cm.ID != b.cm.ID {
				t.Fatalf("authenticated community %d, want %d", cm.ID, b.cm.ID)
			}
		}
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		other, err := b.svc.Create(b.ctx, "Other")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ name, secret string }{
			{"Acme Support", "wrong"},
			{"Acme Support", ""},
			{"Acme Support", other.RefreshToken},
			{"Other", b.created.RefreshToken},
			{"Nobody", b.created.RefreshToken},
		} {
			_, err := b.svc.AuthenticateLegacy(b.ctx, c.name, c.secret)
			wantCode(t, err, openboards.CodeUnauthorized)
		}
	})
	t.Run("ErrRevoked", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if _, err := b.svc.AuthenticateLegacy(b.ctx, "Acme Support", b.created.RefreshToken); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.RevokeRefreshToken(b.ctx, b.cm, b.tokenID(t)); err != nil {
			t.Fatal(err)
		}
		_, err := b.svc.AuthenticateLegacy(b.ctx, "Acme Support", b.created.RefreshToken)
		wantCode(t, err, openboards.CodeUnauthorized)
	})
}

func TestRemoveTeammate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ann, err := b.svc.AddTeammate(b.ctx, b.cm, community.TeammateInput{Email: "ann@acme.test", Name: "Ann", Role: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	// A teammate who holds tickets is refused until they are reassigned.
	tk := &openboards.Ticket{CommunityID: b.cm.ID, AuthorID: b.cm.APIUserID, AssigneeID: &ann.ID, Title: "T", Message: "m",
		Status: openboards.TicketOpen, Source: openboards.SourceAPI, DetailedSource: openboards.DetailedSourceAPI,
		CreatedAt: b.clock.now(), LastActivityAt: b.clock.now(), UpdatedAt: b.clock.now()}
	if err := b.store.InTx(b.ctx, func(tx openboards.Tx) error { return tx.CreateTicket(b.ctx, tk) }); err != nil {
		t.Fatal(err)
	}
	_, err = b.svc.RemoveTeammate(b.ctx, b.cm, "ann@acme.test")
	wantCode(t, err, openboards.CodeConflict)
	if !strings.Contains(openboards.ErrorMessage(err), "ticket "+strconv.FormatInt(tk.ID, 10)) {
		t.Errorf("the refusal does not name a ticket: %v", err)
	}
	if u, err := b.store.FindUserByID(b.ctx, b.cm.ID, ann.ID); err != nil || u.Status != openboards.StatusTeam {
		t.Fatalf("a refused removal changed the teammate: %+v, %v", u, err)
	}
	var nobody *string
	if err := b.store.InTx(b.ctx, func(tx openboards.Tx) error {
		return tx.UpdateTicket(b.ctx, b.cm.ID, tk.ID, openboards.TicketUpdate{AssigneeID: &nobody})
	}); err != nil {
		t.Fatal(err)
	}
	u, err := b.svc.RemoveTeammate(b.ctx, b.cm, "ANN@acme.test ")
	if err != nil || u.ID != ann.ID {
		t.Fatalf("RemoveTeammate = %+v, %v", u, err)
	}
	_, err = b.svc.RemoveTeammate(b.ctx, b.cm, "ann@acme.test")
	wantCode(t, err, openboards.CodeNotFound)
}

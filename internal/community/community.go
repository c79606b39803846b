// Package community manages tenants and their credentials: creating
// communities and teammates, minting and revoking refresh tokens, trading a
// refresh token for an access token, and authenticating API requests.
package community

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"openboards/internal/limit"
	"openboards/internal/openboards"
	"openboards/internal/token"
)

// SigningKeySetting names the stored access-token signing key. Every node
// on a shared database reads the same key, so a token from one node works
// on any other.
const SigningKeySetting = "access_token_signing_key"

// maxVerified bounds how many verified access tokens are remembered.
const maxVerified = 10000

// revocationTTL bounds how long a revoked refresh token's access tokens keep
// working on a node that checked the token before it was revoked.
const revocationTTL = 30 * time.Second

// Service manages communities and authenticates their API calls.
type Service struct {
	store    openboards.Store
	now      func() time.Time
	signer   *token.Signer
	reserved []string
	// hashes caps the password hashes under way.
	hashes *limit.Pool

	// verified remembers access tokens whose signature checked out, so a
	// client's repeated requests skip the HMAC; expiry and revocation are
	// still checked on every request.
	verified      sync.Map // token string → token.Claims
	verifiedCount atomic.Int64

	mu     sync.Mutex
	comms  map[int64]*openboards.Community
	tokens map[int64]tokenState   // refresh token id → last check
	legacy map[string]legacyState // community name + secret hash → last check
}

type tokenState struct {
	valid   bool
	checked time.Time
}

type legacyState struct {
	cm      *openboards.Community
	checked time.Time
}

// NewService returns a Service on store, loading (or creating) the shared
// signing key. issuer names the server in access tokens. reserved are the
// names no community may take, matched without regard to case: the first
// path segments the server's own surfaces use, since the inbox lives at
// /{community}/... (the server passes its mount table's; nil reserves
// none).
func NewService(ctx context.Context, store openboards.Store, now func() time.Time, issuer string, reserved []string) (*Service, error) {
	key, err := signingKey(ctx, store)
	if err != nil {
		return nil, err
	}
	return &Service{
		store: store, now: now, signer: token.NewSigner(key, issuer), reserved: slices.Clone(reserved),
		hashes: limit.NewPool(0, nil),
		comms:  map[int64]*openboards.Community{}, tokens: map[int64]tokenState{}, legacy: map[string]legacyState{},
	}, nil
}

// SetHashPool makes p cap the service's password hashes, in place of the
// default pool of limit.DefaultPoolSize slots. Call it before the service
// is used.
func (s *Service) SetHashPool(p *limit.Pool) { s.hashes = p }

func signingKey(ctx context.Context, store openboards.Store) ([]byte, error) {
	key, err := store.Setting(ctx, SigningKeySetting)
	if err == nil {
		return key, nil
	}
	if openboards.ErrorCode(err) != openboards.CodeNotFound {
		return nil, err
	}
	// Two nodes starting at once may both get here; the transaction keeps
	// whichever key was stored first.
	err = store.InTx(ctx, func(tx openboards.Tx) error {
		k, err := tx.Setting(ctx, SigningKeySetting)
		if err == nil {
			key = k
			return nil
		}
		if openboards.ErrorCode(err) != openboards.CodeNotFound {
			return err
		}
		key = token.NewKey()
		return tx.PutSetting(ctx, SigningKeySetting, key)
	})
	return key, err
}

// Created is a new community with the secret of its first refresh token,
// which is shown only once.
type Created struct {
	Community    *openboards.Community
	RefreshToken string
}

// IsReserved reports whether name (trimmed, any letter case) is one of the
// reserved names given to NewService.
func (s *Service) IsReserved(name string) bool {
	name = strings.TrimSpace(name)
	return slices.ContainsFunc(s.reserved, func(r string) bool { return strings.EqualFold(name, r) })
}

// checkName trims a proposed community name and checks that it can name a
// community: one line, at most 100 characters, none of the characters
// that would split or end the path segment it becomes, and not reserved.
func (s *Service) checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", openboards.Errorf(openboards.CodeInvalid, "name: required")
	}
	if len(name) > 100 || strings.ContainsAny(name, "\r\n\t") {
		return "", openboards.Errorf(openboards.CodeInvalid, "name: must be one line of at most 100 characters")
	}
	if err := openboards.CheckText("name", name); err != nil {
		return "", err
	}
	if strings.ContainsAny(name, "/?#%\\") {
		return "", openboards.Errorf(openboards.CodeInvalid, "name: %q cannot name a community: it holds /, ?, #, %% or \\", name)
	}
	if s.IsReserved(name) {
		return "", openboards.Errorf(openboards.CodeInvalid, "name: %q cannot name a community: the server reserves /%s for its own pages and APIs (in any letter case)", name, strings.ToLower(name))
	}
	return name, nil
}

// Create makes a community with its API user and a first refresh token.
func (s *Service) Create(ctx context.Context, name string) (*Created, error) {
	name, err := s.checkName(name)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	cm := &openboards.Community{Name: name, ClientID: openboards.NewID(), APIUserID: openboards.NewID(), CreatedAt: now}
	secret, hash := token.NewSecret()
	err = s.store.InTx(ctx, func(tx openboards.Tx) error {
		if err := tx.CreateCommunity(ctx, cm); err != nil {
			return err
		}
		// The API user is the actor of changes made through the API.
		if err := tx.CreateUser(ctx, &openboards.User{
			ID: cm.APIUserID, CommunityID: cm.ID, Name: "Public API", IsBot: true, Status: openboards.StatusBot, CreatedAt: now,
		}); err != nil {
			return err
		}
		return tx.CreateRefreshToken(ctx, &openboards.RefreshToken{CommunityID: cm.ID, Name: "default", Hash: hash, CreatedAt: now})
	})
	if err != nil {
		return nil, err
	}
	return &Created{Community: cm, RefreshToken: secret}, nil
}

// Rename gives the community named oldName (any letter case) the name
// newName, checked as Create checks a name. Access tokens, refresh tokens
// and sessions stay valid; clients of the legacy Community header and
// bookmarks of inbox pages must use the new name.
func (s *Service) Rename(ctx context.Context, oldName, newName string) (*openboards.Community, error) {
	newName, err := s.checkName(newName)
	if err != nil {
		return nil, err
	}
	var cm *openboards.Community
	err = s.store.InTx(ctx, func(tx openboards.Tx) error {
		var err error
		if cm, err = tx.FindCommunityByName(ctx, strings.TrimSpace(oldName)); err != nil {
			return err
		}
		return tx.RenameCommunity(ctx, cm.ID, newName)
	})
	if err != nil {
		return nil, err
	}
	cm.Name = newName
	s.mu.Lock()
	delete(s.comms, cm.ID)
	s.legacy = map[string]legacyState{}
	s.mu.Unlock()
	return cm, nil
}

// FindReservedInUse returns the communities whose names are reserved: ones
// created before their name was, which the inbox cannot serve.
func (s *Service) FindReservedInUse(ctx context.Context) ([]*openboards.Community, error) {
	var found []*openboards.Community
	for _, name := range s.reserved {
		// Names are unique without regard to case, so one lookup per
		// reserved name finds every community that uses it.
		cm, err := s.store.FindCommunityByName(ctx, name)
		switch openboards.ErrorCode(err) {
		case "":
			found = append(found, cm)
		case openboards.CodeNotFound:
		default:
			return nil, err
		}
	}
	return found, nil
}

// TeammateInput describes a teammate to add.
type TeammateInput struct {
	Email string
	Name  string
	Role  string
	Group string // a user group name (created if missing) or id; optional
}

// AddTeammate adds a teammate to a community, or updates the name and role
// of the user with that e-mail, and puts them in Group when given.
func (s *Service) AddTeammate(ctx context.Context, cm *openboards.Community, in TeammateInput) (*openboards.User, error) {
	email := strings.TrimSpace(in.Email)
	if err := openboards.CheckEmail("email", email); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return nil, openboards.Errorf(openboards.CodeInvalid, "name: required")
	}
	if err := openboards.CheckLen("name", name, openboards.MaxNameLen); err != nil {
		return nil, err
	}
	if err := openboards.CheckLen("group", strings.TrimSpace(in.Group), openboards.MaxNameLen); err != nil {
		return nil, err
	}
	role, err := openboards.ParseRole("role", in.Role)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var u *openboards.User
	err = s.store.InTx(ctx, func(tx openboards.Tx) error {
		var err error
		u, err = tx.FindUserByEmail(ctx, cm.ID, email)
		switch {
		case err == nil:
			u.Name, u.Status, u.Role, u.Email = name, openboards.StatusTeam, role, &email
			err = tx.UpdateUser(ctx, u)
		case openboards.ErrorCode(err) == openboards.CodeNotFound:
			u = &openboards.User{ID: openboards.NewID(), CommunityID: cm.ID, Name: name, Email: &email,
				Status: openboards.StatusTeam, Role: role, CreatedAt: now}
			err = tx.CreateUser(ctx, u)
		}
		if err != nil || strings.TrimSpace(in.Group) == "" {
			return err
		}
		g, err := findOrCreateGroup(ctx, tx, cm.ID, strings.TrimSpace(in.Group), now)
		if err != nil {
			return err
		}
		return tx.AddUserGroupMembers(ctx, cm.ID, g.ID, []string{u.ID})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// RemoveTeammate takes the access of the teammate with e-mail email away,
// in one transaction: their password, sessions and group memberships go,
// and they stay as a user without a role (status client), so the tickets,
// replies, notes and log entries they wrote stay readable under their
// name. A teammate who is the assignee of tickets is refused (CodeConflict)
// until those are assigned to someone else: removing them must not change
// tickets without the log entries and webhook events a change makes.
// AddTeammate with the same e-mail gives the access back.
func (s *Service) RemoveTeammate(ctx context.Context, cm *openboards.Community, email string) (*openboards.User, error) {
	var u *openboards.User
	err := s.store.InTx(ctx, func(tx openboards.Tx) error {
		var err error
		u, err = tx.FindUserByEmail(ctx, cm.ID, strings.TrimSpace(email))
		if openboards.ErrorCode(err) == openboards.CodeNotFound || (err == nil && u.Status != openboards.StatusTeam) {
			return openboards.Errorf(openboards.CodeNotFound, "email: no teammate with e-mail %q in %s", email, cm.Name)
		}
		if err != nil {
			return err
		}
		assigned, err := tx.FindTickets(ctx, openboards.TicketFilter{CommunityID: cm.ID, AssigneeSet: true, AssigneeID: &u.ID, Take: 1})
		if err != nil {
			return err
		}
		if len(assigned) > 0 {
			return openboards.Errorf(openboards.CodeConflict, "email: %s is the assignee of tickets (ticket %d among them); assign them to someone else first",
				email, assigned[0].ID)
		}
		return tx.RemoveTeammate(ctx, cm.ID, u.ID)
	})
	return u, err
}

func findOrCreateGroup(ctx context.Context, tx openboards.Tx, communityID int64, group string, now time.Time) (*openboards.UserGroup, error) {
	if id, err := strconv.ParseInt(group, 10, 64); err == nil {
		g, err := tx.FindUserGroupByID(ctx, communityID, id)
		if openboards.ErrorCode(err) == openboards.CodeNotFound {
			return nil, openboards.Errorf(openboards.CodeInvalid, "group: user group %d not found", id)
		}
		return g, err
	}
	groups, err := tx.FindUserGroups(ctx, communityID)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if strings.EqualFold(g.Name, group) {
			return g, nil
		}
	}
	g := &openboards.UserGroup{CommunityID: communityID, Name: group, CreatedAt: now}
	return g, tx.CreateUserGroup(ctx, g)
}

// CreateRefreshToken mints a named refresh token and returns its secret,
// which is not stored and cannot be shown again.
func (s *Service) CreateRefreshToken(ctx context.Context, cm *openboards.Community, name string) (*openboards.RefreshToken, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", openboards.Errorf(openboards.CodeInvalid, "name: required")
	}
	if err := openboards.CheckLen("name", name, openboards.MaxNameLen); err != nil {
		return nil, "", err
	}
	secret, hash := token.NewSecret()
	t := &openboards.RefreshToken{CommunityID: cm.ID, Name: name, Hash: hash, CreatedAt: s.now().UTC()}
	err := s.store.InTx(ctx, func(tx openboards.Tx) error { return tx.CreateRefreshToken(ctx, t) })
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// RevokeRefreshToken revokes a refresh token. Access tokens minted from it
// stop working within revocationTTL on every node.
func (s *Service) RevokeRefreshToken(ctx context.Context, cm *openboards.Community, id int64) error {
	err := s.store.InTx(ctx, func(tx openboards.Tx) error { return tx.RevokeRefreshToken(ctx, cm.ID, id, s.now().UTC()) })
	if err == nil {
		s.mu.Lock()
		delete(s.tokens, id)
		s.legacy = map[string]legacyState{}
		s.mu.Unlock()
	}
	return err
}

// AccessToken is the answer to a token request.
type AccessToken struct {
	Token     string
	ExpiresIn int // seconds
}

// Errors of Exchange, shaped after OAuth 2.
var (
	ErrInvalidGrant  = openboards.Errorf(openboards.CodeInvalid, "invalid_grant")
	ErrInvalidClient = openboards.Errorf(openboards.CodeUnauthorized, "invalid_client")
)

// Exchange trades a refresh token for an access token valid one hour.
func (s *Service) Exchange(ctx context.Context, clientID, refreshToken string) (*AccessToken, error) {
	if openboards.CheckText("client_id", clientID) != nil {
		return nil, ErrInvalidClient // no community has such an id
	}
	cm, err := s.store.FindCommunityByClientID(ctx, strings.ToLower(strings.TrimSpace(clientID)))
	if openboards.ErrorCode(err) == openboards.CodeNotFound {
		return nil, ErrInvalidClient
	}
	if err != nil {
		return nil, err
	}
	rt, err := s.store.FindRefreshTokenByHash(ctx, token.Hash(strings.TrimSpace(refreshToken)))
	if openboards.ErrorCode(err) == openboards.CodeNotFound || (err == nil && (rt.CommunityID != cm.ID || rt.RevokedAt != nil)) {
		return nil, ErrInvalidGrant
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	tok := s.signer.Sign(token.Claims{CommunityID: cm.ID, ClientID: cm.ClientID, RefreshTokenID: rt.ID,
		NotBefore: now, ExpiresAt: now.Add(token.Lifetime)})
	return &AccessToken{Token: tok, ExpiresIn: int(token.Lifetime/time.Second) - 1}, nil
}

// Authenticate returns the community a bearer access token belongs to.
func (s *Service) Authenticate(ctx context.Context, bearer string) (*openboards.Community, error) {
	now := s.now()
	var c token.Claims
	if v, ok := s.verified.Load(bearer); ok {
		c = v.(token.Claims)
		if !now.Before(c.ExpiresAt) {
			s.verified.Delete(bearer)
			return nil, openboards.Errorf(openboards.CodeUnauthorized, "the access token has expired; get a new one from /token")
		}
	} else {
		var err error
		c, err = s.signer.Verify(bearer, now)
		if err == token.ErrExpired {
			return nil, openboards.Errorf(openboards.CodeUnauthorized, "the access token has expired; get a new one from /token")
		}
		if err != nil {
			return nil, openboards.Errorf(openboards.CodeUnauthorized, "the access token is not valid")
		}
		if s.verifiedCount.Add(1) > maxVerified {
			// Forget everything rather than track ages: tokens are cheap
			// to verify again.
			s.verified.Clear()
			s.verifiedCount.Store(1)
		}
		s.verified.Store(bearer, c)
	}
	if err := s.checkRefreshToken(ctx, c.RefreshTokenID, now); err != nil {
		return nil, err
	}
	return s.community(ctx, c.CommunityID)
}

// checkRefreshToken fails if the refresh token behind an access token was
// revoked, consulting the store at most once per revocationTTL.
func (s *Service) checkRefreshToken(ctx context.Context, id int64, now time.Time) error {
	s.mu.Lock()
	st, ok := s.tokens[id]
	s.mu.Unlock()
	if !ok || now.Sub(st.checked) > revocationTTL {
		rt, err := s.store.FindRefreshTokenByID(ctx, id)
		if err != nil && openboards.ErrorCode(err) != openboards.CodeNotFound {
			return err
		}
		st = tokenState{valid: err == nil && rt.RevokedAt == nil, checked: now}
		s.mu.Lock()
		s.tokens[id] = st
		s.mu.Unlock()
	}
	if !st.valid {
		return openboards.Errorf(openboards.CodeUnauthorized, "the refresh token behind this access token was revoked")
	}
	return nil
}

func (s *Service) community(ctx context.Context, id int64) (*openboards.Community, error) {
	s.mu.Lock()
	cm := s.comms[id]
	s.mu.Unlock()
	if cm != nil {
		return cm, nil
	}
	cm, err := s.store.FindCommunityByID(ctx, id)
	if openboards.ErrorCode(err) == openboards.CodeNotFound {
		return nil, openboards.Errorf(openboards.CodeUnauthorized, "the access token's community does not exist")
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.comms[id] = cm
	s.mu.Unlock()
	return cm, nil
}

// AuthenticateLegacy authenticates the deprecated header pair: Community
// (the community name) and X-Token (one of its refresh tokens).
func (s *Service) AuthenticateLegacy(ctx context.Context, name, secret string) (*openboards.Community, error) {
	hash := token.Hash(strings.TrimSpace(secret))
	key := strings.ToLower(strings.TrimSpace(name)) + "\x00" + string(hash)
	now := s.now()
	s.mu.Lock()
	st, ok := s.legacy[key]
	s.mu.Unlock()
	if ok && now.Sub(st.checked) <= revocationTTL {
		return st.cm, nil
	}
	fail := openboards.Errorf(openboards.CodeUnauthorized, "the Community and X-Token headers do not match a valid API token")
	if openboards.CheckText("Community", name) != nil {
		return nil, fail // no community has such a name
	}
	cm, err := s.store.FindCommunityByName(ctx, name)
	if openboards.ErrorCode(err) == openboards.CodeNotFound {
		return nil, fail
	}
	if err != nil {
		return nil, err
	}
	rt, err := s.store.FindRefreshTokenByHash(ctx, hash)
	if openboards.ErrorCode(err) == openboards.CodeNotFound || (err == nil && (rt.CommunityID != cm.ID || rt.RevokedAt != nil)) {
		return nil, fail
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.legacy) > 10000 {
		s.legacy = map[string]legacyState{}
	}
	s.legacy[key] = legacyState{cm: cm, checked: now}
	s.mu.Unlock()
	return cm, nil
}

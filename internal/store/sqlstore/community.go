package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"openboards/internal/openboards"
)

// Setting returns the value stored under key.
func (c *Conn) Setting(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := c.queryRow(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	return v, c.interpret(err, "find setting", "setting %q not found", key)
}

// PutSetting stores value under key, replacing any previous value.
func (c *Tx) PutSetting(ctx context.Context, key string, value []byte) error {
	_, err := c.exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return c.interpret(err, "put setting", "")
}

const communityColumns = `id, name, client_id, api_user_id, created_at`

func scanCommunity(r interface{ Scan(...any) error }) (*openboards.Community, error) {
	var c openboards.Community
	var created int64
	if err := r.Scan(&c.ID, &c.Name, &c.ClientID, &c.APIUserID, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = fromNanos(created)
	return &c, nil
}

// FindCommunityByID returns the community with the given id.
func (c *Conn) FindCommunityByID(ctx context.Context, id int64) (*openboards.Community, error) {
	cm, err := scanCommunity(c.queryRow(ctx, `SELECT `+communityColumns+` FROM communities WHERE id = ?`, id))
	return cm, c.interpret(err, "find community", "community %d not found", id)
}

// FindCommunityByName returns the community with the given name, matched
// without regard to case.
func (c *Conn) FindCommunityByName(ctx context.Context, name string) (*openboards.Community, error) {
	cm, err := scanCommunity(c.queryRow(ctx, `SELECT `+communityColumns+` FROM communities WHERE name_key = ?`, openboards.NormalizeEmail(name)))
	return cm, c.interpret(err, "find community", "community %q not found", name)
}

// FindCommunityByClientID returns the community with the given client id.
func (c *Conn) FindCommunityByClientID(ctx context.Context, clientID string) (*openboards.Community, error) {
	cm, err := scanCommunity(c.queryRow(ctx, `SELECT `+communityColumns+` FROM communities WHERE client_id = ?`, clientID))
	return cm, c.interpret(err, "find community", "no community has client id %q", clientID)
}

// FindCommunities lists every community, oldest first.
func (c *Conn) FindCommunities(ctx context.Context) ([]*openboards.Community, error) {
	rows, err := c.query(ctx, `SELECT `+communityColumns+` FROM communities ORDER BY id`)
	if err != nil {
		return nil, c.interpret(err, "find communities", "")
	}
	defer rows.Close()
	out := []*openboards.Community{}
	for rows.Next() {
		cm, err := scanCommunity(rows)
		if err != nil {
			return nil, c.interpret(err, "find communities", "")
		}
		out = append(out, cm)
	}
	return out, c.interpret(rows.Err(), "find communities", "")
}

// CreateCommunity stores a new community and sets its ID.
func (c *Tx) CreateCommunity(ctx context.Context, cm *openboards.Community) error {
	err := c.queryRow(ctx, `INSERT INTO communities (name, name_key, client_id, api_user_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		cm.Name, openboards.NormalizeEmail(cm.Name), cm.ClientID, cm.APIUserID, nanos(cm.CreatedAt)).Scan(&cm.ID)
	if openboards.ErrorCode(c.interpret(err, "", "")) == openboards.CodeConflict {
		return openboards.Errorf(openboards.CodeConflict, "name: a community named %q already exists", cm.Name)
	}
	return c.interpret(err, "create community", "")
}

// RenameCommunity gives a community a new name.
func (c *Tx) RenameCommunity(ctx context.Context, id int64, name string) error {
	res, err := c.exec(ctx, `UPDATE communities SET name = ?, name_key = ? WHERE id = ?`, name, openboards.NormalizeEmail(name), id)
	err = affected(res, err, "community %d not found", id)
	if openboards.ErrorCode(c.interpret(err, "", "")) == openboards.CodeConflict {
		return openboards.Errorf(openboards.CodeConflict, "name: a community named %q already exists", name)
	}
	return c.interpret(err, "rename community", "")
}

const refreshTokenColumns = `id, community_id, name, token_hash, created_at, revoked_at`

func scanRefreshToken(r interface{ Scan(...any) error }) (*openboards.RefreshToken, error) {
	var t openboards.RefreshToken
	var created int64
	var revoked sql.NullInt64
	if err := r.Scan(&t.ID, &t.CommunityID, &t.Name, &t.Hash, &created, &revoked); err != nil {
		return nil, err
	}
	t.CreatedAt = fromNanos(created)
	t.RevokedAt = fromNullNanos(revoked)
	return &t, nil
}

// FindRefreshTokenByHash returns the refresh token whose secret hashes to hash.
func (c *Conn) FindRefreshTokenByHash(ctx context.Context, hash []byte) (*openboards.RefreshToken, error) {
	t, err := scanRefreshToken(c.queryRow(ctx, `SELECT `+refreshTokenColumns+` FROM refresh_tokens WHERE token_hash = ?`, hash))
	return t, c.interpret(err, "find refresh token", "refresh token not found")
}

// FindRefreshTokenByID returns the refresh token with the given id.
func (c *Conn) FindRefreshTokenByID(ctx context.Context, id int64) (*openboards.RefreshToken, error) {
	t, err := scanRefreshToken(c.queryRow(ctx, `SELECT `+refreshTokenColumns+` FROM refresh_tokens WHERE id = ?`, id))
	return t, c.interpret(err, "find refresh token", "refresh token %d not found", id)
}

// FindRefreshTokens lists a community's refresh tokens, oldest first.
func (c *Conn) FindRefreshTokens(ctx context.Context, communityID int64) ([]*openboards.RefreshToken, error) {
	rows, err := c.query(ctx, `SELECT `+refreshTokenColumns+` FROM refresh_tokens WHERE community_id = ? ORDER BY id`, communityID)
	if err != nil {
		return nil, c.interpret(err, "find refresh tokens", "")
	}
	defer rows.Close()
	var out []*openboards.RefreshToken
	for rows.Next() {
		t, err := scanRefreshToken(rows)
		if err != nil {
			return nil, c.interpret(err, "find refresh tokens", "")
		}
		out = append(out, t)
	}
	return out, c.interpret(rows.Err(), "find refresh tokens", "")
}

// CreateRefreshToken stores a new refresh token and sets its ID.
func (c *Tx) CreateRefreshToken(ctx context.Context, t *openboards.RefreshToken) error {
	err := c.queryRow(ctx, `INSERT INTO refresh_tokens (community_id, name, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		t.CommunityID, t.Name, t.Hash, nanos(t.CreatedAt)).Scan(&t.ID)
	return c.interpret(err, "create refresh token", "")
}

// RevokeRefreshToken marks a refresh token revoked; revoking twice keeps the
// first time.
func (c *Tx) RevokeRefreshToken(ctx context.Context, communityID, id int64, at time.Time) error {
	res, err := c.exec(ctx, `UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE community_id = ? AND id = ?`, nanos(at), communityID, id)
	return c.interpret(affected(res, err, "refresh token %d not found", id), "revoke refresh token", "")
}

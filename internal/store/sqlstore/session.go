package sqlstore

import (
	"context"
	"time"

	"openboards/internal/openboards"
)

// FindPasswordHash returns a user's password hash.
func (c *Conn) FindPasswordHash(ctx context.Context, userID string) (string, error) {
	var hash string
	err := c.queryRow(ctx, `SELECT hash FROM user_passwords WHERE user_id = ?`, userID).Scan(&hash)
	if err != nil {
		return "", c.interpret(err, "find password", "user %s has no password", userID)
	}
	return hash, nil
}

// PutPassword sets a user's password hash.
func (c *Tx) PutPassword(ctx context.Context, userID, hash string, at time.Time) error {
	_, err := c.exec(ctx, `INSERT INTO user_passwords (user_id, hash, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`, userID, hash, nanos(at))
	return c.interpret(err, "put password", "")
}

// FindSessionByHash returns a session by its secret's hash.
func (c *Conn) FindSessionByHash(ctx context.Context, hash []byte) (*openboards.Session, error) {
	s := openboards.Session{Hash: hash}
	var created, seen, expires int64
	err := c.queryRow(ctx, `SELECT user_id, community_id, csrf, created_at, last_seen_at, expires_at FROM sessions WHERE hash = ?`, hash).
		Scan(&s.UserID, &s.CommunityID, &s.CSRF, &created, &seen, &expires)
	if err != nil {
		return nil, c.interpret(err, "find session", "session not found")
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromNanos(created), fromNanos(seen), fromNanos(expires)
	return &s, nil
}

// CreateSession stores a new session.
func (c *Tx) CreateSession(ctx context.Context, s *openboards.Session) error {
	_, err := c.exec(ctx, `INSERT INTO sessions (hash, user_id, community_id, csrf, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		s.Hash, s.UserID, s.CommunityID, s.CSRF, nanos(s.CreatedAt), nanos(s.LastSeenAt), nanos(s.ExpiresAt))
	return c.interpret(err, "create session", "")
}

// TouchSession extends a session.
func (c *Tx) TouchSession(ctx context.Context, hash []byte, seen, expires time.Time) error {
	_, err := c.exec(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE hash = ?`, nanos(seen), nanos(expires), hash)
	return c.interpret(err, "touch session", "")
}

// DeleteSession ends a session.
func (c *Tx) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := c.exec(ctx, `DELETE FROM sessions WHERE hash = ?`, hash)
	return c.interpret(err, "delete session", "")
}

// DeleteUserSessions ends a user's sessions but keep.
func (c *Tx) DeleteUserSessions(ctx context.Context, userID string, keep []byte) error {
	if keep == nil {
		keep = []byte{}
	}
	_, err := c.exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND hash <> ?`, userID, keep)
	return c.interpret(err, "delete sessions", "")
}

package openboards

import (
	"context"
	"time"
)

// Session is a teammate signed in to the inbox. The browser holds a random
// secret; the store keeps only its hash.
type Session struct {
	Hash        []byte
	UserID      string
	CommunityID int64
	// CSRF is the token the session's forms carry.
	CSRF       string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// SessionReader reads teammates' passwords and inbox sessions.
type SessionReader interface {
	// FindPasswordHash returns a user's encoded password hash, CodeNotFound
	// when the user has no password.
	FindPasswordHash(ctx context.Context, userID string) (string, error)
	FindSessionByHash(ctx context.Context, hash []byte) (*Session, error)
}

// SessionStore writes passwords and sessions.
type SessionStore interface {
	SessionReader
	// PutPassword sets a user's encoded password hash.
	PutPassword(ctx context.Context, userID, hash string, at time.Time) error
	CreateSession(ctx context.Context, s *Session) error
	// TouchSession moves a session's last use and expiry forward.
	TouchSession(ctx context.Context, hash []byte, seen, expires time.Time) error
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteUserSessions signs a user out everywhere but the session keep
	// (nil: everywhere).
	DeleteUserSessions(ctx context.Context, userID string, keep []byte) error
}

package openboards

import "time"

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

package openboards

import (
	"context"
	"time"
)

// Community is one tenant: its own users, tickets and settings. Every API
// token belongs to exactly one community.
type Community struct {
	ID        int64
	Name      string
	ClientID  string
	APIUserID string // the user that API calls act as
	CreatedAt time.Time
}

// RefreshToken is a long-lived API secret of a community. Only a hash of the
// secret is stored.
type RefreshToken struct {
	ID          int64
	CommunityID int64
	Name        string
	Hash        []byte
	CreatedAt   time.Time
	RevokedAt   *time.Time
}

// CommunityReader reads communities and their API refresh tokens.
type CommunityReader interface {
	FindCommunityByID(ctx context.Context, id int64) (*Community, error)
	FindCommunityByName(ctx context.Context, name string) (*Community, error)
	FindCommunityByClientID(ctx context.Context, clientID string) (*Community, error)
	// FindCommunities lists every community, oldest first.
	FindCommunities(ctx context.Context) ([]*Community, error)
	FindRefreshTokenByHash(ctx context.Context, hash []byte) (*RefreshToken, error)
	FindRefreshTokenByID(ctx context.Context, id int64) (*RefreshToken, error)
	FindRefreshTokens(ctx context.Context, communityID int64) ([]*RefreshToken, error)
}

// CommunityStore writes communities and their refresh tokens.
type CommunityStore interface {
	CommunityReader
	CreateCommunity(ctx context.Context, c *Community) error
	// RenameCommunity gives a community a new name; CodeConflict when
	// another community has it.
	RenameCommunity(ctx context.Context, id int64, name string) error
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	RevokeRefreshToken(ctx context.Context, communityID, id int64, at time.Time) error
}

// SettingReader reads the server's own settings (signing keys and the
// like), each a byte string under a key.
type SettingReader interface {
	Setting(ctx context.Context, key string) ([]byte, error)
}

// SettingStore writes server settings.
type SettingStore interface {
	SettingReader
	PutSetting(ctx context.Context, key string, value []byte) error
}

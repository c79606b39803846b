package openboards

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"
)

// UserStatus is what a user is to a community: a customer, a teammate or a
// bot. It is rendered as the User object's "status".
type UserStatus string

// The user statuses.
const (
	StatusClient UserStatus = "client"
	StatusTeam   UserStatus = "team"
	StatusBot    UserStatus = "bot"
)

// Role is a teammate's permission level (the User Role enumeration).
type Role string

// The teammate roles. Only admins and team members may be assigned tickets.
const (
	RoleAdmin        Role = "admin"
	RoleTeamMember   Role = "team_member"
	RoleVendor       Role = "vendor"
	RoleReadOnlyUser Role = "read_only_user"
)

// Roles lists every Role in a stable order.
var Roles = []Role{RoleAdmin, RoleTeamMember, RoleVendor, RoleReadOnlyUser}

// ParseRole returns the Role named s, or an invalid-input error naming field.
func ParseRole(field, s string) (Role, error) {
	for _, r := range Roles {
		if strings.EqualFold(string(r), s) {
			return r, nil
		}
	}
	return "", Errorf(CodeInvalid, "%s: unknown role %q (want one of admin, team_member, vendor, read_only_user)", field, s)
}

// CanBeAssigned reports whether a teammate with role r may hold tickets.
func (r Role) CanBeAssigned() bool { return r == RoleAdmin || r == RoleTeamMember }

// User is a person or bot known to a community: a customer who wrote in, or
// a teammate. Users are identified by a GUID.
type User struct {
	ID               string
	CommunityID      int64
	Name             string
	Email            *string
	CustomIdentifier *string
	Image            *string
	PhoneNumber      *string
	IsBot            bool
	Status           UserStatus
	Role             Role // empty unless Status is StatusTeam
	CreatedAt        time.Time
}

// UserRef identifies a user in a request: by id, e-mail or custom
// identifier, in that order of precedence.
type UserRef struct {
	ID               string
	Email            string
	CustomIdentifier string
}

// IsZero reports whether r names no user at all.
func (r UserRef) IsZero() bool { return r.ID == "" && r.Email == "" && r.CustomIdentifier == "" }

// NewID returns a random (version 4) GUID in lower case, the form user ids
// take.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// IsGUID reports whether s has the 8-4-4-4-12 hexadecimal GUID form.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// NormalizeEmail returns the key under which an e-mail address is unique:
// trimmed and lower-cased.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// NormalizeCustomIdentifier trims and lower-cases a custom identifier, as the
// documented API stores it.
func NormalizeCustomIdentifier(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidEmail reports whether s looks like an e-mail address: at most
// MaxEmailLen bytes, one @ with text on both sides, no spaces, a dot in the
// domain.
func ValidEmail(s string) bool {
	if len(s) > MaxEmailLen || CheckText("", s) != nil {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') || strings.ContainsAny(s, " \t\r\n<>,;") {
		return false
	}
	domain := s[at+1:]
	return len(domain) >= 3 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// UserGroup is a named set of teammates.
type UserGroup struct {
	ID          int64
	CommunityID int64
	Name        string
	CreatedAt   time.Time
}

// UserReader reads a community's users: teammates, customers and the API
// user.
type UserReader interface {
	FindUserByID(ctx context.Context, communityID int64, id string) (*User, error)
	FindUserByEmail(ctx context.Context, communityID int64, email string) (*User, error)
	FindUserByCustomIdentifier(ctx context.Context, communityID int64, ci string) (*User, error)
	FindUsersByIDs(ctx context.Context, communityID int64, ids []string) ([]User, error)
	// FindTeammates lists a community's teammates by name, only the members
	// of group groupID when it is not nil.
	FindTeammates(ctx context.Context, communityID int64, groupID *int64) ([]*User, error)
}

// UserStore writes users.
type UserStore interface {
	UserReader
	CreateUser(ctx context.Context, u *User) error
	// CreateUserUnlessTaken is CreateUser, except that an e-mail address or
	// custom identifier already taken leaves u unstored (false) instead of
	// failing: the caller looks the holder up.
	CreateUserUnlessTaken(ctx context.Context, u *User) (bool, error)
	UpdateUser(ctx context.Context, u *User) error
	// RemoveTeammate takes the access of teammate id away: their password,
	// sessions and user group memberships are deleted, and they become a
	// user with status client and no role. The user stays, so the tickets,
	// replies, notes and log entries they wrote keep their author.
	// CodeNotFound unless id is a teammate of the community.
	RemoveTeammate(ctx context.Context, communityID int64, id string) error
}

// UserGroupReader reads user groups and their members.
type UserGroupReader interface {
	FindUserGroupByID(ctx context.Context, communityID, id int64) (*UserGroup, error)
	FindUserGroups(ctx context.Context, communityID int64) ([]*UserGroup, error)
	FindUserGroupMemberIDs(ctx context.Context, communityID, groupID int64) ([]string, error)
}

// UserGroupStore writes user groups and their members.
type UserGroupStore interface {
	UserGroupReader
	CreateUserGroup(ctx context.Context, g *UserGroup) error
	UpdateUserGroup(ctx context.Context, g *UserGroup) error
	DeleteUserGroup(ctx context.Context, communityID, id int64) error
	AddUserGroupMembers(ctx context.Context, communityID, groupID int64, userIDs []string) error
	RemoveUserGroupMember(ctx context.Context, communityID, groupID int64, userID string) error
}

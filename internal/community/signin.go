package community

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"openboards/internal/openboards"
	"openboards/internal/token"
)

// Password hashing: Argon2id with the parameters OWASP recommends for
// servers (19 MiB, two passes, one lane), encoded in the PHC string format
// so that stronger parameters can be adopted later without breaking
// stored hashes.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// The password rule: at least MinPasswordLen characters, at most
// MaxPasswordLen bytes.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// PasswordRule states the password rule for people choosing one.
func PasswordRule() string {
	return fmt.Sprintf("at least %d characters (at most %d bytes)", MinPasswordLen, MaxPasswordLen)
}

// Sessions last SessionTTL from their last use.
const SessionTTL = 14 * 24 * time.Hour

// sessionTouchEvery bounds how often a session's expiry is moved forward:
// at most one write per session per interval, not one per request.
const sessionTouchEvery = time.Hour

// hashPassword hashes password with a slot of the service's hash pool, or
// fails with limit.ErrBusy when every slot is taken.
func (s *Service) hashPassword(password string) (string, error) {
	release, err := s.hashes.Acquire()
	if err != nil {
		return "", err
	}
	defer release()
	return hashPassword(password), nil
}

// checkPassword checks password with a slot of the service's hash pool,
// or fails with limit.ErrBusy when every slot is taken.
func (s *Service) checkPassword(encoded, password string) (bool, error) {
	release, err := s.hashes.Acquire()
	if err != nil {
		return false, err
	}
	defer release()
	return checkPassword(encoded, password), nil
}

// hashPassword returns the encoded Argon2id hash of password.
func hashPassword(password string) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// checkPassword reports whether password matches an encoded hash.
func checkPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var memory, time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// ValidatePassword checks a new password against the password rule; the
// error names field.
func ValidatePassword(field, password string) error {
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLen {
		return openboards.Errorf(openboards.CodeInvalid, "%s: at least %d characters", field, MinPasswordLen)
	}
	if len(password) > MaxPasswordLen {
		return openboards.Errorf(openboards.CodeInvalid, "%s: at most %d bytes", field, MaxPasswordLen)
	}
	return nil
}

// SetPassword sets the inbox password of the teammate with e-mail email,
// and signs them out everywhere.
func (s *Service) SetPassword(ctx context.Context, cm *openboards.Community, email, password string) (*openboards.User, error) {
	if err := ValidatePassword("password", password); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return nil, err
	}
	var u *openboards.User
	err = s.store.InTx(ctx, func(tx openboards.Tx) error {
		var err error
		u, err = tx.FindUserByEmail(ctx, cm.ID, strings.TrimSpace(email))
		if openboards.ErrorCode(err) == openboards.CodeNotFound || (err == nil && u.Status != openboards.StatusTeam) {
			return openboards.Errorf(openboards.CodeNotFound, "email: no teammate with e-mail %q in %s", email, cm.Name)
		}
		if err != nil {
			return err
		}
		if err := tx.PutPassword(ctx, u.ID, hash, s.now().UTC()); err != nil {
			return err
		}
		return tx.DeleteUserSessions(ctx, u.ID, nil)
	})
	return u, err
}

// SignedIn is a valid session with its teammate and community.
type SignedIn struct {
	Session   *openboards.Session
	User      *openboards.User
	Community *openboards.Community
	// Extended reports that this request moved the session's expiry
	// forward, so the browser's cookie should be renewed too.
	Extended bool
}

// errSignIn is the one answer to every failed sign-in, so that it tells
// nothing about which part was wrong.
var errSignIn = openboards.Errorf(openboards.CodeUnauthorized, "the community, e-mail or password is not right")

// SignIn checks a teammate's password and starts a session, returning its
// secret (for the cookie). A wrong community, e-mail or password is
// CodeUnauthorized; limit.ErrBusy (503) means every password-hash slot was
// taken and nothing was checked.
func (s *Service) SignIn(ctx context.Context, communityName, email, password string) (*SignedIn, string, error) {
	for _, f := range []struct{ name, value string }{{"community", communityName}, {"email", email}, {"password", password}} {
		if err := openboards.CheckText(f.name, f.value); err != nil {
			return nil, "", err
		}
	}
	// The slot is taken first, so that a full pool is answered before
	// any database work.
	release, err := s.hashes.Acquire()
	if err != nil {
		return nil, "", err
	}
	// Whatever is missing, a password is checked, so that a failed
	// sign-in takes as long whatever failed.
	hash := dummyHash
	cm, err := s.store.FindCommunityByName(ctx, strings.TrimSpace(communityName))
	var u *openboards.User
	if err == nil {
		u, err = s.store.FindUserByEmail(ctx, cm.ID, strings.TrimSpace(email))
		if err == nil && u.Status != openboards.StatusTeam {
			err = openboards.Errorf(openboards.CodeNotFound, "not a teammate")
		}
	}
	if err == nil {
		hash, err = s.store.FindPasswordHash(ctx, u.ID)
		if err != nil {
			hash = dummyHash
		}
	}
	if err != nil && openboards.ErrorCode(err) != openboards.CodeNotFound {
		release()
		return nil, "", err
	}
	ok := checkPassword(hash, password)
	release()
	if !ok || err != nil {
		return nil, "", errSignIn
	}
	secret, sum := token.NewSecret()
	csrf, _ := token.NewSecret()
	now := s.now().UTC()
	sess := &openboards.Session{Hash: sum, UserID: u.ID, CommunityID: cm.ID, CSRF: csrf, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(SessionTTL)}
	if err := s.store.InTx(ctx, func(tx openboards.Tx) error { return tx.CreateSession(ctx, sess) }); err != nil {
		return nil, "", err
	}
	return &SignedIn{Session: sess, User: u, Community: cm}, secret, nil
}

// dummyHash is checked against when there is no real hash, so that a
// failed sign-in takes as long whatever failed.
var dummyHash = hashPassword("not a password anyone has")

// Session returns the signed-in teammate of a session secret, extending
// the session when it was last extended long enough ago. An unknown,
// expired or orphaned session reports CodeUnauthorized.
func (s *Service) Session(ctx context.Context, secret string) (*SignedIn, error) {
	sess, err := s.store.FindSessionByHash(ctx, token.Hash(secret))
	if openboards.ErrorCode(err) == openboards.CodeNotFound {
		return nil, openboards.Errorf(openboards.CodeUnauthorized, "not signed in")
	}
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if !now.Before(sess.ExpiresAt) {
		return nil, openboards.Errorf(openboards.CodeUnauthorized, "the session has expired; sign in again")
	}
	u, err := s.store.FindUserByID(ctx, sess.CommunityID, sess.UserID)
	if err == nil && u.Status != openboards.StatusTeam {
		err = openboards.Errorf(openboards.CodeNotFound, "not a teammate")
	}
	if openboards.ErrorCode(err) == openboards.CodeNotFound {
		return nil, openboards.Errorf(openboards.CodeUnauthorized, "not signed in")
	}
	if err != nil {
		return nil, err
	}
	cm, err := s.community(ctx, sess.CommunityID)
	if err != nil {
		return nil, err
	}
	extended := false
	if now.Sub(sess.LastSeenAt) >= sessionTouchEvery {
		sess.LastSeenAt, sess.ExpiresAt = now, now.Add(SessionTTL)
		if err := s.store.InTx(ctx, func(tx openboards.Tx) error { return tx.TouchSession(ctx, sess.Hash, now, sess.ExpiresAt) }); err != nil {
			return nil, err
		}
		extended = true
	}
	return &SignedIn{Session: sess, User: u, Community: cm, Extended: extended}, nil
}

// SignOut ends a session.
func (s *Service) SignOut(ctx context.Context, sess *openboards.Session) error {
	return s.store.InTx(ctx, func(tx openboards.Tx) error { return tx.DeleteSession(ctx, sess.Hash) })
}

// ErrCurrentPassword is ChangePassword's answer to a wrong current
// password, the one failure a caller counts against its limits.
var ErrCurrentPassword = openboards.Errorf(openboards.CodeInvalid, "current: the current password is not right")

// ChangePassword replaces a signed-in teammate's password after checking
// the current one, and ends their other sessions.
func (s *Service) ChangePassword(ctx context.Context, in *SignedIn, current, next string) error {
	hash, err := s.store.FindPasswordHash(ctx, in.User.ID)
	if err != nil {
		return err
	}
	if err := ValidatePassword("new", next); err != nil {
		return err
	}
	ok, err := s.checkPassword(hash, current)
	if err != nil {
		return err
	}
	if !ok {
		return ErrCurrentPassword
	}
	nextHash, err := s.hashPassword(next)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx openboards.Tx) error {
		if err := tx.PutPassword(ctx, in.User.ID, nextHash, s.now().UTC()); err != nil {
			return err
		}
		return tx.DeleteUserSessions(ctx, in.User.ID, in.Session.Hash)
	})
}

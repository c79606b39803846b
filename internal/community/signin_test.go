package community_test

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"openboards/internal/community"
	"openboards/internal/limit"
	"openboards/internal/openboards"
	"openboards/internal/token"
)

const goodPassword = "correct horse battery staple"

// phc matches the PHC string of an Argon2id hash with the parameters the
// service promises: 19 MiB, two passes, one lane, a 16-byte salt and a
// 32-byte key (unpadded standard base64).
var phc = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$`)

// teammate adds a teammate with the given role and, when password is not
// empty, sets their inbox password.
func (b *bundle) teammate(t *testing.T, email, role, password string) *openboards.User {
	t.Helper()
	u, err := b.svc.AddTeammate(b.ctx, b.cm, community.TeammateInput{Email: email, Name: strings.Split(email, "@")[0], Role: role})
	if err != nil {
		t.Fatal(err)
	}
	if password != "" {
		if _, err := b.svc.SetPassword(b.ctx, b.cm, email, password); err != nil {
			t.Fatalf("SetPassword(%s): %v", email, err)
		}
	}
	return u
}

// customer stores a customer (not a teammate) with an e-mail address.
func (b *bundle) customer(t *testing.T, email string) *openboards.User {
	t.Helper()
	u := &openboards.User{ID: openboards.NewID(), CommunityID: b.cm.ID, Name: "Carl Customer", Email: &email,
		Status: openboards.StatusClient, CreatedAt: b.clock.now()}
	if err := b.store.InTx(b.ctx, func(tx openboards.Tx) error { return tx.CreateUser(b.ctx, u) }); err != nil {
		t.Fatal(err)
	}
	return u
}

func (b *bundle) passwordHash(t *testing.T, userID string) string {
	t.Helper()
	h, err := b.store.FindPasswordHash(b.ctx, userID)
	if err != nil {
		t.Fatalf("FindPasswordHash: %v", err)
	}
	return h
}

// signIn signs a teammate of the bundle's community in and returns the
// session and its secret.
func (b *bundle) signIn(t *testing.T, email, password string) (*community.SignedIn, string) {
	t.Helper()
	in, secret, err := b.svc.SignIn(b.ctx, b.cm.Name, email, password)
	if err != nil {
		t.Fatalf("SignIn(%s): %v", email, err)
	}
	return in, secret
}

// wantSignedOut fails unless secret no longer names a session.
func (b *bundle) wantSignedOut(t *testing.T, secret string) {
	t.Helper()
	in, err := b.svc.Session(b.ctx, secret)
	if openboards.ErrorCode(err) != openboards.CodeUnauthorized || in != nil {
		t.Fatalf("Session after sign-out: %+v, %v; want CodeUnauthorized", in, err)
	}
}

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.teammate(t, "ann@acme.test", "admin", goodPassword)
	first := b.passwordHash(t, u.ID)
	if _, err := b.svc.SetPassword(b.ctx, b.cm, "ann@acme.test", goodPassword); err != nil {
		t.Fatal(err)
	}
	second := b.passwordHash(t, u.ID)
	if first == second {
		t.Fatalf("the same password hashed twice gave the same string %q: no random salt", first)
	}
	for _, h := range []string{first, second} {
		m := phc.FindStringSubmatch(h)
		if m == nil {
			t.Fatalf("hash %q is not an Argon2id PHC string with the expected parameters", h)
		}
		if strings.Contains(h, goodPassword) {
			t.Fatalf("hash %q holds the password", h)
		}
		// Recompute the key from the salt: the string must be what it
		// says it is, not merely look like it.
		salt, err := base64.RawStdEncoding.DecodeString(m[1])
		if err != nil {
			t.Fatal(err)
		}
		key, err := base64.RawStdEncoding.DecodeString(m[2])
		if err != nil {
			t.Fatal(err)
		}
		if got := argon2.IDKey([]byte(goodPassword), salt, 2, 19*1024, 1, 32); subtle.ConstantTimeCompare(got, key) != 1 {
			t.Fatalf("hash %q does not hold Argon2id(password, salt)", h)
		}
	}
	if strings.Split(first, "$")[4] == strings.Split(second, "$")[4] {
		t.Fatal("two hashes share a salt")
	}

	// The stored hash verifies the right password only.
	if in, secret := b.signIn(t, "ann@acme.test", goodPassword); in.User.ID != u.ID || secret == "" {
		t.Fatalf("SignIn = %+v, %q", in, secret)
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple", goodPassword + " ", first} {
		if _, _, err := b.svc.SignIn(b.ctx, b.cm.Name, "ann@acme.test", wrong); openboards.ErrorCode(err) != openboards.CodeUnauthorized {
			t.Errorf("SignIn with password %q: %v, want CodeUnauthorized", wrong, err)
		}
	}
}

func TestSetPassword(t *testing.T) {
	t.Parallel()
	t.Run("Length", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		u := b.teammate(t, "ann@acme.test", "team_member", "")
		for _, pw := range []string{"", "short", "123456789", "ééééééééé"} { // the last is 9 characters in 18 bytes
			_, err := b.svc.SetPassword(b.ctx, b.cm, "ann@acme.test", pw)
			wantCode(t, err, openboards.CodeInvalid)
			if !strings.Contains(err.Error(), "at least 10 characters") {
				t.Errorf("SetPassword(%q) error %q does not say how long a password must be", pw, err)
			}
		}
		_, err := b.store.FindPasswordHash(b.ctx, u.ID)
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.svc.SetPassword(b.ctx, b.cm, "ann@acme.test", strings.Repeat("x", 257))
		wantCode(t, err, openboards.CodeInvalid)
		for _, pw := range []string{"1234567890", "éééééééééé"} {
			if _, err := b.svc.SetPassword(b.ctx, b.cm, "ann@acme.test", pw); err != nil {
				t.Fatalf("SetPassword(%q): %v", pw, err)
			}
			b.signIn(t, "ann@acme.test", pw)
		}
	})
	t.Run("ErrNotTeammate", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.teammate(t, "ann@acme.test", "team_member", "")
		c := b.customer(t, "carl@example.com")
		_, err := b.svc.SetPassword(b.ctx, b.cm, "nobody@acme.test", goodPassword)
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.svc.SetPassword(b.ctx, b.cm, "carl@example.com", goodPassword)
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.FindPasswordHash(b.ctx, c.ID)
		wantCode(t, err, openboards.CodeNotFound)
		// A teammate of another community is unknown here.
		other, err := b.svc.Create(b.ctx, "Other")
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.svc.SetPassword(b.ctx, other.Community, "ann@acme.test", goodPassword)
		wantCode(t, err, openboards.CodeNotFound)
	})
	t.Run("SignsOut", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ann := b.teammate(t, "ann@acme.test", "team_member", goodPassword)
		b.teammate(t, "bob@acme.test", "team_member", goodPassword)
		_, s1 := b.signIn(t, "ann@acme.test", goodPassword)
		_, s2 := b.signIn(t, "ann@acme.test", goodPassword)
		_, bob := b.signIn(t, "bob@acme.test", goodPassword)
		u, err := b.svc.SetPassword(b.ctx, b.cm, " ANN@acme.test ", "a brand new password")
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != ann.ID {
			t.Fatalf("SetPassword returned user %s, want %s", u.ID, ann.ID)
		}
		b.wantSignedOut(t, s1)
		b.wantSignedOut(t, s2)
		if _, err := b.svc.Session(b.ctx, bob); err != nil {
			t.Fatalf("another teammate's session ended too: %v", err)
		}
		_, _, err = b.svc.SignIn(b.ctx, b.cm.Name, "ann@acme.test", goodPassword)
		wantCode(t, err, openboards.CodeUnauthorized)
		b.signIn(t, "ann@acme.test", "a brand new password")
	})
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ann := b.teammate(t, "ann@acme.test", "vendor", goodPassword)
		in, secret, err := b.svc.SignIn(b.ctx, " acme support ", " Ann@Acme.test ", goodPassword)
		if err != nil {
			t.Fatal(err)
		}
		now := b.clock.now()
		if in.User.ID != ann.ID || in.Community.ID != b.cm.ID || in.Session.UserID != ann.ID || in.Session.CommunityID != b.cm.ID {
			t.Fatalf("SignIn = %+v", in)
		}
		if !in.Session.ExpiresAt.Equal(now.Add(community.SessionTTL)) || !in.Session.LastSeenAt.Equal(now) {
			t.Fatalf("session times %+v, want last seen %v and expiry %v later", in.Session, now, community.SessionTTL)
		}
		if secret == "" || in.Session.CSRF == "" || in.Session.CSRF == secret {
			t.Fatalf("secret %q, CSRF token %q", secret, in.Session.CSRF)
		}
		// The store holds the secret's hash, not the secret.
		stored, err := b.store.FindSessionByHash(b.ctx, token.Hash(secret))
		if err != nil {
			t.Fatal(err)
		}
		if stored.UserID != ann.ID || stored.CSRF != in.Session.CSRF {
			t.Fatalf("stored session %+v", stored)
		}
		_, err = b.store.FindSessionByHash(b.ctx, []byte(secret))
		wantCode(t, err, openboards.CodeNotFound)
		got, err := b.svc.Session(b.ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if got.User.ID != ann.ID || got.Community.ID != b.cm.ID || got.Session.CSRF != in.Session.CSRF {
			t.Fatalf("Session = %+v", got)
		}
		// Every sign-in is a session of its own.
		_, again := b.signIn(t, "ann@acme.test", goodPassword)
		if again == secret {
			t.Fatal("two sign-ins share a session secret")
		}
	})
	t.Run("ErrSameForEveryFailure", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ann := b.teammate(t, "ann@acme.test", "admin", goodPassword)
		b.teammate(t, "bob@acme.test", "admin", "") // no password
		carl := b.customer(t, "carl@example.com")
		// Even a customer holding a valid hash cannot sign in.
		hash := b.passwordHash(t, ann.ID)
		if err := b.store.InTx(b.ctx, func(tx openboards.Tx) error { return tx.PutPassword(b.ctx, carl.ID, hash, b.clock.now()) }); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Create(b.ctx, "Other"); err != nil {
			t.Fatal(err)
		}
		cases := []struct{ name, community, email, password string }{
			{"UnknownCommunity", "Nowhere", "ann@acme.test", goodPassword},
			{"OtherCommunity", "Other", "ann@acme.test", goodPassword},
			{"UnknownEmail", b.cm.Name, "nobody@acme.test", goodPassword},
			{"Customer", b.cm.Name, "carl@example.com", goodPassword},
			{"NoPassword", b.cm.Name, "bob@acme.test", goodPassword},
			{"WrongPassword", b.cm.Name, "ann@acme.test", "not the password"},
			{"EmptyPassword", b.cm.Name, "ann@acme.test", ""},
		}
		var first string
		for _, c := range cases {
			in, secret, err := b.svc.SignIn(b.ctx, c.community, c.email, c.password)
			if in != nil || secret != "" {
				t.Errorf("%s: SignIn = %+v, %q", c.name, in, secret)
			}
			if openboards.ErrorCode(err) != openboards.CodeUnauthorized {
				t.Errorf("%s: %v, want CodeUnauthorized", c.name, err)
				continue
			}
			if first == "" {
				first = err.Error()
			}
			if err.Error() != first {
				t.Errorf("%s: error %q differs from %q and tells which part was wrong", c.name, err, first)
			}
		}
	})
}

func TestSession(t *testing.T) {
	t.Parallel()
	t.Run("ErrUnknown", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, s := range []string{"", "not a session", b.created.RefreshToken} {
			_, err := b.svc.Session(b.ctx, s)
			wantCode(t, err, openboards.CodeUnauthorized)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.teammate(t, "ann@acme.test", "admin", goodPassword)
		_, secret := b.signIn(t, "ann@acme.test", goodPassword)
		b.clock.advance(community.SessionTTL - time.Second)
		if _, err := b.svc.Session(b.ctx, secret); err != nil {
			t.Fatalf("a session unused for less than its lifetime: %v", err)
		}
		_, other := b.signIn(t, "ann@acme.test", goodPassword)
		b.clock.advance(community.SessionTTL)
		b.wantSignedOut(t, other)
		// Using it again does not revive it.
		b.wantSignedOut(t, other)
	})
	t.Run("ErrExpiredExactly", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.teammate(t, "ann@acme.test", "admin", goodPassword)
		_, secret := b.signIn(t, "ann@acme.test", goodPassword)
		b.clock.advance(community.SessionTTL)
		b.wantSignedOut(t, secret)
	})
	t.Run("Extends", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.teammate(t, "ann@acme.test", "admin", goodPassword)
		start := b.clock.now()
		_, secret := b.signIn(t, "ann@acme.test", goodPassword)
		stored := func() *openboards.Session {
			t.Helper()
			s, err := b.store.FindSessionByHash(b.ctx, token.Hash(secret))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		// Used within the hour: nothing is written.
		b.clock.advance(59 * time.Minute)
		in, err := b.svc.Session(b.ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if s := stored(); !s.LastSeenAt.Equal(start) || !s.ExpiresAt.Equal(start.Add(community.SessionTTL)) {
			t.Fatalf("a session used after 59 minutes was moved: %+v", s)
		}
		if !in.Session.ExpiresAt.Equal(start.Add(community.SessionTTL)) {
			t.Fatalf("Session reports expiry %v, want %v", in.Session.ExpiresAt, start.Add(community.SessionTTL))
		}
		// Used more than an hour after: extended from now.
		b.clock.advance(2 * time.Minute)
		now := b.clock.now()
		in, err = b.svc.Session(b.ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if s := stored(); !s.LastSeenAt.Equal(now) || !s.ExpiresAt.Equal(now.Add(community.SessionTTL)) {
			t.Fatalf("session after use at %v: %+v, want expiry %v", now, s, now.Add(community.SessionTTL))
		}
		if !in.Session.ExpiresAt.Equal(now.Add(community.SessionTTL)) {
			t.Fatalf("Session reports expiry %v, want %v", in.Session.ExpiresAt, now.Add(community.SessionTTL))
		}
		// So it outlives its first expiry.
		b.clock.advance(community.SessionTTL - time.Minute)
		if _, err := b.svc.Session(b.ctx, secret); err != nil {
			t.Fatalf("an extended session ended at its first expiry: %v", err)
		}
	})
	t.Run("ErrNoLongerTeammate", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ann := b.teammate(t, "ann@acme.test", "admin", goodPassword)
		_, secret := b.signIn(t, "ann@acme.test", goodPassword)
		ann.Status, ann.Role = openboards.StatusClient, ""
		if err := b.store.InTx(b.ctx, func(tx openboards.Tx) error { return tx.UpdateUser(b.ctx, ann) }); err != nil {
			t.Fatal(err)
		}
		b.wantSignedOut(t, secret)
	})
	t.Run("SignOut", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.teammate(t, "ann@acme.test", "admin", goodPassword)
		in, secret := b.signIn(t, "ann@acme.test", goodPassword)
		_, other := b.signIn(t, "ann@acme.test", goodPassword)
		if err := b.svc.SignOut(b.ctx, in.Session); err != nil {
			t.Fatal(err)
		}
		b.wantSignedOut(t, secret)
		if _, err := b.svc.Session(b.ctx, other); err != nil {
			t.Fatalf("signing out ended another session: %v", err)
		}
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.teammate(t, "ann@acme.test", "team_member", goodPassword)
	b.teammate(t, "bob@acme.test", "team_member", goodPassword)
	in, current := b.signIn(t, "ann@acme.test", goodPassword)
	_, other := b.signIn(t, "ann@acme.test", goodPassword)
	_, bob := b.signIn(t, "bob@acme.test", goodPassword)

	err := b.svc.ChangePassword(b.ctx, in, "not the password", "a brand new password")
	wantCode(t, err, openboards.CodeInvalid)
	if !strings.HasPrefix(openboards.ErrorMessage(err), "current:") {
		t.Errorf("error %q does not name the current password", err)
	}
	err = b.svc.ChangePassword(b.ctx, in, goodPassword, "too short")
	wantCode(t, err, openboards.CodeInvalid)
	if !strings.HasPrefix(openboards.ErrorMessage(err), "new:") {
		t.Errorf("error %q does not name the new password", err)
	}
	// Neither failure changed anything.
	for _, s := range []string{current, other} {
		if _, err := b.svc.Session(b.ctx, s); err != nil {
			t.Fatalf("a failed change signed a session out: %v", err)
		}
	}
	_, third := b.signIn(t, "ann@acme.test", goodPassword)

	if err := b.svc.ChangePassword(b.ctx, in, goodPassword, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if got, err := b.svc.Session(b.ctx, current); err != nil || got.User.ID != in.User.ID {
		t.Fatalf("the session that changed the password: %+v, %v", got, err)
	}
	b.wantSignedOut(t, other)
	b.wantSignedOut(t, third)
	if _, err := b.svc.Session(b.ctx, bob); err != nil {
		t.Fatalf("another teammate's session ended: %v", err)
	}
	_, _, err = b.svc.SignIn(b.ctx, b.cm.Name, "ann@acme.test", goodPassword)
	wantCode(t, err, openboards.CodeUnauthorized)
	b.signIn(t, "ann@acme.test", "a brand new password")
}

func TestCreateReservedNames(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, name := range []string{"tickets", "Signin", "webhooks", "WEBHOOKS", "signout", "static", "token", " Healthz ",
		"chat", "CHAT", "Magic-Widget.js", "a/b", "/acme", "acme/", "what?", "100%", "hash#tag", `back\slash`} {
		_, err := b.svc.Create(b.ctx, name)
		if openboards.ErrorCode(err) != openboards.CodeInvalid {
			t.Errorf("Create(%q): %v, want CodeInvalid", name, err)
			continue
		}
		if _, err := b.store.FindCommunityByName(b.ctx, strings.TrimSpace(name)); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Errorf("Create(%q) failed but the community exists: %v", name, err)
		}
	}
	// The message says which name and why.
	_, err := b.svc.Create(b.ctx, "Chat")
	if msg := openboards.ErrorMessage(err); !strings.Contains(msg, `"Chat"`) || !strings.Contains(msg, "reserves /chat") {
		t.Errorf("Create(Chat): %q, want it to name the name and the reserved path", msg)
	}
	for _, name := range []string{"Signin", "TICKETS", "static", " chat "} {
		if !b.svc.IsReserved(name) {
			t.Errorf("IsReserved(%q) = false", name)
		}
	}
	// A name that merely contains a reserved word is fine.
	for _, name := range []string{"tickets-team", "Static Shock", "Sign in", "chatter"} {
		if _, err := b.svc.Create(b.ctx, name); err != nil {
			t.Errorf("Create(%q): %v", name, err)
		}
	}
}

func TestRename(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cm, err := b.svc.Rename(b.ctx, "ACME support", " Acme Help Desk ")
		if err != nil {
			t.Fatal(err)
		}
		if cm.ID != b.cm.ID || cm.Name != "Acme Help Desk" {
			t.Fatalf("got %d %q, want %d %q", cm.ID, cm.Name, b.cm.ID, "Acme Help Desk")
		}
		got, err := b.store.FindCommunityByName(b.ctx, "acme help desk")
		if err != nil || got.ID != b.cm.ID {
			t.Fatalf("find by the new name: %v, %v", got, err)
		}
		if _, err := b.store.FindCommunityByName(b.ctx, "Acme Support"); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Fatalf("find by the old name: %v, want CodeNotFound", err)
		}
		// The API user's access tokens keep working under the new name.
		got, err = b.svc.Authenticate(b.ctx, b.accessToken(t))
		if err != nil || got.Name != "Acme Help Desk" {
			t.Fatalf("Authenticate: %v, %v, want the renamed community", got, err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, name := range []string{"", "chat", "Tickets", "a/b"} {
			if _, err := b.svc.Rename(b.ctx, b.cm.Name, name); openboards.ErrorCode(err) != openboards.CodeInvalid {
				t.Errorf("Rename to %q: %v, want CodeInvalid", name, err)
			}
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if _, err := b.svc.Rename(b.ctx, "nobody", "somebody"); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Fatalf("got %v, want CodeNotFound", err)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if _, err := b.svc.Create(b.ctx, "Globex"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Rename(b.ctx, "Globex", "acme SUPPORT"); openboards.ErrorCode(err) != openboards.CodeConflict {
			t.Fatalf("got %v, want CodeConflict", err)
		}
	})
}

func TestFindReservedInUse(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// A service that reserves nothing stands for an older server, which
	// let these names be taken.
	old, err := community.NewService(b.ctx, b.store, b.clock.now, "openboards", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Chat", "tickets-team"} {
		if _, err := old.Create(b.ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	found, err := b.svc.FindReservedInUse(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].Name != "Chat" {
		t.Fatalf("got %v, want only the community Chat", found)
	}
	if _, err := b.svc.Rename(b.ctx, "chat", "Chat Team"); err != nil {
		t.Fatal(err)
	}
	if found, err := b.svc.FindReservedInUse(b.ctx); err != nil || len(found) != 0 {
		t.Fatalf("after the rename: %v, %v, want none", found, err)
	}
}

// TestHashPoolFull pins that a password is never hashed beyond the pool:
// with every slot taken, sign-in, password change and password set answer
// limit.ErrBusy at once instead of waiting.
func TestHashPoolFull(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.teammate(t, "ann@acme.test", "team_member", goodPassword)
	in, _ := b.signIn(t, "ann@acme.test", goodPassword)
	pool := limit.NewPool(1, nil)
	b.svc.SetHashPool(pool)
	release, err := pool.Acquire()
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"SignIn": func() error {
			_, _, err := b.svc.SignIn(b.ctx, b.cm.Name, "ann@acme.test", goodPassword)
			return err
		},
		"SignInUnknownCommunity": func() error {
			_, _, err := b.svc.SignIn(b.ctx, "nobody", "ann@acme.test", goodPassword)
			return err
		},
		"ChangePassword": func() error { return b.svc.ChangePassword(b.ctx, in, goodPassword, "a brand new password") },
		"SetPassword": func() error {
			_, err := b.svc.SetPassword(b.ctx, b.cm, "ann@acme.test", "a brand new password")
			return err
		},
	} {
		if err := call(); !errors.Is(err, limit.ErrBusy) || openboards.ErrorCode(err) != openboards.CodeUnavailable {
			t.Errorf("%s with a full pool: got %v, want limit.ErrBusy", name, err)
		}
	}
	release()
	b.signIn(t, "ann@acme.test", goodPassword)
}

package storetest

import (
	"testing"
	"time"

	"openboards/internal/openboards"
)

func testSessions(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	ann := b.teammate(b.cm1, "Ann")
	bob := b.teammate(b.cm1, "Bob")

	_, err := b.store.FindPasswordHash(b.ctx, ann.ID)
	wantCode(t, err, openboards.CodeNotFound)
	b.tx(func(tx openboards.Tx) error { return tx.PutPassword(b.ctx, ann.ID, "hash-1", at(1)) })
	b.tx(func(tx openboards.Tx) error { return tx.PutPassword(b.ctx, ann.ID, "hash-2", at(2)) })
	if got, err := b.store.FindPasswordHash(b.ctx, ann.ID); err != nil || got != "hash-2" {
		t.Errorf("FindPasswordHash = %q, %v; want the latest", got, err)
	}

	session := func(u *openboards.User, key string, when time.Time) *openboards.Session {
		s := &openboards.Session{Hash: []byte(key), UserID: u.ID, CommunityID: b.cm1.ID, CSRF: "csrf-" + key,
			CreatedAt: when, LastSeenAt: when, ExpiresAt: when.Add(time.Hour)}
		b.tx(func(tx openboards.Tx) error { return tx.CreateSession(b.ctx, s) })
		return s
	}
	s1, s2, s3 := session(ann, "one", at(3)), session(ann, "two", at(4)), session(bob, "three", at(5))
	got, err := b.store.FindSessionByHash(b.ctx, s1.Hash)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "session", s1, got)
	_, err = b.store.FindSessionByHash(b.ctx, []byte("nope"))
	wantCode(t, err, openboards.CodeNotFound)

	b.tx(func(tx openboards.Tx) error { return tx.TouchSession(b.ctx, s1.Hash, at(6), at(6).Add(2*time.Hour)) })
	got, err = b.store.FindSessionByHash(b.ctx, s1.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastSeenAt.Equal(at(6)) || !got.ExpiresAt.Equal(at(6).Add(2*time.Hour)) || !got.CreatedAt.Equal(at(3)) {
		t.Errorf("touched session = %+v", got)
	}

	// Signing out everywhere but here keeps only this session.
	b.tx(func(tx openboards.Tx) error { return tx.DeleteUserSessions(b.ctx, ann.ID, s1.Hash) })
	if _, err := b.store.FindSessionByHash(b.ctx, s1.Hash); err != nil {
		t.Errorf("the kept session went: %v", err)
	}
	_, err = b.store.FindSessionByHash(b.ctx, s2.Hash)
	wantCode(t, err, openboards.CodeNotFound)
	if _, err := b.store.FindSessionByHash(b.ctx, s3.Hash); err != nil {
		t.Errorf("another user's session went: %v", err)
	}
	b.tx(func(tx openboards.Tx) error { return tx.DeleteSession(b.ctx, s1.Hash) })
	_, err = b.store.FindSessionByHash(b.ctx, s1.Hash)
	wantCode(t, err, openboards.CodeNotFound)
	b.tx(func(tx openboards.Tx) error { return tx.DeleteUserSessions(b.ctx, bob.ID, nil) })
	_, err = b.store.FindSessionByHash(b.ctx, s3.Hash)
	wantCode(t, err, openboards.CodeNotFound)
}

func testRenameAndLock(t *testing.T, newStore NewStore) {
	b := setup(t, newStore)
	b.tx(func(tx openboards.Tx) error { return tx.RenameCommunity(b.ctx, b.cm1.ID, "Renamed") })
	if got, err := b.store.FindCommunityByName(b.ctx, "renamed"); err != nil || got.ID != b.cm1.ID {
		t.Errorf("by new name: %v, %v", got, err)
	}
	_, err := b.store.FindCommunityByName(b.ctx, b.cm1.Name)
	wantCode(t, err, openboards.CodeNotFound)
	err = b.store.InTx(b.ctx, func(tx openboards.Tx) error { return tx.RenameCommunity(b.ctx, b.cm1.ID, b.cm2.Name) })
	wantCode(t, err, openboards.CodeConflict)

	author := b.teammate(b.cm1, "Ann")
	tk := b.ticket(b.cm1, author, &openboards.Ticket{})
	b.tx(func(tx openboards.Tx) error { return tx.LockTicket(b.ctx, b.cm1.ID, tk.ID) })
	wantCode(t, b.try(func(tx openboards.Tx) error { return tx.LockTicket(b.ctx, b.cm2.ID, tk.ID) }), openboards.CodeNotFound)
	wantCode(t, b.try(func(tx openboards.Tx) error { return tx.LockTicket(b.ctx, b.cm1.ID, tk.ID+1000) }), openboards.CodeNotFound)
}

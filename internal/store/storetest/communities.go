package storetest

import (
	"openboards/internal/openboards"
	"testing"
)

func testSettings(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		b.tx(func(tx openboards.Tx) error {
			if err := tx.PutSetting(b.ctx, "k", []byte("one")); err != nil {
				return err
			}
			got, err := tx.Setting(b.ctx, "k")
			if err != nil {
				return err
			}
			if string(got) != "one" {
				t.Errorf("inside the transaction: got %q, want %q", got, "one")
			}
			return nil
		})
		b.tx(func(tx openboards.Tx) error { return tx.PutSetting(b.ctx, "k", []byte{0, 1, 2, 255}) })
		got, err := b.store.Setting(b.ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "setting", []byte{0, 1, 2, 255}, got)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		_, err := b.store.Setting(b.ctx, "missing")
		wantCode(t, err, openboards.CodeNotFound)
	})
}

func testCommunities(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		cm := &openboards.Community{Name: "Acme Support", ClientID: openboards.NewID(), APIUserID: openboards.NewID(), CreatedAt: at(7)}
		b.tx(func(tx openboards.Tx) error { return tx.CreateCommunity(b.ctx, cm) })
		if cm.ID == 0 || cm.ID == b.cm1.ID || cm.ID == b.cm2.ID {
			t.Fatalf("CreateCommunity set id %d; the others are %d and %d", cm.ID, b.cm1.ID, b.cm2.ID)
		}
		for name, find := range map[string]func() (*openboards.Community, error){
			"ByID":       func() (*openboards.Community, error) { return b.store.FindCommunityByID(b.ctx, cm.ID) },
			"ByName":     func() (*openboards.Community, error) { return b.store.FindCommunityByName(b.ctx, "ACME SUPPORT") },
			"ByClientID": func() (*openboards.Community, error) { return b.store.FindCommunityByClientID(b.ctx, cm.ClientID) },
		} {
			got, err := find()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			diff(t, name, cm, got)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		err := b.store.InTx(b.ctx, func(tx openboards.Tx) error {
			return tx.CreateCommunity(b.ctx, &openboards.Community{Name: "community ONE", ClientID: openboards.NewID(), APIUserID: openboards.NewID(), CreatedAt: at(1)})
		})
		wantCode(t, err, openboards.CodeConflict)
		err = b.store.InTx(b.ctx, func(tx openboards.Tx) error {
			return tx.CreateCommunity(b.ctx, &openboards.Community{Name: "Other", ClientID: b.cm1.ClientID, APIUserID: openboards.NewID(), CreatedAt: at(1)})
		})
		wantCode(t, err, openboards.CodeConflict)
		if _, err := b.store.FindCommunityByName(b.ctx, "Other"); openboards.ErrorCode(err) != openboards.CodeNotFound {
			t.Fatalf("the refused community was stored: %v", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		_, err := b.store.FindCommunityByID(b.ctx, b.cm2.ID+100)
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.FindCommunityByName(b.ctx, "Community Three")
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.FindCommunityByClientID(b.ctx, openboards.NewID())
		wantCode(t, err, openboards.CodeNotFound)
	})
}

func testRefreshTokens(t *testing.T, newStore NewStore) {
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		t1 := &openboards.RefreshToken{CommunityID: b.cm1.ID, Name: "default", Hash: []byte("hash-one-0123456789"), CreatedAt: at(1)}
		t2 := &openboards.RefreshToken{CommunityID: b.cm1.ID, Name: "second", Hash: []byte("hash-two-0123456789"), CreatedAt: at(2)}
		other := &openboards.RefreshToken{CommunityID: b.cm2.ID, Name: "default", Hash: []byte("hash-three-0123456"), CreatedAt: at(3)}
		b.tx(func(tx openboards.Tx) error {
			for _, rt := range []*openboards.RefreshToken{t1, t2, other} {
				if err := tx.CreateRefreshToken(b.ctx, rt); err != nil {
					return err
				}
			}
			return nil
		})
		if t1.ID == 0 || t1.ID == t2.ID {
			t.Fatalf("ids %d and %d", t1.ID, t2.ID)
		}
		got, err := b.store.FindRefreshTokenByHash(b.ctx, []byte("hash-two-0123456789"))
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "by hash", t2, got)
		got, err = b.store.FindRefreshTokenByID(b.ctx, t1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "by id", t1, got)
		list, err := b.store.FindRefreshTokens(b.ctx, b.cm1.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "list", []*openboards.RefreshToken{t1, t2}, list)

		b.tx(func(tx openboards.Tx) error { return tx.RevokeRefreshToken(b.ctx, b.cm1.ID, t1.ID, at(5)) })
		// Revoking again keeps the first time.
		b.tx(func(tx openboards.Tx) error { return tx.RevokeRefreshToken(b.ctx, b.cm1.ID, t1.ID, at(6)) })
		got, err = b.store.FindRefreshTokenByHash(b.ctx, t1.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if got.RevokedAt == nil || !got.RevokedAt.Equal(at(5)) {
			t.Fatalf("RevokedAt = %v, want %v", got.RevokedAt, at(5))
		}
		got, err = b.store.FindRefreshTokenByID(b.ctx, t2.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.RevokedAt != nil {
			t.Fatalf("revoking token %d revoked token %d", t1.ID, t2.ID)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newStore)
		rt := &openboards.RefreshToken{CommunityID: b.cm1.ID, Name: "default", Hash: []byte("hash-one-0123456789"), CreatedAt: at(1)}
		b.tx(func(tx openboards.Tx) error { return tx.CreateRefreshToken(b.ctx, rt) })
		_, err := b.store.FindRefreshTokenByHash(b.ctx, []byte("hash-unknown"))
		wantCode(t, err, openboards.CodeNotFound)
		_, err = b.store.FindRefreshTokenByID(b.ctx, rt.ID+1)
		wantCode(t, err, openboards.CodeNotFound)
		err = b.try(func(tx openboards.Tx) error { return tx.RevokeRefreshToken(b.ctx, b.cm1.ID, rt.ID+1, at(2)) })
		wantCode(t, err, openboards.CodeNotFound)
	})
}

package token

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	s := NewSigner(NewKey(), "openboards")
	c := Claims{CommunityID: 7, ClientID: "f525a170-9c89-40b7-a687-673efd7f218b", RefreshTokenID: 3, NotBefore: now, ExpiresAt: now.Add(Lifetime)}
	tok := s.Sign(c)
	if !strings.HasPrefix(tok, "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.") {
		t.Fatalf("token %q does not start with the HS512 JWT header", tok)
	}

	t.Run("OK", func(t *testing.T) {
		got, err := s.Verify(tok, now.Add(59*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if got.CommunityID != 7 || got.ClientID != c.ClientID || got.RefreshTokenID != 3 || !got.ExpiresAt.Equal(c.ExpiresAt) {
			t.Fatalf("got %+v, want %+v", got, c)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		if _, err := s.Verify(tok, now.Add(Lifetime)); !errors.Is(err, ErrExpired) {
			t.Fatalf("got %v, want ErrExpired", err)
		}
	})
	t.Run("ErrSignature", func(t *testing.T) {
		other := NewSigner(NewKey(), "openboards")
		if _, err := other.Verify(tok, now); !errors.Is(err, ErrSignature) {
			t.Fatalf("got %v, want ErrSignature", err)
		}
		parts := strings.Split(tok, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		changed := strings.Replace(string(payload), `"cid":"7"`, `"cid":"8"`, 1)
		if changed == string(payload) {
			t.Fatalf("payload %s has no cid 7", payload)
		}
		forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(changed)) + "." + parts[2]
		if _, err := s.Verify(forged, now); err == nil {
			t.Fatal("a changed payload verified")
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		for _, bad := range []string{"", "abc", "a.b", "a.b.c.d", "!!.??.**"} {
			if _, err := s.Verify(bad, now); err == nil {
				t.Errorf("Verify(%q) succeeded", bad)
			}
		}
	})
}

func TestSecret(t *testing.T) {
	t.Parallel()
	a, ha := NewSecret()
	b, _ := NewSecret()
	if a == b {
		t.Fatal("two secrets are equal")
	}
	if string(Hash(a)) != string(ha) {
		t.Fatal("Hash does not match the hash NewSecret returned")
	}
}

package egress

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func receiver(t *testing.T, secret string) *standardwebhooks.Webhook {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatalf("the reference library rejects the secret %q: %v", secret, err)
	}
	return wh
}

func TestHeadersVerify(t *testing.T) {
	t.Parallel()
	secret := NewSecret()
	body := []byte(`{"Events":[{"EventType":"ticket_creation","TicketId":7}]}`)
	h, err := Headers("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", time.Now(), body, secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := receiver(t, secret).Verify(body, h); err != nil {
		t.Fatalf("the reference library rejects the headers %v: %v", h, err)
	}
	if got := h.Get("webhook-id"); got != "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W" {
		t.Errorf("webhook-id = %q", got)
	}
	if got := strings.Count(h.Get("webhook-signature"), "v1,"); got != 1 {
		t.Errorf("webhook-signature %q has %d signatures, want 1", h.Get("webhook-signature"), got)
	}

	t.Run("TamperedBody", func(t *testing.T) {
		tampered := []byte(strings.Replace(string(body), "7", "8", 1))
		if err := receiver(t, secret).Verify(tampered, h); err == nil {
			t.Fatal("the reference library accepted a tampered body")
		}
	})
	t.Run("OtherSecret", func(t *testing.T) {
		if err := receiver(t, NewSecret()).Verify(body, h); err == nil {
			t.Fatal("the reference library accepted the headers with a different secret")
		}
	})
}

func TestHeadersRotation(t *testing.T) {
	t.Parallel()
	current, previous := NewSecret(), NewSecret()
	body := []byte(`{"Events":[]}`)
	h, err := Headers("msg_1", time.Now(), body, current, "", previous)
	if err != nil {
		t.Fatal(err)
	}
	sigs := strings.Split(h.Get("webhook-signature"), " ")
	if len(sigs) != 2 {
		t.Fatalf("webhook-signature %q: want two space-separated signatures", h.Get("webhook-signature"))
	}
	cur, _ := Sign(current, "msg_1", time.Unix(mustAtoi(t, h.Get("webhook-timestamp")), 0), body)
	if sigs[0] != cur {
		t.Errorf("first signature %q is not the current secret's %q", sigs[0], cur)
	}
	for name, secret := range map[string]string{"current": current, "previous": previous} {
		if err := receiver(t, secret).Verify(body, h); err != nil {
			t.Errorf("a receiver that knows only the %s secret rejects the message: %v", name, err)
		}
	}
	if err := receiver(t, NewSecret()).Verify(body, h); err == nil {
		t.Error("a receiver with an unrelated secret accepted the message")
	}
}

func TestHeadersErrors(t *testing.T) {
	t.Parallel()
	if _, err := Headers("msg_1", time.Now(), nil); err == nil {
		t.Error("Headers without secrets succeeded")
	}
	if _, err := Headers("msg_1", time.Now(), nil, "", ""); err == nil {
		t.Error("Headers with only empty secrets succeeded")
	}
	if _, err := Headers("msg_1", time.Now(), nil, "whsec_not base64!"); err == nil || !strings.Contains(err.Error(), "base64") {
		t.Errorf("Headers with a malformed secret: got %v, want an error about base64", err)
	}
	if _, err := Headers("", time.Now(), nil, NewSecret()); err == nil {
		t.Error("Headers with an empty message ID succeeded")
	}
}

// TestSignKnownAnswer pins the signature to the example of the Standard
// Webhooks specification.
func TestSignKnownAnswer(t *testing.T) {
	t.Parallel()
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		msgID  = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		want   = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	body := []byte(`{"test": 2432232314}`)
	got, err := Sign(secret, msgID, time.Unix(1614265330, 0), body)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for range 50 {
		s := NewSecret()
		if seen[s] {
			t.Fatalf("NewSecret returned %q twice", s)
		}
		seen[s] = true
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		if !strings.HasPrefix(s, "whsec_") || err != nil || len(key) != 32 {
			t.Fatalf("NewSecret = %q, want whsec_ and the base64 of 32 bytes", s)
		}
		body := []byte(`{}`)
		h, err := Headers("msg_x", time.Now(), body, s)
		if err != nil {
			t.Fatal(err)
		}
		if err := receiver(t, s).Verify(body, h); err != nil {
			t.Fatalf("the reference library rejects a message signed with %q: %v", s, err)
		}
	}
}

package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"openboards/internal/store/postgres/pgtest"
)

// TestNotifyAndListenPayload sends payloads with Notify and expects them,
// in order, from ListenPayload, after the empty payload that marks the
// connection; Listen on the same channel keeps working.
func TestNotifyAndListenPayload(t *testing.T) {
	t.Parallel()
	s := openStore(t, pgtest.NewSchema(t), Options{MaxConns: 2})
	b := make([]byte, 6)
	rand.Read(b)
	channel := "openboards_test_" + hex.EncodeToString(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	payloads := make(chan string, 16)
	go s.ListenPayload(ctx, channel, func(p string) { payloads <- p })
	pings := make(chan struct{}, 16)
	go s.Listen(ctx, channel, func() { pings <- struct{}{} })
	next := func(what string) string {
		t.Helper()
		select {
		case p := <-payloads:
			return p
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s", what)
		}
		return ""
	}
	if p := next("connection call"); p != "" {
		t.Fatalf("first call with %q, want the empty payload", p)
	}
	select {
	case <-pings:
	case <-time.After(5 * time.Second):
		t.Fatal("Listen did not call back on connecting")
	}

	if err := s.Notify(ctx, channel); err != nil {
		t.Fatalf("Notify of nothing: %v", err)
	}
	want := []string{"1:2", "3:4", `odd 'quotes' "here"`}
	if err := s.Notify(ctx, channel, want...); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range want {
		got = append(got, next("notification"))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("received %q, want %q", got, want)
	}
	for range want {
		select {
		case <-pings:
		case <-time.After(5 * time.Second):
			t.Fatal("Listen missed a notification")
		}
	}
}

package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// writeLoad creates tickets through the API from several goroutines, each
// sending its next request as soon as the last is answered, and records
// every creation answered with 200.
type writeLoad struct {
	mu    sync.Mutex
	acked map[int64]string // ticket id → the title it was created with

	inflight atomic.Int64 // requests sent and not yet answered
	want     int
	enough   chan struct{} // closed once want creations were acknowledged
	quit     chan struct{} // closed when every writer has stopped
	stop     chan struct{}
}

// startLoad starts workers writers against base, signalling enough once
// want creations have been acknowledged. Writers stop when the server
// stops answering or Stop is called.
func startLoad(base, token string, workers, want int) *writeLoad {
	l := &writeLoad{acked: map[int64]string{}, want: want, enough: make(chan struct{}), quit: make(chan struct{}), stop: make(chan struct{})}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// No client timeout: a request is answered or fails when the
			// server dies, and a slow commit must not count as lost.
			hc := &http.Client{Transport: &http.Transport{}}
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				title := fmt.Sprintf("load %d-%d", w, i)
				body := fmt.Sprintf(`{"title":%q,"message":"m","creator":{"email":"c%d@example.com"}}`, title, w)
				req, _ := http.NewRequest("POST", base+"/tickets", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				l.inflight.Add(1)
				resp, err := hc.Do(req)
				if err != nil {
					l.inflight.Add(-1)
					return // the server is gone
				}
				var env struct{ Data int64 }
				err = json.NewDecoder(resp.Body).Decode(&env)
				resp.Body.Close()
				l.inflight.Add(-1)
				if err == nil && resp.StatusCode == http.StatusOK {
					l.mu.Lock()
					l.acked[env.Data] = title
					if len(l.acked) == l.want {
						close(l.enough)
					}
					l.mu.Unlock()
				}
			}
		}()
	}
	go func() { wg.Wait(); close(l.quit) }()
	return l
}

// waitBusy returns once want creations were acknowledged and at least one
// request is in flight, so that a kill then lands under load. It fails the
// test if every writer stopped first.
func (l *writeLoad) waitBusy(t *testing.T) {
	t.Helper()
	select {
	case <-l.enough:
	case <-l.quit:
		t.Fatalf("the writers stopped after %d acknowledged creations, want %d", len(l.snapshot()), l.want)
	}
	for l.inflight.Load() == 0 {
		select {
		case <-l.quit:
			t.Fatal("the writers stopped before the kill")
		default:
		}
	}
}

// finish stops the writers (the server must be gone or going) and returns
// what was acknowledged.
func (l *writeLoad) finish() map[int64]string {
	close(l.stop)
	<-l.quit
	return l.snapshot()
}

func (l *writeLoad) snapshot() map[int64]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[int64]string, len(l.acked))
	for id, title := range l.acked {
		out[id] = title
	}
	return out
}

// checkTickets checks through the API that every acknowledged ticket is
// there as it was created, and that every ticket there is whole: one the
// load created (acknowledged or not), with its title and message.
func checkTickets(t *testing.T, c *client, acked map[int64]string) {
	t.Helper()
	found := map[int64]bool{}
	for skip := 0; ; skip += 50 {
		var page []struct {
			ID      int64
			Title   string
			Message string
		}
		c.do("POST", "/tickets/list", map[string]any{"skip": skip, "take": 50}, &page)
		for _, p := range page {
			found[p.ID] = true
			if !strings.HasPrefix(p.Title, "load ") || p.Message != "m" {
				t.Errorf("ticket %d is not whole: title %q, message %q", p.ID, p.Title, p.Message)
			}
			if want, ok := acked[p.ID]; ok && p.Title != want {
				t.Errorf("ticket %d has title %q, want %q", p.ID, p.Title, want)
			}
		}
		if len(page) < 50 {
			break
		}
	}
	for id := range acked {
		if !found[id] {
			t.Errorf("ticket %d was acknowledged but is gone", id)
		}
	}
}

// integrityCheck runs PRAGMA integrity_check on the SQLite database at
// path, which no process may have open.
func integrityCheck(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		t.Fatal(err)
	}
	if res != "ok" {
		t.Fatalf("integrity_check: %s", res)
	}
}

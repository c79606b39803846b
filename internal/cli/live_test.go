package cli

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"openboards/internal/community"
	"openboards/internal/config"
	"openboards/internal/openboards"
	"openboards/internal/store/postgres/pgtest"
)

// liveNode is a server running in-process.
type liveNode struct {
	s    *Server
	stop context.CancelFunc
	done chan error
}

func startLiveNode(t testing.TB, db string) *liveNode {
	t.Helper()
	cfg := config.Default()
	cfg.DB, cfg.Addr = db, "127.0.0.1:0"
	s, err := NewServer(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	n := &liveNode{s: s, stop: stop, done: make(chan error, 1)}
	go func() { n.done <- s.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		<-n.done
	})
	return n
}

const liveTestPassword = "a password for the live tests"

// liveTeammate creates community name with a teammate who has a password,
// through store, and returns the community with its first refresh token.
func liveTeammate(t *testing.T, store openboards.Store, name string) (*community.Created, string) {
	t.Helper()
	ctx := context.Background()
	svc, err := community.NewService(ctx, store, time.Now, "openboards", reservedNames())
	if err != nil {
		t.Fatal(err)
	}
	cr, err := svc.Create(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	email := "agent@" + strings.ToLower(name) + ".example"
	if _, err := svc.AddTeammate(ctx, cr.Community, community.TeammateInput{Email: email, Name: "Agent", Role: "admin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetPassword(ctx, cr.Community, email, liveTestPassword); err != nil {
		t.Fatal(err)
	}
	return cr, email
}

// openLiveStream signs in at base and opens the community's live stream,
// returning a reader positioned after its opening retry field.
func openLiveStream(t *testing.T, base, name, email string) (*http.Response, *bufio.Reader) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/signin", url.Values{"community": {name}, "email": {email}, "password": {liveTestPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: status %d", resp.StatusCode)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/"+name+"/live", nil)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("live: status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(resp.Body)
	if line, err := r.ReadString('\n'); err != nil || line != "retry: 3000\n" {
		t.Fatalf("live stream opened with %q, %v", line, err)
	}
	return resp, r
}

// streamLines reads r's lines into a channel, closed at the end.
func streamLines(r *bufio.Reader) <-chan string {
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			lines <- strings.TrimSuffix(line, "\n")
		}
	}()
	return lines
}

// waitTicketEvent waits up to d for "data: <id>" on lines.
func waitTicketEvent(t *testing.T, lines <-chan string, id int64, d time.Duration) {
	t.Helper()
	timeout := time.After(d)
	want := fmt.Sprintf("data: %d", id)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended")
			}
			// Ticket 0 means "anything may have changed": a node sends it
			// after its listening connection was lost and made again (as
			// when another test terminates PostgreSQL connections), and
			// pages then refresh everything, this ticket included.
			if line == want || line == "data: 0" {
				return
			}
		case <-timeout:
			t.Fatalf("no event for ticket %d within %v", id, d)
		}
	}
}

// TestShutdownWithOpenStream checks that an open live stream neither holds
// up the server's shutdown nor outlives it.
func TestShutdownWithOpenStream(t *testing.T) {
	t.Parallel()
	n := startLiveNode(t, filepath.Join(t.TempDir(), "live.db"))
	cr, email := liveTeammate(t, n.s.Store, "Acme")
	_, r := openLiveStream(t, n.s.URL, cr.Community.Name, email)
	lines := streamLines(r)

	n.stop()
	// Run lets requests in flight finish for up to 15 s, and fails when
	// they take longer: an error here means that the stream held it up.
	err := <-n.done
	n.done <- err // for the cleanup
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	timeout := time.After(2 * time.Second)
	for {
		select {
		case _, ok := <-lines:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("the stream stayed open after the shutdown")
		}
	}
}

// TestLiveAcrossNodes runs two servers on one PostgreSQL database: a
// ticket created and replied to through one node's API shows up on a live
// stream of the other.
func TestLiveAcrossNodes(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewSchema(t)
	a := startLiveNode(t, dsn)
	b := startLiveNode(t, dsn)
	cr, email := liveTeammate(t, a.s.Store, "Cluster")
	_, r := openLiveStream(t, b.s.URL, cr.Community.Name, email)
	lines := streamLines(r)

	c := &client{t: t, base: a.s.URL, token: accessToken(t, a.s.URL, credentials{
		CommunityName: cr.Community.Name, ClientID: cr.Community.ClientID, RefreshToken: cr.RefreshToken,
	})}
	var id int64
	c.do("POST", "/tickets", map[string]any{"title": "Across", "creator": map[string]any{"email": "customer@example.com"}}, &id)
	// The first may wait for node B's listener to connect.
	waitTicketEvent(t, lines, id, 10*time.Second)

	start := time.Now()
	c.do("POST", fmt.Sprintf("/tickets/%d/replies", id), map[string]any{"author": map[string]any{"email": email}, "message": "On it"}, nil)
	// Usually tens of milliseconds; the bound leaves room for a machine
	// busy with the rest of the test suite, where the relay's first send
	// can wait for a pooled connection and be retried.
	waitTicketEvent(t, lines, id, 15*time.Second)
	t.Logf("a reply through node A reached node B's stream after %v", time.Since(start))
}

// A conversation's message posted through one node reaches the client's
// conversation stream held on another.
func TestChatAcrossNodes(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewSchema(t)
	a := startLiveNode(t, dsn)
	b := startLiveNode(t, dsn)
	cr, email := liveTeammate(t, a.s.Store, "Cluster")
	creds := credentials{CommunityName: cr.Community.Name, ClientID: cr.Community.ClientID, RefreshToken: cr.RefreshToken}
	ca := &client{t: t, base: a.s.URL, token: accessToken(t, a.s.URL, creds)}
	cb := &client{t: t, base: b.s.URL, token: accessToken(t, b.s.URL, creds)}
	var cv struct{ ID int64 }
	ca.do("POST", "/chat/conversations", map[string]any{"author": map[string]any{"name": "Kim", "email": "kim@example.com"}}, &cv)
	texts := conversationStream(t, cb, cv.ID)
	path := fmt.Sprintf("/chat/conversations/%d/messages", cv.ID)
	want := func(text string, within time.Duration) {
		t.Helper()
		timeout := time.After(within)
		for {
			select {
			case got, ok := <-texts:
				if !ok {
					t.Fatal("node B's stream ended")
				}
				if strings.HasSuffix(got, ": "+text) {
					return
				}
			case <-timeout:
				t.Fatalf("node B's stream did not receive %q", text)
			}
		}
	}
	// The first may wait for node B's listener to connect: send until one
	// arrives.
	for i := 0; ; i++ {
		if i == 10 {
			t.Fatal("node B's stream received nothing from node A")
		}
		ca.do("POST", path, []map[string]any{{"message": fmt.Sprintf("hello %d", i), "author": map[string]any{"email": "kim@example.com"}}}, nil)
		got := ""
		select {
		case got = <-texts:
		case <-time.After(time.Second):
		}
		if strings.HasPrefix(got, "Kim: hello ") {
			break
		}
	}
	start := time.Now()
	ca.do("POST", fmt.Sprintf("/tickets/%d/replies", cv.ID), map[string]any{"author": map[string]any{"email": email}, "message": "On it, Kim"}, nil)
	want("On it, Kim", 15*time.Second)
	t.Logf("a teammate's answer through node A reached the client's stream on node B after %v", time.Since(start))
}

// A server that assigns automatically gives a new conversation to the
// teammate online, as it arrives.
func TestChatAutoAssignOnServer(t *testing.T) {
	t.Parallel()
	n := startLiveNode(t, filepath.Join(t.TempDir(), "auto.db"))
	cr, email := liveTeammate(t, n.s.Store, "Routing")
	ctx := context.Background()
	mate, err := n.s.Store.FindUserByEmail(ctx, cr.Community.ID, email)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.s.chat.SetPresence(ctx, cr.Community, mate.ID, openboards.PresenceOnline, 2); err != nil {
		t.Fatal(err)
	}
	if err := n.s.chat.SetAutoAssign(ctx, cr.Community, true); err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, base: n.s.URL, token: accessToken(t, n.s.URL, credentials{
		CommunityName: cr.Community.Name, ClientID: cr.Community.ClientID, RefreshToken: cr.RefreshToken,
	})}
	var cv struct{ ID int64 }
	c.do("POST", "/chat/conversations", map[string]any{"author": map[string]any{"email": "lea@example.com"}}, &cv)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var tk struct{ LockedBy *struct{ ID string } }
		c.do("GET", fmt.Sprintf("/tickets/%d", cv.ID), nil, &tk)
		if tk.LockedBy != nil {
			if tk.LockedBy.ID != mate.ID {
				t.Fatalf("assigned to %s, want %s", tk.LockedBy.ID, mate.ID)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the conversation was not assigned")
		}
	}
	var q struct{ Position int }
	c.do("GET", fmt.Sprintf("/chat/conversations/%d/queue", cv.ID), nil, &q)
	if q.Position != -1 {
		t.Fatalf("an assigned conversation at %d in the queue", q.Position)
	}
}

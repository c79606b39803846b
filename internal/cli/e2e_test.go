package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as the openboards command, so the
// crash test can run a real server process and kill it.
func TestMain(m *testing.M) {
	if args := os.Getenv("OPENBOARDS_TEST_RUN_CLI"); args != "" {
		var argv []string
		if err := json.Unmarshal([]byte(args), &argv); err != nil {
			panic(err)
		}
		err := Run(context.Background(), argv, Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// syncBuffer is a bytes.Buffer safe for a writer and a poller.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var servingURL = regexp.MustCompile(`at (http://127\.0\.0\.1:\d+)`)

// runCLI runs one command in-process and returns its standard output.
func runCLI(t testing.TB, args ...string) []byte {
	t.Helper()
	var out, errOut bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	if err := Run(context.Background(), args, env); err != nil {
		t.Fatalf("openboards %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.Bytes()
}

// client drives the API of one community.
type client struct {
	t     *testing.T
	base  string
	token string
}

type envelope struct {
	Data      json.RawMessage `json:"data"`
	ErrorCode int             `json:"errorCode"`
	ErrorText *string         `json:"errorText"`
}

func (c *client) do(method, path string, body any, out any) int {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var env envelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		c.t.Fatalf("%s %s: decode: %v", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("%s %s: status %d: %v", method, path, resp.StatusCode, *env.ErrorText)
	}
	if env.ErrorCode != -1 || env.ErrorText != nil {
		c.t.Fatalf("%s %s: envelope %+v", method, path, env)
	}
	if out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			c.t.Fatalf("%s %s: data: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

type credentials struct {
	CommunityName string `json:"communityName"`
	ClientID      string `json:"clientId"`
	RefreshToken  string `json:"refreshToken"`
}

func accessToken(t *testing.T, base string, cr credentials) string {
	t.Helper()
	resp, err := http.PostForm(base+"/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {cr.RefreshToken}, "client_id": {cr.ClientID},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: status %d, %v", resp.StatusCode, err)
	}
	if tok.TokenType != "bearer" || tok.ExpiresIn != 3599 || tok.AccessToken == "" {
		t.Fatalf("token response %+v", tok)
	}
	return tok.AccessToken
}

// startServer runs `openboards serve` in-process on 127.0.0.1:0 with the
// given database until the test ends, and returns its URL.
func startServer(t *testing.T, db string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout := &syncBuffer{}
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, Env{Stdout: stdout, Stderr: stderr, Getenv: func(string) string { return "" }})
	}()
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := servingURL.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("server did not start: %s %s", stdout.String(), stderr.String())
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	})
	return base
}

// TestEndToEnd starts the real server through the CLI on 127.0.0.1:0, sets
// up a community through the CLI and drives a ticket through its life.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "e2e.db")
	base := startServer(t, db)

	var cr credentials
	if err := json.Unmarshal(runCLI(t, "community", "create", "Olivanders", "--db", db, "--json"), &cr); err != nil {
		t.Fatal(err)
	}
	if cr.CommunityName != "Olivanders" || cr.ClientID == "" || cr.RefreshToken == "" {
		t.Fatalf("community create printed %+v", cr)
	}
	var mate struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(runCLI(t, "teammate", "add", "--community", "Olivanders", "--email", "wandmaster@olivanders.test",
		"--name", "Garrick Ollivander", "--role", "admin", "--group", "Wands", "--db", db, "--json"), &mate); err != nil || mate.ID == "" {
		t.Fatalf("teammate add: %v, %+v", err, mate)
	}
	c := &client{t: t, base: base, token: accessToken(t, base, cr)}

	var teammates []struct {
		ID, Name, Role string
	}
	c.do("GET", "/Teammates", nil, &teammates)
	if len(teammates) != 1 || teammates[0].ID != mate.ID || teammates[0].Role != "admin" {
		t.Fatalf("teammates = %+v", teammates)
	}
	var cat struct{ ID int64 }
	c.do("POST", "/categories", map[string]any{"name": "Customers"}, &cat)
	var sub struct{ ID int64 }
	c.do("POST", "/categories", map[string]any{"name": "ACME Corp", "parentId": cat.ID}, &sub)
	var field struct{ ID int64 }
	c.do("POST", "/customfields", map[string]any{"name": "Shop region", "type": "region",
		"possibleValues": []map[string]any{{"order": 1, "value": "Oslo"}, {"order": 2, "value": "Akershus"}}}, &field)

	var id int64
	c.do("POST", "/tickets", map[string]any{
		"title": "New car price list.", "message": "Hello I want to buy a new car, how can I get a price list?",
		"creator": map[string]any{"name": "Bill Smith", "email": "bill_smith@example.com"}, "categoryId": cat.ID,
		"customFields": []map[string]any{{"id": field.ID, "value": "Oslo"}}, "tags": []string{"Cars"}, "sentiment": "question",
	}, &id)
	if id <= 0 {
		t.Fatalf("ticket id %d", id)
	}
	path := fmt.Sprintf("/tickets/%d", id)
	c.do("POST", path+"/replies", map[string]any{"author": map[string]any{"email": "wandmaster@olivanders.test"}, "message": "new reply text"}, nil)
	c.do("POST", path+"/notes", map[string]any{"author": map[string]any{"email": "wandmaster@olivanders.test"}, "message": "Internal note", "mentionedUsers": []string{mate.ID}}, nil)
	c.do("PUT", path+"/tags", []string{"Cars", "VIP"}, nil)
	c.do("PATCH", path+"/status", map[string]any{"status": "completed"}, nil)
	c.do("PATCH", path+"/Assignee", map[string]any{"assigneeId": mate.ID, "previousAssigneeId": "null"}, nil)
	c.do("PATCH", path+"/category", map[string]any{"id": sub.ID}, nil)
	c.do("PATCH", path+"/customfields", map[string]any{"id": field.ID, "value": "Akershus"}, nil)

	var got struct {
		Status       string
		ReplyCount   int
		Tags         []string
		LockedBy     *struct{ ID string }
		Category     *struct{ ID int64 }
		CustomFields []struct {
			ID    int64
			Value string
		}
	}
	c.do("GET", path, nil, &got)
	if got.Status != "completed" || got.ReplyCount != 1 || strings.Join(got.Tags, ",") != "Cars,VIP" ||
		got.LockedBy == nil || got.LockedBy.ID != mate.ID || got.Category == nil || got.Category.ID != sub.ID ||
		len(got.CustomFields) != 1 || got.CustomFields[0].Value != "Akershus" {
		t.Fatalf("ticket after its life: %+v", got)
	}

	var log []struct{ ActionType string }
	c.do("POST", path+"/log", map[string]any{"action_types": []string{}}, &log)
	var types []string
	for _, e := range log {
		types = append(types, e.ActionType)
	}
	want := "ticket_custom_field_changed,ticket_category_changed,ticket_assigned_to_user,ticket_status_changed,ticket_tags_changed," +
		"note_created,ticket_status_changed,reply_created,ticket_created"
	if strings.Join(types, ",") != want {
		t.Fatalf("log types, newest first:\n got %s\nwant %s", strings.Join(types, ","), want)
	}
}

// startProcess runs `openboards serve` on db in a child process (the test
// binary acting as the command) and returns it with its URL.
func startProcess(t *testing.T, db string) (*exec.Cmd, string) {
	t.Helper()
	args, _ := json.Marshal([]string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--db-max-conns", "8"})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "OPENBOARDS_TEST_RUN_CLI="+string(args))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	m := servingURL.FindStringSubmatch(line)
	if err != nil || m == nil {
		cmd.Process.Kill()
		t.Fatalf("server did not start: %q %v", line, err)
	}
	go io.Copy(io.Discard, out)
	return cmd, m[1]
}

// crashAcked is how many creations must have been acknowledged before a
// server is killed under load.
const crashAcked = 1000

// TestCrashLosesNothingAcknowledged kills a server process with SIGKILL
// under sustained write load, once at least crashAcked creations were
// answered and while more are in flight, and checks after a restart that
// every acknowledged ticket is there, that no ticket is half-written and
// that the database passes its integrity check.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "crash.db")
	var cr credentials
	if err := json.Unmarshal(runCLI(t, "community", "create", "Crash", "--db", db, "--json"), &cr); err != nil {
		t.Fatal(err)
	}
	cmd, base := startProcess(t, db)
	load := startLoad(base, accessToken(t, base, cr), 8, crashAcked)
	load.waitBusy(t)
	inflight := load.inflight.Load()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	acked := load.finish()

	cmd, base = startProcess(t, db)
	checkTickets(t, &client{t: t, base: base, token: accessToken(t, base, cr)}, acked)
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	integrityCheck(t, db)
	t.Logf("%d acknowledged tickets survived SIGKILL with %d requests in flight", len(acked), inflight)
}

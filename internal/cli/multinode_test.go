package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"openboards/internal/store/postgres/pgtest"
)

// status sends one request and returns the HTTP status and the envelope.
func (c *client) status(base, method, path string, body any) (int, envelope) {
	c.t.Helper()
	var rd *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	} else {
		rd = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, envelope{}
	}
	defer resp.Body.Close()
	var env envelope
	json.NewDecoder(resp.Body).Decode(&env)
	return resp.StatusCode, env
}

var statusChange = regexp.MustCompile(`^changed the status from "(\w+)" to "(\w+)"$`)

// TestSeveralNodes runs three server processes on one PostgreSQL database
// and drives concurrent changes of one ticket through all of them: the
// final state must be the one the action log tells.
func TestSeveralNodes(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewSchema(t)
	var cr credentials
	if err := json.Unmarshal(runCLI(t, "community", "create", "Cluster", "--db", dsn, "--json"), &cr); err != nil {
		t.Fatal(err)
	}
	var mates [3]struct{ ID string }
	for i := range mates {
		out := runCLI(t, "teammate", "add", "--community", "Cluster", "--email", fmt.Sprintf("agent%d@cluster.example", i),
			"--name", fmt.Sprintf("Agent %d", i), "--role", "team_member", "--db", dsn, "--json")
		if err := json.Unmarshal(out, &mates[i]); err != nil {
			t.Fatal(err)
		}
	}
	var bases []string
	for i := 0; i < 3; i++ {
		cmd, base := startProcess(t, dsn)
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		})
		bases = append(bases, base)
	}
	// A token from the first node works on every node.
	c := &client{t: t, base: bases[0], token: accessToken(t, bases[0], cr)}
	node := func(i int) string { return bases[i%len(bases)] }

	var id int64
	c.do("POST", "/tickets", map[string]any{"title": "Shared", "creator": map[string]any{"email": "shared@example.com"}}, &id)
	path := fmt.Sprintf("/tickets/%d", id)

	t.Run("AssigneeRace", func(t *testing.T) {
		var wg sync.WaitGroup
		codes := make([]int, 9)
		for i := range codes {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				codes[i], _ = c.status(node(i), "PATCH", path+"/Assignee", map[string]any{"assigneeId": mates[i%3].ID, "previousAssigneeId": nil})
			}(i)
		}
		wg.Wait()
		won := 0
		for i, code := range codes {
			switch code {
			case http.StatusOK:
				won++
			case http.StatusConflict:
			default:
				t.Errorf("request %d: status %d, want 200 or 409", i, code)
			}
		}
		if won != 1 {
			t.Fatalf("%d assignments won the race from unassigned, want exactly 1 (%v)", won, codes)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		statuses := []string{"open", "pending", "completed"}
		var wg sync.WaitGroup
		errs := make(chan string, 200)
		for i := 0; i < 30; i++ {
			wg.Add(3)
			go func(i int) {
				defer wg.Done()
				if code, env := c.status(node(i), "PATCH", path+"/status", map[string]any{"status": statuses[i%3]}); code != 200 {
					errs <- fmt.Sprintf("status: %d %v", code, env.ErrorText)
				}
			}(i)
			go func(i int) {
				defer wg.Done()
				if code, env := c.status(node(i+1), "PUT", path+"/tags", []string{fmt.Sprintf("T%d", i)}); code != 200 {
					errs <- fmt.Sprintf("tags: %d %v", code, env.ErrorText)
				}
			}(i)
			go func(i int) {
				defer wg.Done()
				body := map[string]any{"author": map[string]any{"id": mates[i%3].ID}, "message": fmt.Sprintf("reply %d", i), "suppressTicketStatusAutoupdate": true}
				if code, env := c.status(node(i+2), "POST", path+"/replies", body); code != 200 {
					errs <- fmt.Sprintf("reply: %d %v", code, env.ErrorText)
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}

		var got struct {
			Status     string
			ReplyCount int
			Tags       []string
		}
		c.do("GET", path, nil, &got)
		if got.ReplyCount != 30 {
			t.Errorf("replyCount = %d, want 30: an increment was lost", got.ReplyCount)
		}
		type entry struct {
			ActionString, ActionType string
			IncludedItems            struct{ Tags []struct{ Name string } }
		}
		var all []entry
		for skip := 0; ; skip += 50 {
			var log []entry // fresh per page: decoding reuses a slice's arrays
			c.do("POST", fmt.Sprintf("%s/log?skip=%d&take=50", path, skip), map[string]any{}, &log)
			all = append(all, log...)
			if len(log) < 50 {
				break
			}
		}
		// Oldest first: every status change starts where the previous one
		// ended, and the last one ends at the ticket's status.
		current := "Open"
		replies := 0
		var lastTags []string
		for i := len(all) - 1; i >= 0; i-- {
			e := all[i]
			switch e.ActionType {
			case "ticket_status_changed":
				m := statusChange.FindStringSubmatch(e.ActionString)
				if m == nil || m[1] != current {
					t.Fatalf("status change %q does not start from %q: an update was lost", e.ActionString, current)
				}
				current = m[2]
			case "reply_created":
				replies++
			case "ticket_tags_changed":
				lastTags = nil
				for _, tag := range e.IncludedItems.Tags {
					lastTags = append(lastTags, tag.Name)
				}
			}
		}
		if !strings.EqualFold(current, got.Status) {
			t.Errorf("the log ends at status %q but the ticket is %q", current, got.Status)
		}
		if replies != 30 {
			t.Errorf("the log has %d reply entries, want 30", replies)
		}
		if strings.Join(lastTags, ",") != strings.Join(got.Tags, ",") {
			t.Errorf("the log's last tags are %v but the ticket has %v", lastTags, got.Tags)
		}
	})

	t.Run("UniqueIDsAndCreators", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		seen := map[int64]bool{}
		for i := 0; i < 60; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				// Every node adds the same new customer at once.
				code, env := c.status(node(i), "POST", "/tickets", map[string]any{"title": "t", "creator": map[string]any{"email": "same-new@example.com", "name": "Same"}})
				if code != 200 {
					t.Errorf("create %d: %d %v", i, code, env.ErrorText)
					return
				}
				var id int64
				json.Unmarshal(env.Data, &id)
				mu.Lock()
				defer mu.Unlock()
				if seen[id] {
					t.Errorf("ticket id %d handed out twice", id)
				}
				seen[id] = true
			}(i)
		}
		wg.Wait()
		var authors = map[string]bool{}
		for skip := 0; skip < 100; skip += 50 {
			var page []struct{ Author struct{ ID, Email string } }
			c.do("POST", "/tickets/list", map[string]any{"skip": skip, "take": 50}, &page)
			for _, p := range page {
				if p.Author.Email == "same-new@example.com" {
					authors[p.Author.ID] = true
				}
			}
		}
		if len(authors) != 1 {
			t.Fatalf("the shared new customer exists as %d users, want 1", len(authors))
		}
	})
}

// TestPostgresConnectionsKilled terminates the server's database
// connections under load: requests meanwhile fail with 503 (never 500), and
// the server recovers by itself.
func TestPostgresConnectionsKilled(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewSchema(t)
	var cr credentials
	if err := json.Unmarshal(runCLI(t, "community", "create", "Flaky", "--db", dsn, "--json"), &cr); err != nil {
		t.Fatal(err)
	}
	cmd, base := startProcess(t, dsn)
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	c := &client{t: t, base: base, token: accessToken(t, base, cr)}
	admin, err := sql.Open("pgx", pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	app := regexp.MustCompile(`application_name=([a-z0-9_]+)`).FindStringSubmatch(dsn)[1]

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var mu sync.Mutex
	counts := map[int]int{}
	var acked []int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				code, env := c.status(base, "POST", "/tickets", map[string]any{"title": "load", "creator": map[string]any{"email": fmt.Sprintf("w%d@example.com", w)}})
				mu.Lock()
				counts[code]++
				if code == 200 {
					var id int64
					json.Unmarshal(env.Data, &id)
					acked = append(acked, id)
				}
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(300 * time.Millisecond)
	killed := 0
	for round := 0; round < 5; round++ {
		var n int
		if err := admin.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		killed += n
		time.Sleep(100 * time.Millisecond)
	}
	// Recovery: within a few seconds requests succeed again.
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	before := counts[200]
	mu.Unlock()
	recovered := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		after := counts[200]
		mu.Unlock()
		if after > before+20 {
			recovered = true
			break
		}
	}
	close(stop)
	wg.Wait()
	if killed == 0 {
		t.Fatal("no connection of the server was found to terminate")
	}
	if !recovered {
		t.Fatalf("the server did not recover after its connections were killed: %v", counts)
	}
	for code, n := range counts {
		if code != 200 && code != 503 {
			t.Errorf("%d requests answered %d; during a database outage only 503 is acceptable", n, code)
		}
	}
	t.Logf("terminated %d connections; answers: %v", killed, counts)

	// Nothing acknowledged was lost.
	found := 0
	for i := 0; i < len(acked); i += 50 {
		var page []struct{ ID int64 }
		c.do("POST", "/tickets/list", map[string]any{"ticketIds": acked[i:min(i+50, len(acked))], "take": 50}, &page)
		found += len(page)
	}
	if found != len(acked) {
		t.Fatalf("%d of %d acknowledged tickets are missing", len(acked)-found, len(acked))
	}
}

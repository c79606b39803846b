package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"openboards/internal/store/postgres/pgtest"
	"openboards/internal/store/transfer"
)

// raw returns the body of an authenticated GET or POST.
func (c *client) raw(method, path string, body any) []byte {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return append([]byte(fmt.Sprintf("%d ", resp.StatusCode)), b...)
}

// populate fills a community with one of everything, through the API.
func populate(t *testing.T, c *client, teammateID string) (ticketIDs []int64) {
	t.Helper()
	var root, child, other struct{ ID int64 }
	c.do("POST", "/categories", map[string]any{"name": "Customers"}, &root)
	c.do("POST", "/categories", map[string]any{"name": "ACME Corp", "isHidden": true}, &child)
	c.do("POST", "/categories", map[string]any{"name": "Partners"}, &other)
	// A parent with a higher id than its child.
	c.do("PATCH", fmt.Sprintf("/categories/%d", root.ID), map[string]any{"parentId": other.ID}, nil)
	c.do("PATCH", fmt.Sprintf("/categories/%d", child.ID), map[string]any{"parentId": root.ID}, nil)
	var field, flag struct{ ID int64 }
	c.do("POST", "/customfields", map[string]any{"name": "Region", "type": "dropdown", "isRequired": false,
		"possibleValues": []map[string]any{{"order": 1, "value": "Oslo"}, {"order": 2, "value": "Akershus"}}}, &field)
	c.do("POST", "/customfields", map[string]any{"name": "VIP", "type": "checkbox", "defaultValue": false}, &flag)
	c.do("POST", "/UserGroups", map[string]any{"name": "Night shift", "teammateIds": []string{teammateID}}, nil)
	c.do("POST", "/widgets/schedules", map[string]any{"timePeriod": 3, "customTimes": map[string]any{
		"monday": []map[string]string{{"startAt": "08:00:00", "endAt": "16:00:00"}}}}, nil)
	c.do("POST", "/widgets/schedules", map[string]any{"timePeriod": 1, "times": []map[string]string{{"startAt": "00:01:00", "endAt": "18:00:00"}}}, nil)
	for i := 0; i < 7; i++ {
		var id int64
		c.do("POST", "/tickets", map[string]any{
			"title": fmt.Sprintf("Ticket %d", i), "message": fmt.Sprintf("<p>Hello <b>%d</b></p>", i),
			"creator":    map[string]any{"name": fmt.Sprintf("Customer %d", i%3), "email": fmt.Sprintf("customer%d@example.com", i%3)},
			"categoryId": []int64{root.ID, child.ID, other.ID}[i%3], "tags": []string{"Billing", fmt.Sprintf("T%d", i%2)},
			"customFields": []map[string]any{{"id": field.ID, "value": "oslo"}}, "cc": []string{"cc@example.com"},
			"attachments": []map[string]any{{"url": "https://files.example.com/a.png", "name": "a.png"}},
		}, &id)
		ticketIDs = append(ticketIDs, id)
		p := fmt.Sprintf("/tickets/%d", id)
		var reply struct{ ID int64 }
		c.do("POST", p+"/replies", map[string]any{"author": map[string]any{"id": teammateID}, "message": "Thanks!"}, &reply)
		c.do("POST", p+"/replies", map[string]any{"author": map[string]any{"email": fmt.Sprintf("customer%d@example.com", i%3)},
			"message": "Still broken", "parentReplyId": reply.ID}, nil)
		c.do("POST", p+"/replies", map[string]any{"author": map[string]any{"id": teammateID}, "message": "draft", "isDraft": true}, nil)
		c.do("POST", p+"/notes", map[string]any{"author": map[string]any{"id": teammateID}, "message": "note", "mentionedUsers": []string{teammateID}}, nil)
		if i%2 == 0 {
			c.do("PATCH", p+"/Assignee", map[string]any{"assigneeId": teammateID, "previousAssigneeId": nil}, nil)
			c.do("PATCH", p+"/status", map[string]any{"status": "completed"}, nil)
			c.do("PATCH", p+"/customfields", map[string]any{"id": flag.ID, "value": true}, nil)
		}
	}
	return ticketIDs
}

// TestCopyToPostgres moves a populated, running SQLite installation to
// PostgreSQL and checks that every API answer is the same on both.
func TestCopyToPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewSchema(t)
	db := filepath.Join(t.TempDir(), "source.db")
	var cr credentials
	if err := json.Unmarshal(runCLI(t, "community", "create", "Movers", "--db", db, "--json"), &cr); err != nil {
		t.Fatal(err)
	}
	var mate struct{ ID string }
	if err := json.Unmarshal(runCLI(t, "teammate", "add", "--community", "Movers", "--email", "agent@movers.example",
		"--name", "Agent", "--role", "admin", "--group", "Day shift", "--db", db, "--json"), &mate); err != nil {
		t.Fatal(err)
	}
	sqliteBase := startServer(t, db)
	src := &client{t: t, base: sqliteBase, token: accessToken(t, sqliteBase, cr)}
	ids := populate(t, src, mate.ID)

	// The source server keeps running while it is copied.
	runCLI(t, "copy", "--from", "sqlite:"+db, "--to", dsn)

	var out, errOut bytes.Buffer
	err := Run(context.Background(), []string{"copy", "--from", db, "--to", dsn}, Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	if !errors.Is(err, transfer.ErrTargetNotEmpty) {
		t.Fatalf("a second copy into a non-empty target: got %v, want ErrTargetNotEmpty", err)
	}
	out.Reset()
	errOut.Reset()
	if err := Run(context.Background(), []string{"copy", "--from", db, "--to", dsn, "--force"}, Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}); err != nil {
		t.Fatalf("copy --force: %v\n%s", err, errOut.String())
	}
	checkCopied(t, dsn, errOut.String())

	pgBase := startServer(t, dsn)
	// The signing key moved with the data: the same access token works.
	dst := &client{t: t, base: pgBase, token: src.token}

	paths := []struct {
		method, path string
		body         any
	}{
		{"GET", "/categories?includeHidden=true", nil},
		{"GET", "/categories", nil},
		{"GET", "/categories/subcategories?includeHidden=true", nil},
		{"GET", "/customfields", nil},
		{"GET", "/Teammates", nil},
		{"GET", "/UserGroups", nil},
		{"GET", "/UserGroups/1", nil},
		{"GET", "/UserGroups/2", nil},
		{"GET", "/tags", nil},
		{"GET", "/widgets/schedules", nil},
		{"POST", "/tickets/list", map[string]any{"take": 50}},
		{"POST", "/tickets/list", map[string]any{"status": "completed", "orderBy": "creation_time_asc"}},
		{"POST", "/tickets/ids", map[string]any{"customFields": []map[string]any{{"key": 1, "value": "Oslo"}}}},
	}
	for _, id := range ids {
		p := fmt.Sprintf("/tickets/%d", id)
		paths = append(paths,
			struct {
				method, path string
				body         any
			}{"GET", p, nil},
			struct {
				method, path string
				body         any
			}{"GET", p + "/replies", nil},
			struct {
				method, path string
				body         any
			}{"GET", p + "/notes", nil},
			struct {
				method, path string
				body         any
			}{"POST", p + "/log", map[string]any{}},
		)
	}
	for _, p := range paths {
		a, b := src.raw(p.method, p.path, p.body), dst.raw(p.method, p.path, p.body)
		if !bytes.Equal(a, b) {
			t.Errorf("%s %s differs after the copy:\nsqlite:   %s\npostgres: %s", p.method, p.path, a, b)
		}
		if !bytes.HasPrefix(a, []byte("200 ")) {
			t.Errorf("%s %s: %s", p.method, p.path, a)
		}
	}

	// Sequences moved past the copied ids: new rows get fresh ids.
	var next int64
	dst.do("POST", "/tickets", map[string]any{"title": "After the move", "creator": map[string]any{"email": "new@example.com"}}, &next)
	if want := ids[len(ids)-1] + 1; next != want {
		t.Fatalf("first ticket on PostgreSQL got id %d, want %d", next, want)
	}
}

// checkCopied compares the tables and row counts that copy reported with
// the target's catalogue and contents: every table of the schema (other
// than the migrations' record) must have been copied, with the rows it
// reported.
func checkCopied(t *testing.T, dsn, report string) {
	t.Helper()
	reported := map[string]int64{}
	for _, line := range strings.Split(strings.TrimSpace(report), "\n") {
		var table string
		var n int64
		if _, err := fmt.Sscanf(line, "copied %s %d rows", &table, &n); err != nil {
			continue // a log line
		}
		reported[table] = n
	}
	pg, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	rows, err := pg.Query(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'
		ORDER BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	var copied []string
	for name := range reported {
		copied = append(copied, name)
	}
	slices.Sort(copied)
	if !slices.Equal(tables, copied) {
		t.Fatalf("copied tables %v, want the target's tables %v", copied, tables)
	}
	for _, name := range tables {
		var n int64
		if err := pg.QueryRow(`SELECT COUNT(*) FROM ` + name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != reported[name] {
			t.Errorf("%s: reported %d rows copied, the target has %d", name, reported[name], n)
		}
	}
	for _, name := range []string{"communities", "users", "tickets", "replies", "notes", "categories", "ticket_log"} {
		if reported[name] == 0 {
			t.Errorf("%s: no rows copied from a populated installation", name)
		}
	}
}

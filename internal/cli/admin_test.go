package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCommunityList(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "openboards.db")
	out, errOut, code := runMain(nil, "community", "list", "--db", db)
	if code != ExitOK || out != "" || !strings.Contains(errOut, "openboards community create NAME") {
		t.Errorf("no communities: exit %d, %q %q; want a hint on stderr", code, out, errOut)
	}
	var created []struct{ ClientID string }
	for _, name := range []string{"acme", "Globex"} {
		var c struct{ ClientID string }
		if err := json.Unmarshal(runCLI(t, "community", "create", name, "--db", db, "--json"), &c); err != nil {
			t.Fatal(err)
		}
		created = append(created, c)
	}
	out, _, code = runMain(nil, "community", "list", "--db", db)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitOK || len(lines) != 3 || !strings.Contains(lines[1], "acme") || !strings.Contains(lines[1], created[0].ClientID) ||
		!strings.Contains(lines[2], "Globex") || !strings.Contains(lines[2], created[1].ClientID) {
		t.Errorf("community list: exit %d:\n%s", code, out)
	}
	var rows []struct {
		ID        int64
		Name      string
		ClientID  string
		CreatedAt string
	}
	if err := json.Unmarshal(runCLI(t, "community", "list", "--db", db, "--json"), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Name != "acme" || rows[1].Name != "Globex" || rows[1].ClientID != created[1].ClientID {
		t.Fatalf("community list --json = %+v", rows)
	}
	if _, err := time.Parse(time.RFC3339, rows[0].CreatedAt); err != nil {
		t.Errorf("createdAt: %v", err)
	}
}

func TestTeammateListRemove(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "openboards.db")
	runCLI(t, "community", "create", "acme", "--db", db)
	runCLI(t, "teammate", "add", "--community", "acme", "--email", "ann@acme.test", "--name", "Ann", "--role", "admin", "--group", "Tier 1", "--db", db)
	runCLI(t, "teammate", "add", "--community", "acme", "--email", "bob@acme.test", "--name", "Bob", "--db", db)
	const pw = "a long enough password"
	if _, errOut, code := runMain(strings.NewReader(pw+"\n"), "teammate", "password", "--community", "acme", "--email", "ann@acme.test", "--db", db); code != ExitOK {
		t.Fatalf("teammate password: %s", errOut)
	}
	if err := signIn(t, db, "ann@acme.test", pw); err != nil {
		t.Fatalf("sign-in before the removal: %v", err)
	}

	type row struct{ ID, Name, Email, Role string }
	list := func() []row {
		t.Helper()
		var rows []row
		if err := json.Unmarshal(runCLI(t, "teammate", "list", "--community", "acme", "--db", db, "--json"), &rows); err != nil {
			t.Fatal(err)
		}
		return rows
	}
	if rows := list(); len(rows) != 2 || rows[0].Email != "ann@acme.test" || rows[0].Role != "admin" || rows[1].Name != "Bob" || rows[1].Role != "team_member" {
		t.Fatalf("teammate list = %+v", rows)
	}
	out, _, _ := runMain(nil, "teammate", "list", "--community", "acme", "--db", db)
	if !strings.Contains(out, "Ann") || !strings.Contains(out, "bob@acme.test") || !strings.Contains(out, "team_member") {
		t.Errorf("teammate list:\n%s", out)
	}

	out, errOut, code := runMain(nil, "teammate", "remove", "--community", "acme", "--email", "ann@acme.test", "--db", db)
	if code != ExitOK || !strings.Contains(out, "Ann <ann@acme.test> is no longer a teammate of acme") {
		t.Fatalf("teammate remove: exit %d, %q %q", code, out, errOut)
	}
	if rows := list(); len(rows) != 1 || rows[0].Name != "Bob" {
		t.Errorf("teammate list after the removal = %+v", rows)
	}
	if err := signIn(t, db, "ann@acme.test", pw); err == nil {
		t.Errorf("a removed teammate can still sign in")
	}
	// Not a teammate (any more): not found, exit 1.
	_, errOut, code = runMain(nil, "teammate", "remove", "--community", "acme", "--email", "ann@acme.test", "--db", db)
	if code != ExitFailure || !strings.Contains(errOut, `openboards: email: no teammate with e-mail "ann@acme.test" in acme`) {
		t.Errorf("removing again: exit %d, %q", code, errOut)
	}
	// Adding them again gives the access back.
	runCLI(t, "teammate", "add", "--community", "acme", "--email", "ann@acme.test", "--name", "Ann", "--role", "admin", "--db", db)
	if rows := list(); len(rows) != 2 {
		t.Errorf("teammate list after adding again = %+v", rows)
	}
}

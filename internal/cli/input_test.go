package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestArgumentText checks that commands refuse flag values and arguments
// that the databases cannot store as they are, naming the flag or the
// argument, before they change anything.
func TestArgumentText(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "openboards.db")
	runCLI(t, "community", "create", "acme", "--db", db)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"community", "create", "caf\xe9", "--db", db}, `argument 1 ("caf\xe9"): is not valid UTF-8`},
		{[]string{"community", "rename", "acme", "a\x00b", "--db", db}, `argument 2 ("a\x00b"): must not contain a NUL character`},
		{[]string{"teammate", "add", "--community", "acme", "--email", "ann@acme.test", "--name", "Ann \xff", "--db", db}, "--name: is not valid UTF-8"},
		{[]string{"teammate", "add", "--community", "acme", "--email", "ann@acme.test", "--name", "Ann", "--group", "g\x00", "--db", db}, "--group: must not contain a NUL character"},
		{[]string{"token", "create", "--community", "acme", "--name", "\xfe", "--db", db}, "--name: is not valid UTF-8"},
	} {
		var out, errOut bytes.Buffer
		err := Run(context.Background(), tc.args, Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("openboards %q: got %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
	// Nothing was stored: the community has its one refresh token, and the
	// teammate can still be added under its e-mail address.
	var tokens []struct{ Name string }
	if err := json.Unmarshal(runCLI(t, "token", "list", "--community", "acme", "--db", db, "--json"), &tokens); err != nil || len(tokens) != 1 {
		t.Errorf("tokens after the refused commands: %v, %v; want only the first", tokens, err)
	}
	runCLI(t, "teammate", "add", "--community", "acme", "--email", "ann@acme.test", "--name", "Ann", "--db", db)
}

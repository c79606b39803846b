package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveOutput starts serve on db, waits for it to say where the inbox is,
// stops it and returns its standard output.
func serveOutput(t *testing.T, db string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, Env{Stdout: stdout, Stderr: stderr, Getenv: func(string) string { return "" }})
	}()
	for !strings.Contains(stdout.String(), "The inbox is at ") {
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s\n%s", err, stdout.String(), stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	return stdout.String()
}

func TestServeFirstStart(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "first start.db")
	out := serveOutput(t, db)
	m := servingURL.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no URL in %q", out)
	}
	for _, want := range []string{
		"The inbox is at " + m[1] + "/signin\n",
		"No community exists yet",
		"openboards community create NAME --db '" + db + "'\n",
		"openboards teammate add --community NAME --email E --name N --role admin --db '" + db + "'\n",
		"openboards teammate password --community NAME --email E --db '" + db + "'\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("first start: output lacks %q:\n%s", want, out)
		}
	}
	// The first line stays the one that scripts wait for.
	if !strings.HasPrefix(out, "Openboards is serving the Ticket API at "+m[1]) {
		t.Errorf("first line: %q", out)
	}

	runCLI(t, "community", "create", "acme", "--db", db)
	out = serveOutput(t, db)
	if !strings.Contains(out, "The inbox is at ") || strings.Contains(out, "No community") {
		t.Errorf("with a community: %q", out)
	}
}

package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"openboards/internal/community"
	"openboards/internal/openboards"
	"openboards/internal/store/sqlite"
)

// runWithStdin runs one command in-process with stdin as its standard
// input (nil: none) and returns its standard output, standard error and
// error.
func runWithStdin(stdin io.Reader, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	env := Env{Stdin: stdin, Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	err := Run(context.Background(), args, env)
	return out.String(), errOut.String(), err
}

// signIn tries a sign-in against the database through the community
// service, as the inbox does.
func signIn(t *testing.T, db, email, password string) error {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, db, sqlite.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc, err := community.NewService(ctx, store, time.Now, "test", reservedNames())
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = svc.SignIn(ctx, "Acme", email, password)
	return err
}

func TestTeammatePassword(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "password.db")
	runCLI(t, "community", "create", "Acme", "--db", db)
	runCLI(t, "teammate", "add", "--community", "Acme", "--email", "ann@acme.test", "--name", "Ann Admin", "--role", "admin", "--db", db)
	const pw = "correct horse battery staple"
	set := []string{"teammate", "password", "--community", "Acme", "--email", "ann@acme.test", "--db", db}

	// No password yet.
	if err := signIn(t, db, "ann@acme.test", pw); openboards.ErrorCode(err) != openboards.CodeUnauthorized {
		t.Fatalf("sign-in before a password is set: %v", err)
	}

	out, errOut, err := runWithStdin(strings.NewReader(pw+"\r\n"), set...)
	if err != nil {
		t.Fatalf("teammate password: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "Password set for Ann Admin <ann@acme.test>") {
		t.Errorf("output %q", out)
	}
	if strings.Contains(out+errOut, pw) {
		t.Errorf("the command printed the password: %q %q", out, errOut)
	}
	if err := signIn(t, db, "ann@acme.test", pw); err != nil {
		t.Fatalf("sign-in with the new password: %v", err)
	}
	// The line end is not part of the password.
	for _, wrong := range []string{pw + "\r\n", pw + "\n", pw + "\r"} {
		if err := signIn(t, db, "ann@acme.test", wrong); openboards.ErrorCode(err) != openboards.CodeUnauthorized {
			t.Fatalf("sign-in with %q: %v", wrong, err)
		}
	}

	// Only the first line is read; the password may end the input without
	// a line end; setting a password again replaces it.
	if _, errOut, err := runWithStdin(strings.NewReader("another good password\nsecond line\n"), set...); err != nil {
		t.Fatalf("teammate password: %v\n%s", err, errOut)
	}
	if err := signIn(t, db, "ann@acme.test", "another good password"); err != nil {
		t.Fatalf("sign-in with the first line: %v", err)
	}
	if err := signIn(t, db, "ann@acme.test", pw); openboards.ErrorCode(err) != openboards.CodeUnauthorized {
		t.Fatalf("the old password still works: %v", err)
	}
	if _, errOut, err := runWithStdin(strings.NewReader("no line end at all"), set...); err != nil {
		t.Fatalf("teammate password: %v\n%s", err, errOut)
	}
	if err := signIn(t, db, "ann@acme.test", "no line end at all"); err != nil {
		t.Fatalf("sign-in: %v", err)
	}

	// Too short, empty or missing input is refused with a clear error, and
	// the password stays.
	for _, in := range []io.Reader{strings.NewReader("short\n"), strings.NewReader(""), strings.NewReader("\n"), nil} {
		out, _, err := runWithStdin(in, set...)
		if openboards.ErrorCode(err) != openboards.CodeInvalid || !strings.Contains(err.Error(), "at least 10 characters") {
			t.Errorf("a short password: %v, want an error saying it needs at least 10 characters", err)
		}
		if out != "" {
			t.Errorf("a refused password printed %q", out)
		}
	}
	if err := signIn(t, db, "ann@acme.test", "no line end at all"); err != nil {
		t.Fatalf("a refused password replaced the old one: %v", err)
	}

	// Someone who is not a teammate gets no password.
	_, _, err = runWithStdin(strings.NewReader(pw+"\n"), "teammate", "password", "--community", "Acme", "--email", "nobody@acme.test", "--db", db)
	if openboards.ErrorCode(err) != openboards.CodeNotFound || !strings.Contains(err.Error(), "nobody@acme.test") {
		t.Errorf("an unknown e-mail: %v", err)
	}
	_, _, err = runWithStdin(strings.NewReader(pw+"\n"), "teammate", "password", "--community", "Nowhere", "--email", "ann@acme.test", "--db", db)
	if openboards.ErrorCode(err) != openboards.CodeNotFound {
		t.Errorf("an unknown community: %v", err)
	}

	// Without --email or --community, or with a stray argument, it
	// prints its usage.
	for _, args := range [][]string{
		{"teammate", "password", "--community", "Acme", "--db", db},
		{"teammate", "password", "--email", "ann@acme.test", "--db", db},
		{"teammate", "password", "--community", "Acme", "--email", "ann@acme.test", "--db", db, pw},
	} {
		out, errOut, err := runWithStdin(strings.NewReader(pw+"\n"), args...)
		if !errors.Is(err, ErrUsage) {
			t.Errorf("%q: %v, want ErrUsage", args, err)
		}
		if !strings.Contains(errOut, "usage: openboards teammate password --community NAME --email E") || out != "" {
			t.Errorf("%q printed %q to stdout and %q to stderr, want the usage", args, out, errOut)
		}
	}
	if err := signIn(t, db, "ann@acme.test", "no line end at all"); err != nil {
		t.Fatalf("a refused command changed the password: %v", err)
	}

	// The command is listed in the overall usage.
	if out, _, err := runWithStdin(nil, "help"); err != nil || !strings.Contains(out, "teammate password") {
		t.Errorf("help: %v, %q", err, out)
	}
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"openboards/internal/openboards"
)

// runMain runs the openboards command in-process as main does, with stdin
// as its standard input (nil: none), and returns what it printed and its
// exit status.
func runMain(stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	env := Env{Stdin: stdin, Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	code = Main(context.Background(), args, env)
	return out.String(), errOut.String(), code
}

// leaves returns every runnable command of the table by its full name.
func leaves(t *testing.T) map[string]*command {
	t.Helper()
	out := map[string]*command{}
	for _, c := range commandTable() {
		if c.subs == nil {
			out[c.name] = c
			continue
		}
		out[c.name] = c
		for _, s := range c.subs {
			out[c.name+" "+s.name] = s
		}
	}
	return out
}

func TestCommandTable(t *testing.T) {
	t.Parallel()
	for name, c := range leaves(t) {
		if c.summary == "" || c.args == "" || c.example == "" {
			t.Errorf("%q: summary %q, args %q, example %q; want all three", name, c.summary, c.args, c.example)
		}
		if c.run == nil && c.subs == nil && name != "help" {
			t.Errorf("%q neither runs nor has subcommands", name)
		}
		for _, line := range strings.Split(c.example, "\n") {
			if !strings.HasPrefix(line, "openboards "+name) {
				t.Errorf("%q: example %q does not run the command", name, line)
			}
		}
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	// openboards --help lists every command, not the server's flags.
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		out, errOut, code := runMain(nil, args...)
		if code != ExitOK || errOut != "" {
			t.Errorf("openboards %q: exit %d, stderr %q; want 0 and nothing", args, code, errOut)
		}
		for name, c := range leaves(t) {
			if c.subs == nil && !strings.Contains(out, name+" ") {
				t.Errorf("openboards %q does not list %q:\n%s", args, name, out)
			}
		}
		if strings.Contains(out, "-max-body-bytes") {
			t.Errorf("openboards %q prints the server's flags:\n%s", args, out)
		}
		if !strings.Contains(out, "Exit status: 0 success, 1 failure, 2 usage error") {
			t.Errorf("openboards %q does not document the exit statuses:\n%s", args, out)
		}
	}
	// Every command and subcommand, asked for help either way, prints its
	// summary, usage line and example on stdout and exits 0.
	for name, c := range leaves(t) {
		for _, args := range [][]string{
			append(strings.Fields(name), "--help"),
			append(strings.Fields(name), "-h"),
			append([]string{"help"}, strings.Fields(name)...),
		} {
			out, errOut, code := runMain(nil, args...)
			if code != ExitOK || errOut != "" {
				t.Errorf("openboards %q: exit %d, stderr %q; want 0 and nothing", args, code, errOut)
				continue
			}
			for _, want := range []string{"openboards " + name + ": " + c.summary, "Usage:\n  openboards " + name + " " + c.args, "Example:\n  " + strings.Split(c.example, "\n")[0]} {
				if !strings.Contains(out, want) {
					t.Errorf("openboards %q: output lacks %q:\n%s", args, want, out)
				}
			}
			if c.subs != nil {
				for _, s := range c.subs {
					if !strings.Contains(out, name+" "+s.name) {
						t.Errorf("openboards %q does not list %q:\n%s", args, s.name, out)
					}
				}
			}
		}
	}
	// A command's help lists its flags.
	out, _, _ := runMain(nil, "teammate", "add", "--help")
	for _, flag := range []string{"-community", "-email", "-role", "-db"} {
		if !strings.Contains(out, flag) {
			t.Errorf("teammate add --help lacks %s:\n%s", flag, out)
		}
	}
	out, _, _ = runMain(nil, "serve", "--help")
	if !strings.Contains(out, "-max-body-bytes") {
		t.Errorf("serve --help lacks the server's flags:\n%s", out)
	}
}

func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want []string // in stderr
	}{
		{[]string{"frobnicate"}, []string{`openboards: unknown command "frobnicate"`, "community create NAME", "teammate remove", "version"}},
		{[]string{"community", "frobnicate"}, []string{`openboards community: unknown command "frobnicate"`, "community list", "community rename OLD NEW"}},
		{[]string{"teammate", "frobnicate", "--community", "x"}, []string{`openboards teammate: unknown command "frobnicate"`, "teammate password"}},
		{[]string{"token"}, []string{"openboards token: missing command", "token revoke"}},
		{[]string{"help", "frobnicate"}, []string{`unknown command "frobnicate"`, "community list"}},
		{[]string{"help", "community", "frobnicate"}, []string{`unknown command "community frobnicate"`}},
		{[]string{"community", "create"}, []string{"openboards community create: missing NAME", "usage: openboards community create NAME"}},
		{[]string{"community", "list", "extra"}, []string{`openboards community list: unexpected argument "extra"`}},
		{[]string{"token", "list", "--frob"}, []string{"openboards token list: flag provided but not defined: -frob", `Run "openboards token list --help"`}},
		{[]string{"serve", "--addr"}, []string{"openboards serve: flag needs an argument: -addr"}},
	} {
		out, errOut, code := runMain(nil, tc.args...)
		if code != ExitUsage || out != "" {
			t.Errorf("openboards %q: exit %d, stdout %q; want 2 and nothing", tc.args, code, out)
		}
		for _, want := range tc.want {
			if !strings.Contains(errOut, want) {
				t.Errorf("openboards %q: stderr lacks %q:\n%s", tc.args, want, errOut)
			}
		}
	}
}

func TestErrorPrefix(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "openboards.db")
	out, errOut, code := runMain(nil, "token", "list", "--community", "nowhere", "--db", db)
	if code != ExitFailure || out != "" {
		t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
	}
	if want := "openboards: community \"nowhere\" not found\n"; errOut != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
	// A coded error wrapped with context keeps the context, once.
	if got := errorText(wrapped{}); got != "open: community 7 not found" {
		t.Errorf("errorText = %q", got)
	}
}

type wrapped struct{}

func (wrapped) Error() string { return "open: " + errNotFound7.Error() }
func (wrapped) Unwrap() error { return errNotFound7 }

var errNotFound7 = openboards.Errorf(openboards.CodeNotFound, "community 7 not found")

func TestVersion(t *testing.T) {
	t.Parallel()
	yes := true
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "openboards", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{
			{Key: "-buildmode", Value: "exe"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "525f04d07d6c555742eec7fecb7daee48eb8b078"},
			{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
			{Key: "vcs.modified", Value: "true"},
		}}
	got := buildVersion(bi, true)
	want := version{Module: "openboards", Version: "v1.2.3", GoVersion: "go1.26.0",
		Revision: "525f04d07d6c555742eec7fecb7daee48eb8b078", Time: "2026-01-02T03:04:05Z", Modified: &yes}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("buildVersion (-want +got):\n%s", d)
	}
	var text bytes.Buffer
	got.print(&text)
	if want := "openboards v1.2.3 (go1.26.0)\nrevision: 525f04d07d6c555742eec7fecb7daee48eb8b078\ntime:     2026-01-02T03:04:05Z\nmodified: true\n"; text.String() != want {
		t.Errorf("text %q, want %q", text.String(), want)
	}
	if v := buildVersion(nil, false); v.Version != "unknown" {
		t.Errorf("without build information: %+v", v)
	}

	// The command itself reads this binary's build information.
	out, errOut, code := runMain(nil, "version")
	if code != ExitOK || !strings.HasPrefix(out, "openboards ") || !strings.Contains(out, "revision: ") {
		t.Errorf("version: exit %d, %q %q", code, out, errOut)
	}
	out, _, code = runMain(nil, "version", "--json")
	var v version
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != ExitOK || v.Module == "" || v.GoVersion == "" {
		t.Errorf("version --json: exit %d, %q: %v", code, out, err)
	}
}

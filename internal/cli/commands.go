package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"openboards/internal/config"
	"openboards/internal/openboards"
)

// The exit statuses of the openboards command, returned by Main.
const (
	ExitOK      = 0 // the command did what it was asked
	ExitFailure = 1 // it failed: a database, network or input error
	ExitUsage   = 2 // the command line was wrong: an unknown command, flag or argument
)

// command is one row of the command table: a command with its run
// function, or a group of subcommands. Every row has a one-line summary,
// its arguments and an example, which its help prints.
type command struct {
	name    string // as typed: "community", "create"
	args    string // what follows the name in a usage line
	summary string // one line, lower case, no final period
	example string // one or more command lines
	// run runs a command; nil for a group. Flags that may appear anywhere
	// among the arguments go through parse, which answers --help.
	run  func(ctx context.Context, args []string, env Env) error
	subs []*command
}

// commandTable lists every command and subcommand.
func commandTable() []*command {
	return []*command{
		{name: "serve", args: "[--db DSN] [--addr HOST:PORT] [flags]", run: runServe,
			summary: "run the server (the default when no command is given)",
			example: "openboards serve --db /var/lib/openboards/openboards.db --addr :8080"},
		{name: "migrate", args: "[--db DSN]", run: runMigrate,
			summary: "apply pending database migrations",
			example: "openboards migrate --db postgres://openboards@db.internal/openboards"},
		{name: "community", args: "COMMAND", summary: "create, list and rename communities",
			example: "openboards community list", subs: []*command{
				{name: "create", args: "NAME [--db DSN] [--json]", run: runCommunityCreate,
					summary: "create a community and print its API client id and first refresh token",
					example: "openboards community create acme"},
				{name: "list", args: "[--db DSN] [--json]", run: runCommunityList,
					summary: "list the communities with their client ids and creation times",
					example: "openboards community list --json"},
				{name: "rename", args: "OLD NEW [--db DSN]", run: runCommunityRename,
					summary: "rename a community (its inbox moves to /NEW/)",
					example: "openboards community rename acme acme-support"},
			}},
		{name: "teammate", args: "COMMAND", summary: "add, list and remove teammates and set their inbox passwords",
			example: "openboards teammate list --community acme", subs: []*command{
				{name: "add", args: "--community NAME --email E --name N [--role ROLE] [--group G] [--db DSN] [--json]", run: runTeammateAdd,
					summary: "add a teammate to a community, or change the name and role of one",
					example: `openboards teammate add --community acme --email ann@acme.example --name "Ann Admin" --role admin`},
				{name: "list", args: "--community NAME [--db DSN] [--json]", run: runTeammateList,
					summary: "list a community's teammates with their e-mail addresses and roles",
					example: "openboards teammate list --community acme"},
				{name: "password", args: "--community NAME --email E [--db DSN]", run: runTeammatePassword,
					summary: "set a teammate's inbox password: prompted for at a terminal, else the first line of standard input",
					example: "openboards teammate password --community acme --email ann@acme.example\n" +
						"openboards teammate password --community acme --email ann@acme.example < password.txt"},
				{name: "remove", args: "--community NAME --email E [--db DSN]", run: runTeammateRemove,
					summary: "take a teammate's access away; what they wrote stays",
					example: "openboards teammate remove --community acme --email ann@acme.example"},
			}},
		{name: "widget", args: "COMMAND", summary: "create and list a community's support widgets",
			example: "openboards widget list --community acme", subs: []*command{
				{name: "create", args: "--community NAME --name N [--origins O,...] [--db DSN] [--json]", run: runWidgetCreate,
					summary: "create a support widget and print its id and identity secret",
					example: "openboards widget create --community acme --name Support --origins https://shop.example.com --json"},
				{name: "list", args: "--community NAME [--db DSN] [--json]", run: runWidgetList,
					summary: "list a community's widgets with their allowed origins",
					example: "openboards widget list --community acme"},
			}},
		{name: "token", args: "COMMAND", summary: "create, list and revoke a community's API refresh tokens",
			example: "openboards token list --community acme", subs: []*command{
				{name: "create", args: "--community NAME --name TOKEN-NAME [--db DSN] [--json]", run: runTokenCreate,
					summary: "mint another refresh token for a community",
					example: "openboards token create --community acme --name crm-sync"},
				{name: "list", args: "--community NAME [--db DSN] [--json]", run: runTokenList,
					summary: "list a community's refresh tokens, active and revoked",
					example: "openboards token list --community acme --json"},
				{name: "revoke", args: "--community NAME --id ID [--db DSN]", run: runTokenRevoke,
					summary: "revoke a refresh token and the access tokens minted from it",
					example: "openboards token revoke --community acme --id 2"},
			}},
		{name: "copy", args: "--from sqlite:PATH --to postgres://... [--force]", run: runCopy,
			summary: "copy a SQLite installation to PostgreSQL",
			example: "openboards copy --from sqlite:openboards.db --to postgres://openboards@db.internal/openboards"},
		{name: "version", args: "[--json]", run: runVersion,
			summary: "print the version, VCS revision and Go version this binary was built from",
			example: "openboards version --json"},
		{name: "help", args: "[COMMAND [SUBCOMMAND]]",
			summary: "print the help of openboards or of a command",
			example: "openboards help teammate password"},
	}
}

// findCommand returns the row named by name among cmds, or nil.
func findCommand(cmds []*command, name string) *command {
	for _, c := range cmds {
		if c.name == name {
			return c
		}
	}
	return nil
}

// isHelpFlag reports whether arg asks for help.
func isHelpFlag(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// Main runs the command named by args (without the program name), prints
// its error with a single "openboards: " prefix, and returns the exit
// status: ExitOK, ExitFailure, or ExitUsage for a command line that could
// not be parsed (whose usage has been printed).
func Main(ctx context.Context, args []string, env Env) int {
	err := Run(ctx, args, env)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrUsage):
		return ExitUsage
	}
	fmt.Fprintln(env.Stderr, "openboards:", errorText(err))
	return ExitFailure
}

// errorText is err's text for the terminal: a coded error shows its
// message without the package and code prefix of its Error method,
// wherever it is in the chain.
func errorText(err error) string {
	text := err.Error()
	var e *openboards.Error
	if errors.As(err, &e) {
		text = strings.Replace(text, e.Error(), e.Message, 1)
	}
	return text
}

// Run runs the command named by args (without the program name). Help, on
// --help or the help command, is printed to env.Stdout and is no error. An
// error that Is ErrUsage has had its explanation and the usage printed to
// env.Stderr; any other is the caller's to print (Main does).
func Run(ctx context.Context, args []string, env Env) error {
	table := commandTable()
	switch {
	case len(args) == 0:
		return runCommand(ctx, findCommand(table, "serve"), "serve", nil, env)
	case isHelpFlag(args[0]):
		printTopHelp(env.Stdout, table)
		return nil
	case strings.HasPrefix(args[0], "-"):
		return runCommand(ctx, findCommand(table, "serve"), "serve", args, env)
	case args[0] == "help":
		return runHelp(ctx, table, args[1:], env)
	}
	c := findCommand(table, args[0])
	if c == nil {
		fmt.Fprintf(env.Stderr, "openboards: unknown command %q\n\n", args[0])
		printCommandList(env.Stderr, "", table)
		fmt.Fprintln(env.Stderr, "\nRun \"openboards --help\" for more.")
		return ErrUsage
	}
	return runCommand(ctx, c, c.name, args[1:], env)
}

// runCommand runs c, called path ("community create"), with args: a
// group picks its subcommand, a command runs and has its help printed when
// it asks for it.
func runCommand(ctx context.Context, c *command, path string, args []string, env Env) error {
	if c.run == nil {
		switch {
		case len(args) > 0 && isHelpFlag(args[0]):
			printHelp(env.Stdout, c, path, nil)
			return nil
		case len(args) == 0 || strings.HasPrefix(args[0], "-"):
			fmt.Fprintf(env.Stderr, "openboards %s: missing command\n\n", path)
		default:
			sub := findCommand(c.subs, args[0])
			if sub != nil {
				return runCommand(ctx, sub, path+" "+sub.name, args[1:], env)
			}
			fmt.Fprintf(env.Stderr, "openboards %s: unknown command %q\n\n", path, args[0])
		}
		printCommandList(env.Stderr, path+" ", c.subs)
		fmt.Fprintf(env.Stderr, "\nRun \"openboards %s --help\" for more.\n", path)
		return ErrUsage
	}
	err := c.run(ctx, args, env)
	var he *helpError
	var ue *usageError
	switch {
	case errors.As(err, &he):
		printHelp(env.Stdout, c, path, he.fs)
		return nil
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "openboards %s: %s\nusage: openboards %s %s\nRun \"openboards %s --help\" for its flags and an example.\n",
			path, ue.reason, path, c.args, path)
		return err
	}
	return err
}

// runHelp is the help command: help, help COMMAND, help COMMAND SUB.
func runHelp(ctx context.Context, table []*command, args []string, env Env) error {
	if len(args) == 0 {
		printTopHelp(env.Stdout, table)
		return nil
	}
	if isHelpFlag(args[0]) || args[0] == "help" {
		printHelp(env.Stdout, findCommand(table, "help"), "help", nil)
		return nil
	}
	c, path, rest := findCommand(table, args[0]), args[0], args[1:]
	if c != nil && c.subs != nil && len(rest) > 0 {
		c, path, rest = findCommand(c.subs, rest[0]), path+" "+rest[0], rest[1:]
	}
	if c == nil || len(rest) > 0 {
		fmt.Fprintf(env.Stderr, "openboards help: unknown command %q\n\n", strings.Join(args, " "))
		printCommandList(env.Stderr, "", table)
		return ErrUsage
	}
	// A command's flags are defined where it runs; asking it for its help
	// gets them without running it.
	return runCommand(ctx, c, path, []string{"--help"}, env)
}

// printTopHelp prints the help of openboards itself.
func printTopHelp(w io.Writer, table []*command) {
	fmt.Fprint(w, `openboards runs the Openboards customer-service server and administers it.

Usage:
  openboards [COMMAND] [ARGUMENTS] [FLAGS]

Commands:
`)
	printCommandList(w, "", table)
	fmt.Fprintf(w, `
Every command that opens the database takes --db DSN: a file path,
sqlite:PATH or postgres://... (env OPENBOARDS_DB; default %s).
Flags may come before, between or after the arguments.

Run "openboards COMMAND --help" (or "openboards help COMMAND") for a command's
arguments, flags and an example; "openboards serve --help" for the server's flags.

Exit status: 0 success, 1 failure, 2 usage error (an unknown command, flag or
argument).
`, config.DefaultDB)
}

// printCommandList prints one line per command of cmds (each subcommand of
// a group), prefixed by prefix, with its arguments and summary.
func printCommandList(w io.Writer, prefix string, cmds []*command) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var list func(prefix string, cmds []*command)
	list = func(prefix string, cmds []*command) {
		for _, c := range cmds {
			if c.run == nil && c.name != "help" {
				list(prefix+c.name+" ", c.subs)
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s\n", strings.TrimSpace(prefix+c.name+" "+positional(c.args)), c.summary)
		}
	}
	list(prefix, cmds)
	tw.Flush()
}

// positional is the part of a usage's arguments before its first flag,
// which the command list shows.
func positional(args string) string {
	var out []string
	for _, f := range strings.Fields(args) {
		if strings.HasPrefix(f, "-") || strings.HasPrefix(f, "[-") {
			break
		}
		out = append(out, f)
	}
	return strings.Join(out, " ")
}

// printHelp prints the help of c, called path, with the flags of fs when
// it has any.
func printHelp(w io.Writer, c *command, path string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "openboards %s: %s\n\nUsage:\n  openboards %s %s\n", path, c.summary, path, c.args)
	if c.subs != nil {
		fmt.Fprint(w, "\nCommands:\n")
		printCommandList(w, path+" ", c.subs)
	}
	if fs != nil {
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprint(w, "\nFlags:\n")
			fs.SetOutput(w)
			fs.PrintDefaults()
		}
	}
	fmt.Fprint(w, "\nExample:\n")
	for line := range strings.SplitSeq(c.example, "\n") {
		fmt.Fprintf(w, "  %s\n", line)
	}
	if c.subs != nil {
		fmt.Fprintf(w, "\nRun \"openboards %s COMMAND --help\" for a command's flags and an example.\n", path)
	}
}

// helpError is what parse returns for --help: the command's flags, for its
// help.
type helpError struct{ fs *flag.FlagSet }

func (e *helpError) Error() string        { return "help requested" }
func (e *helpError) Is(target error) bool { return target == flag.ErrHelp }

// usageError is a command line that could not be parsed, for the reason
// it gives. It Is ErrUsage.
type usageError struct{ reason string }

func (e *usageError) Error() string        { return e.reason }
func (e *usageError) Is(target error) bool { return target == ErrUsage }

// usagef returns a *usageError with a formatted reason.
func usagef(format string, args ...any) error {
	return &usageError{reason: fmt.Sprintf(format, args...)}
}

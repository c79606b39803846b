// Package cli implements the openboards command: serve (the default),
// migrate, and the administration commands for communities, teammates and
// API tokens.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"openboards/internal/community"
	"openboards/internal/config"
	"openboards/internal/obs"
	"openboards/internal/openboards"
	"openboards/internal/store/postgres"
	"openboards/internal/store/sqlite"
)

// redact hides the password of a database URL for printing.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return dsn
}

// Env is what a command sees of its process.
type Env struct {
	Stdin          io.Reader // nil reads as empty
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// ErrUsage reports a command line that could not be parsed; the usage text
// has already been printed.
var ErrUsage = errors.New("usage error")

// parse parses flags that may come before, between or after positional
// arguments, and returns the positionals. --help returns a *helpError, a
// flag it cannot parse a *usageError. It refuses a value that the
// databases cannot store as it is (bytes that are not UTF-8, a NUL
// character), naming the flag or the argument.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	// The flag package's own messages are replaced by the command's help
	// and usage (see runCommand).
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &helpError{fs: fs}
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			var bad error
			fs.Visit(func(f *flag.Flag) {
				if bad == nil {
					bad = openboards.CheckText("--"+f.Name, f.Value.String())
				}
			})
			for i, p := range pos {
				if bad == nil {
					bad = openboards.CheckText(fmt.Sprintf("argument %d (%q)", i+1, p), p)
				}
			}
			if bad != nil {
				return nil, errors.New(openboards.ErrorMessage(bad))
			}
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// checkArgs returns a *usageError unless pos holds one argument per name
// in names and every flag of fs named in required is set to a value other
// than its default.
func checkArgs(fs *flag.FlagSet, pos, names []string, required ...string) error {
	switch {
	case len(pos) > len(names):
		return usagef("unexpected argument %q", pos[len(names)])
	case len(pos) < len(names):
		return usagef("missing %s", strings.Join(names[len(pos):], " and "))
	}
	for _, name := range required {
		if f := fs.Lookup(name); f.Value.String() == f.DefValue {
			return usagef("--%s is required", name)
		}
	}
	return nil
}

// dbFlag adds --db to fs with its environment default.
func dbFlag(fs *flag.FlagSet, env Env) *string {
	def := config.DefaultDB
	if v := env.Getenv("OPENBOARDS_DB"); v != "" {
		def = v
	}
	return fs.String("db", def, "database: a file path, sqlite:PATH or postgres://... (env OPENBOARDS_DB)")
}

// isPostgres reports whether a DSN names a PostgreSQL database.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// sqlitePath returns the SQLite file a DSN names.
func sqlitePath(dsn string) (string, error) {
	var path string
	switch {
	case strings.HasPrefix(dsn, "sqlite://"):
		path = strings.TrimPrefix(dsn, "sqlite://")
	case strings.HasPrefix(dsn, "sqlite:"):
		path = strings.TrimPrefix(dsn, "sqlite:")
	case strings.Contains(dsn, "://"):
		return "", fmt.Errorf("db: unsupported database %q (want a file path, sqlite:PATH or postgres://...)", dsn)
	default:
		path = dsn
	}
	if path == "" {
		return "", fmt.Errorf("db: empty SQLite path")
	}
	return path, nil
}

// storeOptions are the knobs of a store that commands can set.
type storeOptions struct {
	Migrate  bool
	MaxConns int // PostgreSQL pool size; 0 means the default
}

// openStore opens the database a DSN names: PostgreSQL for postgres://
// URLs, else a SQLite file.
func openStore(ctx context.Context, dsn string, opt storeOptions, log *slog.Logger) (openboards.Store, error) {
	if isPostgres(dsn) {
		return postgres.Open(ctx, dsn, postgres.Options{Migrate: opt.Migrate, MaxConns: opt.MaxConns, Log: log})
	}
	path, err := sqlitePath(dsn)
	if err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, path, sqlite.Options{Migrate: opt.Migrate, Log: log})
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// serveLogger returns the server's logger: cfg's format and least level
// (checked by cfg.Validate), and the request id of a record's context on
// every line logged with one.
func serveLogger(cfg config.Config, w io.Writer) *slog.Logger {
	level, _ := cfg.Level()
	opt := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opt)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opt)
	}
	return slog.New(obs.LogHandler(h))
}

func runMigrate(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	db := dbFlag(fs, env)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	store, err := openStore(ctx, *db, storeOptions{Migrate: true, MaxConns: 2}, newLogger(env.Stderr))
	if err != nil {
		return err
	}
	if err := store.Close(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "openboards: database %s is up to date\n", redact(*db))
	return nil
}

// admin opens the store and the community service for an admin command.
func admin(ctx context.Context, dsn string, env Env) (openboards.Store, *community.Service, error) {
	store, err := openStore(ctx, dsn, storeOptions{Migrate: true, MaxConns: 2}, newLogger(env.Stderr))
	if err != nil {
		return nil, nil, err
	}
	svc, err := community.NewService(ctx, store, time.Now, "openboards", reservedNames())
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, svc, nil
}

// adminOf opens the store for an admin command about one community and
// finds that community; the caller closes the store.
func adminOf(ctx context.Context, dsn, name string, env Env) (openboards.Store, *community.Service, *openboards.Community, error) {
	store, svc, err := admin(ctx, dsn, env)
	if err != nil {
		return nil, nil, nil, err
	}
	cm, err := store.FindCommunityByName(ctx, name)
	if err != nil {
		store.Close()
		return nil, nil, nil, err
	}
	return store, svc, cm, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runCommunityCreate(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("community create", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	db := dbFlag(fs, env)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(fs, pos, []string{"NAME"}); err != nil {
		return err
	}
	store, svc, err := admin(ctx, *db, env)
	if err != nil {
		return err
	}
	defer store.Close()
	c, err := svc.Create(ctx, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env.Stdout, map[string]any{
			"communityId": c.Community.ID, "communityName": c.Community.Name,
			"clientId": c.Community.ClientID, "refreshToken": c.RefreshToken,
		})
	}
	fmt.Fprintf(env.Stdout, "Community:     %s (id %d)\nClient ID:     %s\nRefresh token: %s\n\nKeep the refresh token secret; it is not shown again.\n",
		c.Community.Name, c.Community.ID, c.Community.ClientID, c.RefreshToken)
	return nil
}

func runCommunityRename(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("community rename", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	db := dbFlag(fs, env)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(fs, pos, []string{"OLD", "NEW"}); err != nil {
		return err
	}
	store, svc, err := admin(ctx, *db, env)
	if err != nil {
		return err
	}
	defer store.Close()
	cm, err := svc.Rename(ctx, pos[0], pos[1])
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Community %d is now named %s\n", cm.ID, cm.Name)
	return nil
}

func runTeammateAdd(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("teammate add", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	db := dbFlag(fs, env)
	cname := fs.String("community", "", "community name (required)")
	email := fs.String("email", "", "e-mail address (required)")
	name := fs.String("name", "", "display name (required)")
	role := fs.String("role", "team_member", "role: admin, team_member, vendor or read_only_user")
	group := fs.String("group", "", "user group name or id to add the teammate to (created if the name is new)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(fs, pos, nil, "community"); err != nil {
		return err
	}
	store, svc, cm, err := adminOf(ctx, *db, *cname, env)
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := svc.AddTeammate(ctx, cm, community.TeammateInput{Email: *email, Name: *name, Role: *role, Group: *group})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env.Stdout, map[string]any{"id": u.ID, "name": u.Name, "email": u.Email, "role": u.Role, "communityName": cm.Name})
	}
	fmt.Fprintf(env.Stdout, "Teammate %s <%s> (%s) has id %s\n", u.Name, *u.Email, u.Role, u.ID)
	return nil
}

func runTeammatePassword(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("teammate password", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	db := dbFlag(fs, env)
	cname := fs.String("community", "", "community name (required)")
	email := fs.String("email", "", "the teammate's e-mail address (required)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(fs, pos, nil, "community", "email"); err != nil {
		return err
	}
	store, svc, cm, err := adminOf(ctx, *db, *cname, env)
	if err != nil {
		return err
	}
	defer store.Close()
	password, err := readPassword(env)
	if err != nil {
		return err
	}
	u, err := svc.SetPassword(ctx, cm, *email, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Password set for %s <%s>; their other sessions are signed out\n", u.Name, *email)
	return nil
}

// readPassword reads a new password, never from the command line where
// other users of the machine could read it. At a terminal it states the
// password rule and prompts twice on standard error, without echo; else
// it reads the first line of standard input (nothing is an empty
// password, which the rule refuses).
func readPassword(env Env) (string, error) {
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(env.Stderr, "The password needs %s.\n", community.PasswordRule())
		read := func(prompt string) (string, error) {
			fmt.Fprint(env.Stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(env.Stderr)
			if err != nil {
				return "", fmt.Errorf("read the password from the terminal: %w", err)
			}
			return string(b), nil
		}
		first, err := read("New password: ")
		if err != nil {
			return "", err
		}
		// Say at once what is wrong, before asking again.
		if err := community.ValidatePassword("password", first); err != nil {
			return "", err
		}
		again, err := read("The same password again: ")
		if err != nil {
			return "", err
		}
		if again != first {
			return "", openboards.Errorf(openboards.CodeInvalid, "password: the two entries differ; the password is unchanged")
		}
		return first, nil
	}
	if env.Stdin == nil {
		return "", nil
	}
	line, err := bufio.NewReader(io.LimitReader(env.Stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func tokenFlags(name string, env Env) (*flag.FlagSet, *string, *string, *bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs, dbFlag(fs, env), fs.String("community", "", "community name (required)"), fs.Bool("json", false, "print the result as JSON")
}

func runTokenCreate(ctx context.Context, args []string, env Env) error {
	fs, db, cname, asJSON := tokenFlags("token create", env)
	name := fs.String("name", "", "a name for the token, e.g. the integration using it (required)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(fs, pos, nil, "community"); err != nil {
		return err
	}
	store, svc, cm, err := adminOf(ctx, *db, *cname, env)
	if err != nil {
		return err
	}
	defer store.Close()
	t, secret, err := svc.CreateRefreshToken(ctx, cm, *name)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env.Stdout, map[string]any{"id": t.ID, "name": t.Name, "clientId": cm.ClientID, "refreshToken": secret})
	}
	fmt.Fprintf(env.Stdout, "Refresh token %d (%s): %s\nClient ID: %s\n", t.ID, t.Name, secret, cm.ClientID)
	return nil
}

func runTokenRevoke(ctx context.Context, args []string, env Env) error {
	fs, db, cname, _ := tokenFlags("token revoke", env)
	id := fs.Int64("id", 0, "id of the refresh token to revoke (required)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(fs, pos, nil, "community", "id"); err != nil {
		return err
	}
	if *id <= 0 {
		return usagef("--id: want a positive token id, got %d", *id)
	}
	store, svc, cm, err := adminOf(ctx, *db, *cname, env)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := svc.RevokeRefreshToken(ctx, cm, *id); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Refresh token %d revoked\n", *id)
	return nil
}

func runTokenList(ctx context.Context, args []string, env Env) error {
	fs, db, cname, asJSON := tokenFlags("token list", env)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(fs, pos, nil, "community"); err != nil {
		return err
	}
	store, _, cm, err := adminOf(ctx, *db, *cname, env)
	if err != nil {
		return err
	}
	defer store.Close()
	tokens, err := store.FindRefreshTokens(ctx, cm.ID)
	if err != nil {
		return err
	}
	type row struct {
		ID        int64   `json:"id"`
		Name      string  `json:"name"`
		CreatedAt string  `json:"createdAt"`
		RevokedAt *string `json:"revokedAt"`
	}
	rows := make([]row, len(tokens))
	for i, t := range tokens {
		rows[i] = row{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt.Format(time.RFC3339)}
		if t.RevokedAt != nil {
			s := t.RevokedAt.Format(time.RFC3339)
			rows[i].RevokedAt = &s
		}
	}
	if *asJSON {
		return printJSON(env.Stdout, rows)
	}
	for _, r := range rows {
		state := "active"
		if r.RevokedAt != nil {
			state = "revoked " + *r.RevokedAt
		}
		fmt.Fprintf(env.Stdout, "%d\t%s\tcreated %s\t%s\n", r.ID, r.Name, r.CreatedAt, state)
	}
	return nil
}

func runCommunityList(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("community list", flag.ContinueOnError)
	db := dbFlag(fs, env)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(fs, pos, nil); err != nil {
		return err
	}
	store, _, err := admin(ctx, *db, env)
	if err != nil {
		return err
	}
	defer store.Close()
	cms, err := store.FindCommunities(ctx)
	if err != nil {
		return err
	}
	type row struct {
		ID        int64  `json:"id"`
		Name      string `json:"name"`
		ClientID  string `json:"clientId"`
		CreatedAt string `json:"createdAt"`
	}
	rows := make([]row, len(cms))
	for i, cm := range cms {
		rows[i] = row{ID: cm.ID, Name: cm.Name, ClientID: cm.ClientID, CreatedAt: cm.CreatedAt.UTC().Format(time.RFC3339)}
	}
	if *asJSON {
		return printJSON(env.Stdout, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(env.Stderr, "No communities yet; create the first with: openboards community create NAME")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCLIENT ID\tCREATED")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.ID, r.Name, r.ClientID, r.CreatedAt)
	}
	return tw.Flush()
}

func runTeammateList(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("teammate list", flag.ContinueOnError)
	db := dbFlag(fs, env)
	cname := fs.String("community", "", "community name (required)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(fs, pos, nil, "community"); err != nil {
		return err
	}
	store, _, cm, err := adminOf(ctx, *db, *cname, env)
	if err != nil {
		return err
	}
	defer store.Close()
	team, err := store.FindTeammates(ctx, cm.ID, nil)
	if err != nil {
		return err
	}
	type row struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	rows := make([]row, len(team))
	for i, u := range team {
		rows[i] = row{ID: u.ID, Name: u.Name, Role: string(u.Role)}
		if u.Email != nil {
			rows[i].Email = *u.Email
		}
	}
	if *asJSON {
		return printJSON(env.Stdout, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(env.Stderr, "%s has no teammates yet; add one with: openboards teammate add --community %s --email E --name N --role admin\n", cm.Name, cm.Name)
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tE-MAIL\tROLE\tID")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Email, r.Role, r.ID)
	}
	return tw.Flush()
}

func runTeammateRemove(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("teammate remove", flag.ContinueOnError)
	db := dbFlag(fs, env)
	cname := fs.String("community", "", "community name (required)")
	email := fs.String("email", "", "the teammate's e-mail address (required)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(fs, pos, nil, "community", "email"); err != nil {
		return err
	}
	store, svc, cm, err := adminOf(ctx, *db, *cname, env)
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := svc.RemoveTeammate(ctx, cm, *email)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s <%s> is no longer a teammate of %s: signed out, password and groups removed; what they wrote stays\n", u.Name, *email, cm.Name)
	return nil
}

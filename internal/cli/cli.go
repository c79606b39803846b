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
	"strings"
	"time"

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

const usage = `Usage: openboards [command] [flags]

Commands:
  serve                 run the server (the default)
  migrate               apply database migrations
  community create NAME create a community and print its API credentials
  community rename OLD NEW
                        rename a community
  teammate add          add a teammate to a community
  teammate password     set a teammate's inbox password (read from standard input)
  token create          mint another refresh token for a community
  token revoke          revoke a refresh token
  token list            list a community's refresh tokens
  copy                  copy a SQLite installation to PostgreSQL

Every command takes --db DSN (a file path, sqlite:PATH or postgres://...; env OPENBOARDS_DB).
Run "openboards COMMAND -h" for a command's flags.
`

// Run runs the command named by args (without the program name).
func Run(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return runServe(ctx, args, env)
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return runServe(ctx, rest, env)
	case "migrate":
		return runMigrate(ctx, rest, env)
	case "community":
		if len(rest) > 0 && rest[0] == "create" {
			return runCommunityCreate(ctx, rest[1:], env)
		}
		if len(rest) > 0 && rest[0] == "rename" {
			return runCommunityRename(ctx, rest[1:], env)
		}
	case "teammate":
		if len(rest) > 0 && rest[0] == "add" {
			return runTeammateAdd(ctx, rest[1:], env)
		}
		if len(rest) > 0 && rest[0] == "password" {
			return runTeammatePassword(ctx, rest[1:], env)
		}
	case "token":
		if len(rest) > 0 {
			switch rest[0] {
			case "create":
				return runTokenCreate(ctx, rest[1:], env)
			case "revoke":
				return runTokenRevoke(ctx, rest[1:], env)
			case "list":
				return runTokenList(ctx, rest[1:], env)
			}
		}
	case "copy":
		return runCopy(ctx, rest, env)
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return nil
	}
	fmt.Fprint(env.Stderr, usage)
	return ErrUsage
}

// parse parses flags that may come before, between or after positional
// arguments, and returns the positionals. It refuses a value that the
// databases cannot store as it is (bytes that are not UTF-8, a NUL
// character), naming the flag or the argument.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, flag.ErrHelp
			}
			return nil, ErrUsage
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
	if len(pos) != 1 {
		fmt.Fprintln(env.Stderr, "usage: openboards community create NAME [--db DSN] [--json]")
		return ErrUsage
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
	if len(pos) != 2 {
		fmt.Fprintln(env.Stderr, "usage: openboards community rename OLD NEW [--db DSN]")
		return ErrUsage
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
	if len(pos) != 0 || *cname == "" {
		fmt.Fprintln(env.Stderr, "usage: openboards teammate add --community NAME --email E --name N --role ROLE [--group G] [--json]")
		return ErrUsage
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
	if len(pos) != 0 || *cname == "" || *email == "" {
		fmt.Fprintln(env.Stderr, "usage: openboards teammate password --community NAME --email E < password-file")
		return ErrUsage
	}
	// The password comes on standard input, never on the command line
	// where other users of the machine could read it.
	var password string
	if env.Stdin != nil {
		line, err := bufio.NewReader(io.LimitReader(env.Stdin, 4096)).ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("read the password from standard input: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	store, svc, cm, err := adminOf(ctx, *db, *cname, env)
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := svc.SetPassword(ctx, cm, *email, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Password set for %s <%s>; their other sessions are signed out\n", u.Name, *email)
	return nil
}

func tokenFlags(name string, env Env) (*flag.FlagSet, *string, *string, *bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs, dbFlag(fs, env), fs.String("community", "", "community name (required)"), fs.Bool("json", false, "print the result as JSON")
}

func runTokenCreate(ctx context.Context, args []string, env Env) error {
	fs, db, cname, asJSON := tokenFlags("token create", env)
	name := fs.String("name", "", "a name for the token, e.g. the integration using it (required)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *cname == "" {
		fmt.Fprintln(env.Stderr, "usage: openboards token create --community NAME --name TOKEN-NAME [--json]")
		return ErrUsage
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
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *cname == "" || *id <= 0 {
		fmt.Fprintln(env.Stderr, "usage: openboards token revoke --community NAME --id ID")
		return ErrUsage
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
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *cname == "" {
		fmt.Fprintln(env.Stderr, "usage: openboards token list --community NAME [--json]")
		return ErrUsage
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

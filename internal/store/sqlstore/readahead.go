package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"openboards/internal/openboards"
)

// Query is one statement of a batch: its text (placeholders already
// numbered for the dialect), its arguments and what to do with its rows.
type Query struct {
	SQL  string
	Args []any
	Scan func(Rows) error
}

// Rows is what Query.Scan reads: *sql.Rows, or a driver's own rows.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// BatchFunc sends queries to the database together, inside the
// transaction, and passes each one's rows to its Scan in order.
type BatchFunc func(ctx context.Context, queries []Query) error

// Querier is where a Tx runs its statements when the backend manages the
// transaction itself: a *sql.Conn and a way to begin the transaction on
// it, which every statement calls first.
type Querier interface {
	Begin(ctx context.Context) error
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// WithQuerier returns a Tx whose statements run on q, inside a
// transaction the caller began and ends. A non-nil batch makes ReadAhead
// fetch through it.
func (c *Conn) WithQuerier(q Querier, batch BatchFunc) *Tx {
	return &Tx{Conn: &Conn{db: c.db, q: q, d: c.d, ticket: c.ticket, cache: c.cache, retry: new(bool), batch: batch, ahead: &ahead{}}}
}

// ahead holds what a read-ahead fetched until the read it stands for.
type ahead struct {
	communityID int64
	user        *aheadUser
	fields      []*openboards.CustomField
	hasFields   bool
	tags        map[string]openboards.Tag // by name key; only those found
	tagNames    []string
	webhooks    []*openboards.Webhook
	hasWebhooks bool
}

type aheadUser struct {
	by, key string // "email" or "ci", and the normalized value
	u       *openboards.User
}

// ReadAhead fetches what r names in one batch when the backend sends
// batches, and does nothing otherwise.
func (c *Tx) ReadAhead(ctx context.Context, communityID int64, r openboards.ReadAhead) error {
	if c.batch == nil {
		return nil
	}
	a := &ahead{communityID: communityID}
	var qs []Query
	if r.UserEmail != "" || r.UserCustomIdentifier != "" {
		au := &aheadUser{by: "email", key: openboards.NormalizeEmail(r.UserEmail)}
		where := "email_key = ?"
		if r.UserEmail == "" {
			au.by, au.key, where = "ci", openboards.NormalizeCustomIdentifier(r.UserCustomIdentifier), "custom_identifier = ?"
		}
		qs = append(qs, Query{
			SQL:  c.rewrite(`SELECT ` + userColumns + ` FROM users WHERE community_id = ? AND ` + where),
			Args: []any{communityID, au.key},
			Scan: func(rows Rows) error {
				for rows.Next() {
					var s userScan
					if err := rows.Scan(s.dest()...); err != nil {
						return err
					}
					au.u = s.user(communityID)
				}
				a.user = au
				return rows.Err()
			},
		})
	}
	if r.CustomFields {
		qs = append(qs, Query{
			SQL:  c.rewrite(`SELECT ` + customFieldColumns + ` FROM custom_fields WHERE community_id = ? ORDER BY sort_order, id`),
			Args: []any{communityID},
			Scan: func(rows Rows) error {
				a.fields = []*openboards.CustomField{}
				for rows.Next() {
					f, err := scanCustomField(rows, communityID)
					if err != nil {
						return err
					}
					a.fields = append(a.fields, f)
				}
				a.hasFields = true
				return rows.Err()
			},
		})
	}
	if len(r.Tags) > 0 {
		keys := make([]string, len(r.Tags))
		for i, n := range r.Tags {
			keys[i] = openboards.NormalizeEmail(n)
		}
		qs = append(qs, Query{
			SQL:  c.rewrite(`SELECT id, name, name_key FROM tags WHERE community_id = ? AND name_key IN (` + c.d.TextList + `)`),
			Args: []any{communityID, jsonText(keys)},
			Scan: func(rows Rows) error {
				found := map[string]openboards.Tag{}
				for rows.Next() {
					t := openboards.Tag{CommunityID: communityID}
					var key string
					if err := rows.Scan(&t.ID, &t.Name, &key); err != nil {
						return err
					}
					found[key] = t
				}
				a.tags, a.tagNames = found, r.Tags
				return rows.Err()
			},
		})
	}
	if r.Webhooks {
		qs = append(qs, Query{
			SQL:  c.rewrite(`SELECT ` + webhookColumns + ` FROM webhooks WHERE community_id = ? ORDER BY id`),
			Args: []any{communityID},
			Scan: func(rows Rows) error {
				a.webhooks = []*openboards.Webhook{}
				for rows.Next() {
					w, err := scanWebhook(rows)
					if err != nil {
						return err
					}
					a.webhooks = append(a.webhooks, w)
				}
				a.hasWebhooks = true
				return rows.Err()
			},
		})
	}
	if len(qs) == 0 {
		return nil
	}
	if err := c.batch(ctx, qs); err != nil {
		return c.interpret(err, "read ahead", "")
	}
	*c.ahead = *a
	return nil
}

// aheadUser returns, once, the read-ahead answer to a user lookup by
// email or custom identifier ("email", "ci") of the normalized key.
func (c *Conn) aheadUser(communityID int64, by, key string) (*openboards.User, bool) {
	a := c.ahead
	if a == nil || a.user == nil || a.communityID != communityID || a.user.by != by || a.user.key != key {
		return nil, false
	}
	u := a.user.u
	a.user = nil
	return u, true
}

func (c *Conn) aheadFields(communityID int64) ([]*openboards.CustomField, bool) {
	a := c.ahead
	if a == nil || !a.hasFields || a.communityID != communityID {
		return nil, false
	}
	f := a.fields
	a.fields, a.hasFields = nil, false
	return f, true
}

func (c *Conn) aheadWebhooks(communityID int64) ([]*openboards.Webhook, bool) {
	a := c.ahead
	if a == nil || !a.hasWebhooks || a.communityID != communityID {
		return nil, false
	}
	w := a.webhooks
	a.webhooks, a.hasWebhooks = nil, false
	return w, true
}

// aheadTags returns, once, the tags of names when the read-ahead found
// every one of them.
func (c *Conn) aheadTags(communityID int64, names []string) ([]openboards.Tag, bool) {
	a := c.ahead
	if a == nil || a.tags == nil || a.communityID != communityID || len(names) != len(a.tagNames) {
		return nil, false
	}
	found := a.tags
	a.tags, a.tagNames = nil, nil
	out := make([]openboards.Tag, 0, len(names))
	for _, n := range names {
		t, ok := found[openboards.NormalizeEmail(n)]
		if !ok {
			return nil, false
		}
		out = append(out, t)
	}
	return out, true
}

// aheadFound is a read-ahead user lookup's answer: the user, or not found
// with the message the lookup itself gives.
func aheadFound(u *openboards.User, notFound string, args ...any) (*openboards.User, error) {
	if u == nil {
		return nil, openboards.Errorf(openboards.CodeNotFound, notFound, args...)
	}
	return u, nil
}

// forget drops what the read-ahead fetched from the table that query
// writes, if it writes one, so that reads after a write see the write.
func (a *ahead) forget(query string) {
	var table string
	f := strings.Fields(query[:min(len(query), 64)])
	switch {
	case len(f) >= 3 && strings.EqualFold(f[0], "INSERT") && strings.EqualFold(f[1], "INTO"),
		len(f) >= 3 && strings.EqualFold(f[0], "DELETE") && strings.EqualFold(f[1], "FROM"):
		table = f[2]
	case len(f) >= 2 && strings.EqualFold(f[0], "UPDATE"):
		table = f[1]
	default:
		return
	}
	switch strings.ToLower(strings.TrimRight(table, "(")) {
	case "users":
		a.user = nil
	case "custom_fields":
		a.fields, a.hasFields = nil, false
	case "tags":
		a.tags, a.tagNames = nil, nil
	case "webhooks":
		a.webhooks, a.hasWebhooks = nil, false
	}
}

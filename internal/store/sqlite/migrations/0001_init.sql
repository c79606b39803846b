-- Times are INTEGER nanoseconds since the Unix epoch, UTC: they sort and
-- compare as numbers and keep the 100 ns precision the API prints.
-- Tables whose rows can be deleted use AUTOINCREMENT so that an id is never
-- handed out twice: clients and webhook consumers keep ids.
-- List-valued columns that are never filtered on (attachments, cc, tags as
-- shown on a ticket) are JSON text.

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE communities (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL,
	name_key    TEXT NOT NULL UNIQUE,
	client_id   TEXT NOT NULL UNIQUE,
	api_user_id TEXT NOT NULL,
	created_at  INTEGER NOT NULL
);

CREATE TABLE refresh_tokens (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	community_id INTEGER NOT NULL REFERENCES communities (id),
	name         TEXT NOT NULL,
	token_hash   BLOB NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	revoked_at   INTEGER
);
CREATE INDEX refresh_tokens_community ON refresh_tokens (community_id, id);

CREATE TABLE users (
	id                TEXT PRIMARY KEY,
	community_id      INTEGER NOT NULL REFERENCES communities (id),
	name              TEXT NOT NULL,
	email             TEXT,
	email_key         TEXT,
	custom_identifier TEXT,
	image             TEXT,
	phone_number      TEXT,
	is_bot            INTEGER NOT NULL DEFAULT 0,
	status            TEXT NOT NULL,
	role              TEXT,
	created_at        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX users_email ON users (community_id, email_key) WHERE email_key IS NOT NULL;
CREATE UNIQUE INDEX users_custom_identifier ON users (community_id, custom_identifier) WHERE custom_identifier IS NOT NULL;
CREATE INDEX users_team ON users (community_id, status, name);

CREATE TABLE user_groups (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	community_id INTEGER NOT NULL REFERENCES communities (id),
	name         TEXT NOT NULL,
	name_key     TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	UNIQUE (community_id, name_key)
);

CREATE TABLE user_group_members (
	group_id INTEGER NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
	user_id  TEXT NOT NULL REFERENCES users (id),
	PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;

CREATE TABLE categories (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	community_id  INTEGER NOT NULL REFERENCES communities (id),
	parent_id     INTEGER REFERENCES categories (id),
	name          TEXT NOT NULL,
	auto_archive  INTEGER NOT NULL DEFAULT 0,
	can_be_chosen INTEGER NOT NULL DEFAULT 1,
	is_hidden     INTEGER NOT NULL DEFAULT 0,
	is_muted      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX categories_community ON categories (community_id, parent_id);

CREATE TABLE custom_fields (
	id                    INTEGER PRIMARY KEY AUTOINCREMENT,
	community_id          INTEGER NOT NULL REFERENCES communities (id),
	name                  TEXT NOT NULL,
	type                  TEXT NOT NULL,
	sort_order            INTEGER NOT NULL DEFAULT 0,
	placeholder           TEXT,
	default_value         TEXT,
	is_hidden             INTEGER NOT NULL DEFAULT 0,
	is_required           INTEGER NOT NULL DEFAULT 0,
	is_sensitive_data     INTEGER NOT NULL DEFAULT 0,
	possible_values       TEXT NOT NULL DEFAULT '[]',
	assigned_category_ids TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX custom_fields_community ON custom_fields (community_id, sort_order, id);

CREATE TABLE tags (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	community_id INTEGER NOT NULL REFERENCES communities (id),
	name         TEXT NOT NULL,
	name_key     TEXT NOT NULL,
	UNIQUE (community_id, name_key)
);

CREATE TABLE tickets (
	id               INTEGER PRIMARY KEY,
	community_id     INTEGER NOT NULL REFERENCES communities (id),
	title            TEXT NOT NULL,
	message          TEXT NOT NULL,
	html_message     TEXT NOT NULL,
	author_id        TEXT NOT NULL REFERENCES users (id),
	category_id      INTEGER REFERENCES categories (id),
	assignee_id      TEXT REFERENCES users (id),
	status           TEXT NOT NULL,
	sentiment        TEXT,
	source           TEXT NOT NULL,
	detailed_source  TEXT NOT NULL,
	source_name      TEXT,
	original_link    TEXT,
	cc               TEXT NOT NULL DEFAULT '[]',
	tags             TEXT NOT NULL DEFAULT '[]',
	attachments      TEXT NOT NULL DEFAULT '[]',
	reply_count      INTEGER NOT NULL DEFAULT 0,
	is_muted         INTEGER NOT NULL DEFAULT 0,
	is_spam          INTEGER NOT NULL DEFAULT 0,
	is_hidden        INTEGER NOT NULL DEFAULT 0,
	is_deleted       INTEGER NOT NULL DEFAULT 0,
	is_anonymized    INTEGER NOT NULL DEFAULT 0,
	is_sensitive     INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	last_activity_at INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL
);
CREATE INDEX tickets_activity ON tickets (community_id, last_activity_at, id);
CREATE INDEX tickets_created ON tickets (community_id, created_at, id);
CREATE INDEX tickets_status ON tickets (community_id, status, last_activity_at, id);
CREATE INDEX tickets_category ON tickets (community_id, category_id, last_activity_at, id);

CREATE TABLE ticket_field_values (
	ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	field_id  INTEGER NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
	value     TEXT NOT NULL,
	PRIMARY KEY (ticket_id, field_id)
) WITHOUT ROWID;
CREATE INDEX ticket_field_values_lookup ON ticket_field_values (field_id, value, ticket_id);

CREATE TABLE replies (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	ticket_id       INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	community_id    INTEGER NOT NULL REFERENCES communities (id),
	author_id       TEXT NOT NULL REFERENCES users (id),
	parent_reply_id INTEGER REFERENCES replies (id) ON DELETE SET NULL,
	level           INTEGER NOT NULL DEFAULT 0,
	message         TEXT NOT NULL,
	html_message    TEXT NOT NULL,
	is_by_team      INTEGER NOT NULL DEFAULT 0,
	is_draft        INTEGER NOT NULL DEFAULT 0,
	is_hidden       INTEGER NOT NULL DEFAULT 0,
	tags            TEXT NOT NULL DEFAULT '[]',
	attachments     TEXT NOT NULL DEFAULT '[]',
	cc_emails       TEXT NOT NULL DEFAULT '[]',
	to_emails       TEXT NOT NULL DEFAULT '[]',
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE INDEX replies_ticket ON replies (ticket_id, id);
CREATE INDEX replies_drafts ON replies (ticket_id) WHERE is_draft;
CREATE INDEX replies_parent ON replies (parent_reply_id) WHERE parent_reply_id IS NOT NULL;

CREATE TABLE notes (
	id                 INTEGER PRIMARY KEY AUTOINCREMENT,
	ticket_id          INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	community_id       INTEGER NOT NULL REFERENCES communities (id),
	author_id          TEXT NOT NULL REFERENCES users (id),
	message            TEXT NOT NULL,
	html_message       TEXT,
	attachments        TEXT NOT NULL DEFAULT '[]',
	mentioned_user_ids TEXT NOT NULL DEFAULT '[]',
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL
);
CREATE INDEX notes_ticket ON notes (ticket_id, id);

CREATE TABLE ticket_log (
	id            INTEGER PRIMARY KEY,
	ticket_id     INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	community_id  INTEGER NOT NULL REFERENCES communities (id),
	user_id       TEXT NOT NULL REFERENCES users (id),
	action_type   TEXT NOT NULL,
	action_string TEXT NOT NULL,
	included      TEXT NOT NULL,
	created_at    INTEGER NOT NULL
);
CREATE INDEX ticket_log_ticket ON ticket_log (ticket_id, id);

CREATE TABLE widgets (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	community_id INTEGER NOT NULL REFERENCES communities (id),
	time_period  INTEGER NOT NULL,
	times        TEXT,
	custom_times TEXT
);
CREATE INDEX widgets_community ON widgets (community_id, id);

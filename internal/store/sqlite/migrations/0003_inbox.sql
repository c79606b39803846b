-- Inbox sign-in: teammates' password hashes and their sessions.

CREATE TABLE user_passwords (
	user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	hash       TEXT NOT NULL,
	updated_at INTEGER NOT NULL
);

CREATE TABLE sessions (
	hash         BLOB PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	community_id INTEGER NOT NULL REFERENCES communities (id),
	csrf         TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

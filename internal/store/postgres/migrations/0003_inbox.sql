-- Inbox sign-in: teammates' password hashes and their sessions.

CREATE TABLE user_passwords (
	user_id    text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	hash       text NOT NULL,
	updated_at bigint NOT NULL
);

CREATE TABLE sessions (
	hash         bytea PRIMARY KEY,
	user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	community_id bigint NOT NULL REFERENCES communities (id),
	csrf         text NOT NULL,
	created_at   bigint NOT NULL,
	last_seen_at bigint NOT NULL,
	expires_at   bigint NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

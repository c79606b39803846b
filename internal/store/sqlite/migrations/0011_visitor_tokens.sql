-- The tokens that let a website visitor's browser follow the one
-- conversation it opened through a widget: only their SHA-256 is kept.
CREATE TABLE visitor_tokens (
	token_hash   TEXT PRIMARY KEY,
	community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	widget_id    INTEGER NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
	ticket_id    INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	created_at   INTEGER NOT NULL
);
CREATE INDEX visitor_tokens_ticket ON visitor_tokens (ticket_id);

-- The tokens that let a website visitor's browser follow the one
-- conversation it opened through a widget: only their SHA-256 is kept.
CREATE TABLE visitor_tokens (
	token_hash   text PRIMARY KEY,
	community_id bigint NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	widget_id    bigint NOT NULL REFERENCES widgets (id) ON DELETE CASCADE,
	ticket_id    bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	created_at   bigint NOT NULL
);
CREATE INDEX visitor_tokens_ticket ON visitor_tokens (ticket_id);

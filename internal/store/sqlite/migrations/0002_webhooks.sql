-- Webhook endpoints, the events they are sent, and every delivery attempt.

CREATE TABLE webhooks (
	id                    INTEGER PRIMARY KEY,
	community_id          INTEGER NOT NULL REFERENCES communities (id),
	url                   TEXT NOT NULL,
	verify_token          TEXT NOT NULL,
	events                TEXT NOT NULL DEFAULT '[]',
	status                TEXT NOT NULL,
	disabled_reason       TEXT NOT NULL DEFAULT '',
	disabled_at           INTEGER,
	secret                TEXT NOT NULL,
	previous_secret       TEXT NOT NULL DEFAULT '',
	previous_secret_until INTEGER,
	failing_since         INTEGER,
	created_at            INTEGER NOT NULL,
	updated_at            INTEGER NOT NULL
);
CREATE INDEX webhooks_community ON webhooks (community_id, id);

-- The outbox: each change that raises an event adds a row here, with its
-- rendered body, in the transaction that makes the change.
CREATE TABLE webhook_events (
	id           INTEGER PRIMARY KEY,
	community_id INTEGER NOT NULL REFERENCES communities (id),
	ticket_id    INTEGER NOT NULL,
	type         TEXT NOT NULL,
	payload      TEXT NOT NULL,
	created_at   INTEGER NOT NULL
);
CREATE INDEX webhook_events_time ON webhook_events (community_id, created_at, id);
CREATE INDEX webhook_events_age ON webhook_events (created_at);

CREATE TABLE webhook_deliveries (
	id              INTEGER PRIMARY KEY,
	webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	event_id        INTEGER NOT NULL,
	ticket_id       INTEGER NOT NULL,
	event_type      TEXT NOT NULL,
	state           TEXT NOT NULL,
	attempt_count   INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	lease_owner     TEXT NOT NULL DEFAULT '',
	lease_until     INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,
	done_at         INTEGER
);
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_chain ON webhook_deliveries (webhook_id, ticket_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (done_at) WHERE done_at IS NOT NULL;

CREATE TABLE webhook_attempts (
	id          INTEGER PRIMARY KEY,
	delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
	webhook_id  INTEGER NOT NULL,
	at          INTEGER NOT NULL,
	duration_ns INTEGER NOT NULL,
	status_code INTEGER NOT NULL,
	error       TEXT NOT NULL,
	response    TEXT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

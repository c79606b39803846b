-- How a support widget looks and whom it serves: its texts and colour,
-- what it asks a visitor, the sites (origins) that may embed it, and the
-- secret that signs visitors' identities. A widget without a row has the
-- defaults.
CREATE TABLE widget_settings (
	widget_id            INTEGER PRIMARY KEY REFERENCES widgets (id) ON DELETE CASCADE,
	community_id         INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	name                 TEXT NOT NULL,
	greeting             TEXT NOT NULL,
	color                TEXT NOT NULL,
	offline_text         TEXT NOT NULL,
	ask_name             INTEGER NOT NULL DEFAULT 0,
	ask_email            INTEGER NOT NULL DEFAULT 0,
	allowed_origins      TEXT NOT NULL,
	identity_secret      TEXT NOT NULL,
	require_verification INTEGER NOT NULL DEFAULT 0,
	updated_at           INTEGER NOT NULL
);

-- How a support widget looks and whom it serves: its texts and colour,
-- what it asks a visitor, the sites (origins) that may embed it, and the
-- secret that signs visitors' identities. A widget without a row has the
-- defaults.
CREATE TABLE widget_settings (
	widget_id            bigint PRIMARY KEY REFERENCES widgets (id) ON DELETE CASCADE,
	community_id         bigint NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	name                 text NOT NULL,
	greeting             text NOT NULL,
	color                text NOT NULL,
	offline_text         text NOT NULL,
	ask_name             boolean NOT NULL DEFAULT false,
	ask_email            boolean NOT NULL DEFAULT false,
	allowed_origins      text NOT NULL,
	identity_secret      text NOT NULL,
	require_verification boolean NOT NULL DEFAULT false,
	updated_at           bigint NOT NULL
);

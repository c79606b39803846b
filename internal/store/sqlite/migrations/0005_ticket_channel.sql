-- The channel of the surface a ticket came through (a chat channel, say);
-- empty for the surfaces that have only one, as the Ticket API.
ALTER TABLE tickets ADD COLUMN channel TEXT NOT NULL DEFAULT '';

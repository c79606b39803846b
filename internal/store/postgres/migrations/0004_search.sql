-- Full-text search over ticket titles and messages, for the inbox: words
-- as they are written (the 'simple' configuration, no stemming), prefix
-- matched at query time.

CREATE INDEX tickets_text ON tickets USING gin (to_tsvector('simple', title || ' ' || message));

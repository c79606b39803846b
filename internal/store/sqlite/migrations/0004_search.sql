-- Full-text search over ticket titles and messages, for the inbox. The
-- index holds no copy of the text (content='tickets'); triggers keep it in
-- step with every insert, edit and delete.

CREATE VIRTUAL TABLE tickets_fts USING fts5(
	title, message, content = 'tickets', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO tickets_fts (tickets_fts) VALUES ('rebuild');

CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
	INSERT INTO tickets_fts (rowid, title, message) VALUES (new.id, new.title, new.message);
END;
CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
	INSERT INTO tickets_fts (tickets_fts, rowid, title, message) VALUES ('delete', old.id, old.title, old.message);
END;
CREATE TRIGGER tickets_fts_update AFTER UPDATE OF title, message ON tickets BEGIN
	INSERT INTO tickets_fts (tickets_fts, rowid, title, message) VALUES ('delete', old.id, old.title, old.message);
	INSERT INTO tickets_fts (rowid, title, message) VALUES (new.id, new.title, new.message);
END;

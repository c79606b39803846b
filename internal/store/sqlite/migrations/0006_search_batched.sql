-- Index new tickets once per group commit instead of once per ticket.
--
-- FTS5 writes its in-memory terms to disk as a new segment whenever a
-- savepoint opens, and every write in a group commit runs in a savepoint
-- of its own: indexing inside the insert trigger made one segment per
-- ticket and kept the index merging them. The insert trigger now only
-- notes the ticket in tickets_fts_pending; the store indexes the noted
-- tickets in the same transaction, after the batch's savepoints and before
-- its commit, so a batch becomes one segment and a search never sees a
-- committed ticket that is not indexed. The table is empty outside a
-- write transaction.
CREATE TABLE tickets_fts_pending (id INTEGER PRIMARY KEY);

DROP TRIGGER tickets_fts_insert;
CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
	INSERT OR IGNORE INTO tickets_fts_pending (id) VALUES (new.id);
END;

-- A ticket still pending has nothing in the index to remove: its row in
-- tickets_fts_pending is dropped, or left to be indexed with its new text.
DROP TRIGGER tickets_fts_delete;
CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets
WHEN NOT EXISTS (SELECT 1 FROM tickets_fts_pending WHERE id = old.id) BEGIN
	INSERT INTO tickets_fts (tickets_fts, rowid, title, message) VALUES ('delete', old.id, old.title, old.message);
END;
CREATE TRIGGER tickets_fts_delete_pending AFTER DELETE ON tickets
WHEN EXISTS (SELECT 1 FROM tickets_fts_pending WHERE id = old.id) BEGIN
	DELETE FROM tickets_fts_pending WHERE id = old.id;
END;

DROP TRIGGER tickets_fts_update;
CREATE TRIGGER tickets_fts_update AFTER UPDATE OF title, message ON tickets
WHEN NOT EXISTS (SELECT 1 FROM tickets_fts_pending WHERE id = old.id) BEGIN
	INSERT INTO tickets_fts (tickets_fts, rowid, title, message) VALUES ('delete', old.id, old.title, old.message);
	INSERT INTO tickets_fts (rowid, title, message) VALUES (new.id, new.title, new.message);
END;

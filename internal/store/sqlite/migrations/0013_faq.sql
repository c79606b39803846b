-- The knowledge base (FAQ): instances (help centres), their categories,
-- topics and tags, the topics' tags and the visitors' votes. Every row
-- carries its community, which every statement filters on. Deleting an
-- instance deletes everything in it, a category its topics, a topic its
-- tag links and votes.
--
-- The counters of categories (active_topic_count ... view_count) and of
-- topics (view_count, useful_count, not_useful_count) are kept by the
-- store in the transaction of each write that changes them.

CREATE TABLE faq_instances (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	community_id     INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	name             TEXT NOT NULL,
	default_language TEXT NOT NULL,
	languages        TEXT NOT NULL,
	is_published     INTEGER NOT NULL DEFAULT 0,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL
);
CREATE INDEX faq_instances_community ON faq_instances (community_id, id);

CREATE TABLE faq_categories (
	id                    INTEGER PRIMARY KEY AUTOINCREMENT,
	community_id          INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	instance_id           INTEGER NOT NULL REFERENCES faq_instances (id) ON DELETE CASCADE,
	title                 TEXT NOT NULL,
	description           TEXT NOT NULL,
	image_link            TEXT,
	is_published          INTEGER NOT NULL DEFAULT 0,
	is_sticky             INTEGER NOT NULL DEFAULT 0,
	position              INTEGER NOT NULL DEFAULT 0,
	language              TEXT NOT NULL,
	creator_id            TEXT NOT NULL,
	created_at            INTEGER NOT NULL,
	updated_at            INTEGER NOT NULL,
	active_topic_count    INTEGER NOT NULL DEFAULT 0,
	published_topic_count INTEGER NOT NULL DEFAULT 0,
	total_usefulness      INTEGER NOT NULL DEFAULT 0,
	view_count            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX faq_categories_instance ON faq_categories (community_id, instance_id, position, id);

CREATE TABLE faq_tags (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	instance_id  INTEGER NOT NULL REFERENCES faq_instances (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	name_key     TEXT NOT NULL,
	UNIQUE (instance_id, name_key)
);
CREATE INDEX faq_tags_community ON faq_tags (community_id, instance_id);

CREATE TABLE faq_topics (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	community_id      INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	instance_id       INTEGER NOT NULL REFERENCES faq_instances (id) ON DELETE CASCADE,
	category_id       INTEGER NOT NULL REFERENCES faq_categories (id) ON DELETE CASCADE,
	title             TEXT NOT NULL,
	content           TEXT NOT NULL,
	text              TEXT NOT NULL,
	banner_image_link TEXT,
	attachments       TEXT NOT NULL,
	is_published      INTEGER NOT NULL DEFAULT 0,
	is_sticky         INTEGER NOT NULL DEFAULT 0,
	language          TEXT NOT NULL,
	template_type     TEXT NOT NULL,
	creator_id        TEXT NOT NULL,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	view_count        INTEGER NOT NULL DEFAULT 0,
	useful_count      INTEGER NOT NULL DEFAULT 0,
	not_useful_count  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX faq_topics_instance ON faq_topics (community_id, instance_id, id);
CREATE INDEX faq_topics_category ON faq_topics (category_id);

CREATE TABLE faq_topic_tags (
	topic_id     INTEGER NOT NULL REFERENCES faq_topics (id) ON DELETE CASCADE,
	tag_id       INTEGER NOT NULL REFERENCES faq_tags (id) ON DELETE CASCADE,
	community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	PRIMARY KEY (topic_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX faq_topic_tags_tag ON faq_topic_tags (tag_id);

-- One vote per visitor and topic: a later vote replaces the row.
CREATE TABLE faq_votes (
	topic_id        INTEGER NOT NULL REFERENCES faq_topics (id) ON DELETE CASCADE,
	voter           TEXT NOT NULL,
	community_id    INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	is_useful       INTEGER NOT NULL,
	downvote_reason TEXT,
	comment         TEXT,
	created_at      INTEGER NOT NULL,
	PRIMARY KEY (topic_id, voter)
) WITHOUT ROWID;

-- Full-text search over topic titles and texts. The indexes hold no copy
-- of the text (content='faq_topics'); triggers keep them in step with
-- every insert, edit and delete, cascades included.
--
-- faq_topics_fts is the ranked search: the Porter stemmer folds English
-- word forms ("refunds", "refunding" find "refund"). FTS5 has no stemmer
-- for any other language, so topics in Danish, Norwegian, Swedish,
-- Finnish or German are matched on the words as written (the English
-- rules Porter applies to them strip a few endings, the same way in the
-- index and in the query, so no match is lost, but none is gained).
--
-- faq_topics_trigram indexes every three-letter sequence, so that a
-- search that finds nothing can look for topics with words spelt like the
-- searched ones (a typo fallback).
CREATE VIRTUAL TABLE faq_topics_fts USING fts5(
	title, text, content = 'faq_topics', content_rowid = 'id', tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE faq_topics_trigram USING fts5(
	title, text, content = 'faq_topics', content_rowid = 'id', tokenize = 'trigram remove_diacritics 1'
);

CREATE TRIGGER faq_topics_fts_insert AFTER INSERT ON faq_topics BEGIN
	INSERT INTO faq_topics_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
	INSERT INTO faq_topics_trigram (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER faq_topics_fts_delete AFTER DELETE ON faq_topics BEGIN
	INSERT INTO faq_topics_fts (faq_topics_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
	INSERT INTO faq_topics_trigram (faq_topics_trigram, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER faq_topics_fts_update AFTER UPDATE OF title, text ON faq_topics BEGIN
	INSERT INTO faq_topics_fts (faq_topics_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
	INSERT INTO faq_topics_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
	INSERT INTO faq_topics_trigram (faq_topics_trigram, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
	INSERT INTO faq_topics_trigram (rowid, title, text) VALUES (new.id, new.title, new.text);
END;

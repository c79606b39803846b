-- The chat state of a ticket that is a conversation (source chat): the
-- pages the client was on, whether a bot holds it, the client's feedback
-- (NULL until given) and its place in the community's queue. Its messages
-- are the ticket's replies.
--
-- queue_seq is the conversation's place in line, taken from
-- chat_queues.last_seq when it first waits and kept after (it is 0 until
-- then); queued says it waits now. queue_tree counts the waiting
-- conversations by place in a Fenwick tree, so a position is a sum of at
-- most 32 rows whatever the length of the queue.
CREATE TABLE conversations (
	ticket_id          INTEGER PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
	community_id       INTEGER NOT NULL REFERENCES communities (id),
	initial_page_url   TEXT,
	latest_page_url    TEXT,
	is_assigned_to_bot INTEGER NOT NULL DEFAULT 0,
	feedback_positive  INTEGER,
	feedback_text      TEXT,
	queue_seq          INTEGER NOT NULL DEFAULT 0,
	queued             INTEGER NOT NULL DEFAULT 0,
	queued_at          INTEGER,
	handled_at         INTEGER,
	closed_at          INTEGER,
	updated_at         INTEGER NOT NULL
);
CREATE INDEX conversations_queue ON conversations (community_id, queue_seq) WHERE queued;
CREATE INDEX conversations_closed ON conversations (community_id, closed_at) WHERE closed_at IS NOT NULL;

CREATE TABLE chat_queues (
	community_id INTEGER PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
	last_seq     INTEGER NOT NULL
);

CREATE TABLE chat_queue_tree (
	community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	node         INTEGER NOT NULL,
	n            INTEGER NOT NULL,
	PRIMARY KEY (community_id, node)
) WITHOUT ROWID;

-- The ids clients gave their messages, so that a retried request adds
-- nothing twice.
CREATE TABLE chat_message_keys (
	ticket_id  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
	client_key TEXT NOT NULL,
	reply_id   INTEGER NOT NULL REFERENCES replies (id) ON DELETE CASCADE,
	PRIMARY KEY (ticket_id, client_key)
) WITHOUT ROWID;

-- Teammates' replies to closed conversations, which go to the client by
-- e-mail; sent_at is set once they have gone.
CREATE TABLE reply_mails (
	reply_id     INTEGER PRIMARY KEY REFERENCES replies (id) ON DELETE CASCADE,
	community_id INTEGER NOT NULL REFERENCES communities (id),
	ticket_id    INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	sent_at      INTEGER
);
CREATE INDEX reply_mails_unsent ON reply_mails (community_id, created_at) WHERE sent_at IS NULL;

-- Whether teammates are there for live chat, and how many conversations
-- each takes at once.
CREATE TABLE chat_presence (
	community_id INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	status       TEXT NOT NULL,
	capacity     INTEGER NOT NULL,
	seen_at      INTEGER NOT NULL,
	PRIMARY KEY (community_id, user_id)
);

-- A conversation's messages in the order of their (client-given) times.
CREATE INDEX replies_ticket_time ON replies (ticket_id, created_at, id);

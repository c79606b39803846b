-- How a community's waiting conversations reach teammates: taken from
-- the queue by hand (the default), or assigned automatically to the
-- teammates online with room, the one with the most room first and, among
-- equals, the one assigned longest ago.
CREATE TABLE chat_settings (
	community_id INTEGER PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
	auto_assign  INTEGER NOT NULL DEFAULT 0
);

-- When a conversation was last assigned to the teammate automatically.
ALTER TABLE chat_presence ADD COLUMN last_assigned_at INTEGER;

-- The conversations each teammate holds (open or pending, assigned to
-- them), counted for the chat desk, wait estimates and taking the next
-- conversation.
CREATE INDEX tickets_chat_load ON tickets (community_id, assignee_id) WHERE source = 'chat' AND status IN ('open', 'pending');

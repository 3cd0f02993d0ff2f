-- Operator takeover and dispatch (issue 15).
-- The id Chat2Desk gave each message the bot sent: its `outbox` hook echoes it, and the bot must know its own echo
-- from an operator's message (which pauses the bot).
ALTER TABLE outbox ADD COLUMN provider_message_id text;
CREATE INDEX idx_outbox_provider_message_id ON outbox (channel, provider_message_id) WHERE provider_message_id IS NOT NULL;

-- Operator tools (botctl status/stats/dlq, the /ops/ dashboard).
-- An operator may discard one dead outbound send: it stays as a record, no longer counted as dead.
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'sent', 'dead', 'discarded'));
-- Rates and funnels read recent rows by time: messages handled per bot, replies sent per channel, lead events.
CREATE INDEX idx_message_logs_source_timestamp ON message_logs (source, "timestamp");
CREATE INDEX idx_outbox_sent_at ON outbox (channel, sent_at) WHERE status = 'sent';
CREATE INDEX idx_lead_events_event_created_at ON lead_events (event, created_at);

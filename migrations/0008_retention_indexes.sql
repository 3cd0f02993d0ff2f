-- cron-prune (Storage/Retention.swift) removes expired rows in batches of RETENTION_BATCH_SIZE: each batch finds
-- the oldest expired rows through one of these partial indexes instead of scanning the table.
CREATE INDEX idx_message_logs_text_timestamp ON message_logs ("timestamp") WHERE text <> '';
CREATE INDEX idx_outbox_sent_at_retention ON outbox (sent_at) WHERE status = 'sent';
CREATE INDEX idx_outbox_dead_created_at ON outbox (created_at) WHERE status IN ('dead', 'discarded');
CREATE INDEX idx_scheduled_jobs_finished_at ON scheduled_jobs (finished_at) WHERE status <> 'pending';
CREATE INDEX idx_lead_events_created_at ON lead_events (created_at);

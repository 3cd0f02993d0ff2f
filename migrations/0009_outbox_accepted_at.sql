-- When the webhook a reply answers was accepted, so the reply-latency histogram of /metrics can measure
-- webhook accepted → reply accepted by the provider (NULL for rows written before, and where unknown).
ALTER TABLE outbox ADD COLUMN accepted_at timestamptz;

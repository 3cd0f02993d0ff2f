-- Outbound sends that must not be lost: written in the same transaction as the dialog step that
-- produced them, sent in order per conversation, retried by the outbox job, then dead-lettered.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    channel         text        NOT NULL,                 -- 'chat2desk', later 'telegram', 'resend', ...
    conversation    text        NOT NULL,                 -- per-conversation order is kept within a channel
    source_key      text        NOT NULL UNIQUE,          -- deterministic: re-running a step never adds a second copy
    payload         jsonb       NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX idx_outbox_pending ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX idx_outbox_conversation ON outbox (channel, conversation, id) WHERE status = 'pending';

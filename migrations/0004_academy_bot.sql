-- The Academy Telegram bot: one dialog state per Telegram user. Kept in PostgreSQL (not Redis) so a
-- step's state, lead changes, scheduled reminders and replies (outbox rows) commit together, and so a
-- booked lesson's state lives as long as the lesson does.
CREATE TABLE academy_sessions (
    tg_id      bigint PRIMARY KEY,
    chat_id    bigint      NOT NULL,
    state      jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_leads_tg_chat ON leads (tg_chat_id) WHERE tg_chat_id IS NOT NULL;
CREATE INDEX idx_leads_link_token ON leads (link_token);

-- Academy: leads (the CRM's source of truth; Google Sheets is a mirror), their history, and the
-- durable delayed jobs (email chain, call alerts, lesson reminders).

CREATE TABLE leads (
    id                bigserial PRIMARY KEY,
    name              text        NOT NULL DEFAULT '',
    phone             text,                                   -- normalised: '+' and 10-15 digits
    email             text,                                   -- normalised: trimmed, lower case
    child_age         text,
    -- The /start payload in the emails' bot link (`lead_<token>`): unguessable, unlike the serial id.
    link_token        text        NOT NULL UNIQUE DEFAULT replace(gen_random_uuid()::text, '-', ''),
    tg_id             bigint UNIQUE,                          -- Telegram user id once the parent opened the bot
    tg_chat_id        bigint,
    tg_blocked        boolean     NOT NULL DEFAULT false,     -- the user blocked the bot: stop messaging
    language          text        NOT NULL DEFAULT 'ru',
    source            text        NOT NULL CHECK (source IN ('tilda', 'direct_bot')),
    status            text        NOT NULL DEFAULT 'NEW'
                      CHECK (status IN ('NEW', 'REGISTERED', 'SCHEDULED', 'CANCELLED', 'COMPLETED')),
    bot_activated     boolean     NOT NULL DEFAULT false,
    tilda_tranid      text,                                   -- the first submission's; every one is in lead_events
    tilda_formid      text,
    lesson_at         timestamptz,
    lesson_date       text,                                   -- as shown to the parent, in the academy's time zone
    lesson_time       text,
    zoom_link         text,
    zoom_meeting_id   text,
    calendar_event_id text,
    email_1_sent      boolean     NOT NULL DEFAULT false,
    email_2_sent      boolean     NOT NULL DEFAULT false,
    call_alert_sent   boolean     NOT NULL DEFAULT false,
    -- Sheets mirror bookkeeping: `version` grows with every change of the lead itself (trigger below);
    -- sheets-sync pushes leads whose version is ahead of `sheet_synced_version`.
    version              bigint  NOT NULL DEFAULT 1,
    sheet_synced_version bigint  NOT NULL DEFAULT 0,
    sheet_row            integer,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (phone IS NULL OR phone ~ '^\+[0-9]{10,15}$'),
    CHECK (email IS NULL OR (email = lower(email) AND email LIKE '%_@_%'))
);
CREATE UNIQUE INDEX idx_leads_email ON leads (email) WHERE email IS NOT NULL;
CREATE INDEX idx_leads_phone ON leads (phone) WHERE phone IS NOT NULL;
CREATE INDEX idx_leads_status ON leads (status);
CREATE INDEX idx_leads_unsynced ON leads (id) WHERE version > sheet_synced_version;

-- Any change to a lead's own columns bumps its version; the mirror's bookkeeping does not.
CREATE FUNCTION leads_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.sheet_synced_version IS NOT DISTINCT FROM OLD.sheet_synced_version
       AND NEW.sheet_row IS NOT DISTINCT FROM OLD.sheet_row THEN
        NEW.version := OLD.version + 1;
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER leads_touch BEFORE UPDATE ON leads FOR EACH ROW EXECUTE FUNCTION leads_touch();

-- The per-lead history (the seed's appendLog): what happened, when, from where.
CREATE TABLE lead_events (
    id         bigserial PRIMARY KEY,
    lead_id    bigint      NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    event      text        NOT NULL,                      -- TILDA_SUBMITTED, EMAIL_1_SENT, BOT_ACTIVATED, ...
    detail     jsonb       NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_lead_events_lead ON lead_events (lead_id, id);
-- A Tilda submission is recorded once: a replayed queue message finds its tranid here.
CREATE UNIQUE INDEX idx_lead_events_tranid ON lead_events ((detail ->> 'tranid')) WHERE event = 'TILDA_SUBMITTED';

-- Delayed work. The id is deterministic ('email1/42', 'remind24h/42/<lesson>'), so scheduling is
-- idempotent and a job can be cancelled by name. A claim sets `locked_until` (a lease): a job whose
-- runner died becomes due again when the lease passes.
CREATE TABLE scheduled_jobs (
    id           text        PRIMARY KEY,
    kind         text        NOT NULL,
    payload      jsonb       NOT NULL DEFAULT '{}',
    run_at       timestamptz NOT NULL,
    status       text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'cancelled', 'dead')),
    attempts     integer     NOT NULL DEFAULT 0,
    locked_until timestamptz,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX idx_scheduled_jobs_due ON scheduled_jobs (run_at) WHERE status = 'pending';

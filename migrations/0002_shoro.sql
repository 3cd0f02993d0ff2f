-- Shoro water-delivery orders from Chat2Desk.
CREATE TABLE orders (
    id                  bigserial PRIMARY KEY,
    client_phone        text        NOT NULL CHECK (client_phone ~ '^\+996[0-9]{9}$'),
    delivery_address    text        NOT NULL CHECK (char_length(delivery_address) BETWEEN 5 AND 200),
    bottles_count       integer     NOT NULL CHECK (bottles_count BETWEEN 1 AND 50),
    source              text        NOT NULL DEFAULT 'chat2desk',
    chat2desk_client_id text,
    status              text        NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'confirmed', 'delivered', 'cancelled')),
    idempotency_key     text        NOT NULL UNIQUE,      -- source:client:dialog: a re-run step never orders twice
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_orders_created_at ON orders (created_at);
CREATE INDEX idx_orders_status ON orders (status);
CREATE INDEX idx_orders_chat2desk_client_id ON orders (chat2desk_client_id);

-- Every inbound message, with the dialog state it was handled in and whether that worked.
CREATE TABLE message_logs (
    id           bigserial PRIMARY KEY,
    source       text        NOT NULL DEFAULT 'chat2desk',
    client_id    text        NOT NULL,
    message_id   text        NOT NULL,
    text         text        NOT NULL DEFAULT '',
    dialog_state text,
    success      boolean     NOT NULL,
    error_reason text,
    "timestamp"  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, message_id)
);
CREATE INDEX idx_message_logs_client ON message_logs (client_id, "timestamp");

-- How each dialog ended: completed, cancelled or expired, and where customers drop off.
CREATE TABLE dialog_outcomes (
    id               bigserial PRIMARY KEY,
    source           text        NOT NULL DEFAULT 'chat2desk',
    client_id        text        NOT NULL,
    dialog_id        text        NOT NULL,
    outcome          text        NOT NULL CHECK (outcome IN ('completed', 'cancelled', 'expired')),
    completed        boolean     NOT NULL,
    dropoff_state    text,
    total_messages   integer     NOT NULL,
    duration_seconds integer     NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, dialog_id, outcome, total_messages)
);
CREATE INDEX idx_dialog_outcomes_created_at ON dialog_outcomes (created_at);

-- The current dialog per client. Kept in PostgreSQL, not Redis, so the state change, the order and
-- the replies of one step commit together: a drainer killed mid-step leaves all or nothing.
CREATE TABLE shoro_dialogs (
    client_id  text PRIMARY KEY,
    dialog     jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_shoro_dialogs_updated_at ON shoro_dialogs (updated_at);

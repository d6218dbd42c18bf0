-- Webhook subscriptions, the ids of the events already fanned out, and the deliveries: a
-- durable queue that dispatchers lease with FOR UPDATE SKIP LOCKED.

-- +goose Up
CREATE TABLE webhooks (
    seq         bigserial PRIMARY KEY,
    id          text COLLATE "C" NOT NULL UNIQUE,
    url         text NOT NULL,
    event_types text[] NOT NULL,
    description text NOT NULL,
    disabled    boolean NOT NULL,
    secret      bytea NOT NULL,
    created_by  text NOT NULL,
    create_time timestamptz NOT NULL,
    update_time timestamptz NOT NULL
);

-- One row per event id fanned out: a relay that sends a batch again adds nothing.
CREATE TABLE received_events (
    event_id     text COLLATE "C" PRIMARY KEY,
    receive_time timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deliveries (
    seq               bigserial PRIMARY KEY,
    id                text COLLATE "C" NOT NULL UNIQUE,
    webhook_id        text COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id          text COLLATE "C" NOT NULL,
    event_type        text NOT NULL,
    subject           text COLLATE "C" NOT NULL,
    body              bytea NOT NULL,
    status            text NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
    attempts          integer NOT NULL,
    last_status_code  integer NOT NULL,
    last_error        text NOT NULL,
    next_attempt_time timestamptz,
    retry_until       timestamptz NOT NULL,
    create_time       timestamptz NOT NULL,
    update_time       timestamptz NOT NULL
);
-- The delivery log of a subscription, newest first.
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, seq);
-- Claim: the due pending deliveries, and the earlier pending ones of a subject.
CREATE INDEX deliveries_due ON deliveries (next_attempt_time, seq) WHERE status = 'PENDING';
CREATE INDEX deliveries_subject ON deliveries (webhook_id, subject, seq) WHERE status = 'PENDING';

-- +goose Down
DROP TABLE deliveries;
DROP TABLE received_events;
DROP TABLE webhooks;

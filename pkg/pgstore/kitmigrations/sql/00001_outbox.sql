-- The transactional outbox: a service appends one row per (event, sink) in the same
-- transaction as its state change; the relay delivers rows in seq order and deletes them once
-- the sink has them. See package outbox/pgoutbox for why there is no delivery cursor.

-- +goose Up
CREATE TABLE outbox (
    seq        bigserial   PRIMARY KEY,
    sink       text        NOT NULL CHECK (sink <> ''),
    event_id   text        NOT NULL,
    payload    bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (sink, event_id)
);

CREATE INDEX outbox_sink_seq_idx ON outbox (sink, seq);

-- Event ids a receiver has applied, recorded in the transaction that applies them, so that a
-- redelivered event is recognised and skipped.
CREATE TABLE processed_events (
    event_id     text        PRIMARY KEY,
    processed_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE processed_events;
DROP TABLE outbox;

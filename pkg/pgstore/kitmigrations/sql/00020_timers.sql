-- Durable timers (package timer/pgtimer): a service sets a timer in the transaction of the
-- state change that needs it; a runner takes the due ones with FOR UPDATE SKIP LOCKED and
-- deletes each in the transaction that does its work. Setting a key again replaces it.

-- +goose Up
CREATE TABLE timers (
    key        text        PRIMARY KEY CHECK (key <> ''),
    kind       text        NOT NULL CHECK (kind <> ''),
    fire_at    timestamptz NOT NULL,
    payload    bytea       NOT NULL DEFAULT '',
    attempts   integer     NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The poll reads the earliest due timers; with nothing due it touches one index page.
CREATE INDEX timers_fire_at_idx ON timers (fire_at);

-- +goose Down
DROP TABLE timers;

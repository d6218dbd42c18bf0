-- Email and Slack notifications: each person's choice of channels, and the messages, a
-- durable queue that is also the log of what was sent (leased like deliveries).

-- +goose Up
-- A person without a row, or with a NULL channel, follows the defaults.
CREATE TABLE notification_settings (
    user_id     text COLLATE "C" PRIMARY KEY,
    email       boolean,
    slack       boolean,
    update_time timestamptz NOT NULL
);

CREATE TABLE messages (
    seq               bigserial PRIMARY KEY,
    id                text COLLATE "C" NOT NULL UNIQUE,
    event_id          text COLLATE "C" NOT NULL,
    event_type        text NOT NULL,
    user_id           text COLLATE "C" NOT NULL,
    channel           text NOT NULL CHECK (channel IN ('EMAIL', 'SLACK')),
    notice            jsonb NOT NULL,
    link              text NOT NULL,
    title             text NOT NULL,
    text              text NOT NULL,
    address           text NOT NULL,
    status            text NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
    attempts          integer NOT NULL,
    last_error        text NOT NULL,
    next_attempt_time timestamptz,
    retry_until       timestamptz NOT NULL,
    send_time         timestamptz,
    create_time       timestamptz NOT NULL,
    update_time       timestamptz NOT NULL,
    -- One message per event, person and channel.
    UNIQUE (event_id, user_id, channel)
);
-- A person's log, newest first.
CREATE INDEX messages_user ON messages (user_id, seq);
-- Claim: the due pending messages.
CREATE INDEX messages_due ON messages (next_attempt_time, seq) WHERE status = 'PENDING';

-- +goose Down
DROP TABLE messages;
DROP TABLE notification_settings;

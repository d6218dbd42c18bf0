-- The audit log: append-only events and checkpoints, and the signing key when the service
-- generated its own. Nothing here is ever updated or deleted: triggers refuse it, for every
-- role but a superuser who switches user triggers off (session_replication_role = replica);
-- the hash chain and the signed checkpoints are what betray such a change.

-- +goose Up
CREATE TABLE events (
    seq              bigint PRIMARY KEY CHECK (seq > 0),
    id               text COLLATE "C" NOT NULL UNIQUE,
    time             timestamptz NOT NULL,
    actor_id         text COLLATE "C" NOT NULL,
    actor_credential text NOT NULL,
    service          text NOT NULL,
    action           text COLLATE "C" NOT NULL,
    subject          text COLLATE "C" NOT NULL,
    request_id       text COLLATE "C" NOT NULL,
    policy_id        text COLLATE "C" NOT NULL,
    policy_version   bigint NOT NULL,
    task_id          text NOT NULL,
    trace_id         text NOT NULL,
    -- The canonical JSON (RFC 8785) exactly as hashed, hence bytes and not jsonb.
    data             bytea NOT NULL,
    ingest_time      timestamptz NOT NULL,
    prev_hash        bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash             bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE INDEX events_request_id ON events (request_id, seq) WHERE request_id <> '';
CREATE INDEX events_policy_version ON events (policy_id, policy_version, seq) WHERE policy_id <> '';
CREATE INDEX events_subject ON events (subject, seq);
CREATE INDEX events_actor_id ON events (actor_id, seq);
CREATE INDEX events_time ON events (time);

CREATE TABLE checkpoints (
    seq       bigint PRIMARY KEY,
    head_hash bytea NOT NULL CHECK (length(head_hash) = 32),
    time      timestamptz NOT NULL,
    key_id    text NOT NULL,
    signature bytea NOT NULL
);

-- Only when GRANTFLOW_AUDIT_SIGNING_KEY is not set: see the service's README on why a key
-- stored next to the log it protects is for development only.
CREATE TABLE signing_key (
    id          smallint PRIMARY KEY CHECK (id = 1),
    seed        bytea NOT NULL CHECK (length(seed) = 32),
    create_time timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit: % on %.% refused: the audit log is append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER signing_key_append_only BEFORE UPDATE OR DELETE ON signing_key
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER signing_key_no_truncate BEFORE TRUNCATE ON signing_key
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- The owner (the role that migrates and, today, runs the service) gives up the right to
-- change rows too: a second lock, which an owner could take back with GRANT, and a
-- superuser ignores. In production run the service as a role granted only SELECT and
-- INSERT (README.md).
REVOKE UPDATE, DELETE, TRUNCATE ON events, checkpoints, signing_key FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON events, checkpoints, signing_key FROM CURRENT_USER;

-- +goose Down
DROP TABLE signing_key;
DROP TABLE checkpoints;
DROP TABLE events;
DROP FUNCTION refuse_change();

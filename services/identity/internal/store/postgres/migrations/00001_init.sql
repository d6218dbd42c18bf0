-- The identity directory: users, groups, apps, accesses, API keys, and the requests whose
-- effect was applied. Ids use the "C" collation so that ordering and paging by id are
-- bytewise, as in the memory engine, whatever the database's locale. Optional references
-- (manager, request) are NULL when absent. The outbox tables come from the kit's migrations.

-- +goose Up
CREATE TABLE users (
    id           text COLLATE "C" PRIMARY KEY,
    email        text        NOT NULL,
    display_name text        NOT NULL,
    role         text        NOT NULL,
    manager_id   text COLLATE "C",
    status       text        NOT NULL,
    bootstrap    boolean     NOT NULL DEFAULT false,
    create_time  timestamptz NOT NULL,
    update_time  timestamptz NOT NULL,
    version      bigint      NOT NULL
);

CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_manager_id_idx ON users (manager_id);

CREATE TABLE groups (
    id          text COLLATE "C" PRIMARY KEY,
    name        text        NOT NULL,
    description text        NOT NULL,
    -- In the order given.
    member_ids  text[]      NOT NULL,
    create_time timestamptz NOT NULL,
    update_time timestamptz NOT NULL,
    version     bigint      NOT NULL
);

CREATE TABLE apps (
    id           text COLLATE "C" PRIMARY KEY,
    name         text        NOT NULL,
    -- In the order given.
    owner_ids    text[]      NOT NULL,
    -- [{"name": ..., "privileged": ...}], in the order given.
    permissions  jsonb       NOT NULL,
    -- [{"name": ..., "user_ids": [...]}], in the order given.
    custom_roles jsonb       NOT NULL,
    status       text        NOT NULL,
    request_id   text,
    create_time  timestamptz NOT NULL,
    update_time  timestamptz NOT NULL,
    version      bigint      NOT NULL
);

CREATE UNIQUE INDEX apps_name_key ON apps (lower(name));
CREATE INDEX apps_owner_ids_idx ON apps USING gin (owner_ids);

CREATE TABLE accesses (
    user_id    text COLLATE "C" NOT NULL,
    app_id     text COLLATE "C" NOT NULL,
    permission text        NOT NULL,
    grant_time timestamptz NOT NULL,
    request_id text,
    PRIMARY KEY (user_id, app_id)
);

CREATE INDEX accesses_app_id_idx ON accesses (app_id);

CREATE TABLE api_keys (
    id           text COLLATE "C" PRIMARY KEY,
    user_id      text COLLATE "C" NOT NULL,
    display_name text        NOT NULL,
    -- SHA-256 of the whole key; the key itself is never stored.
    hash         bytea       NOT NULL UNIQUE,
    create_time  timestamptz NOT NULL,
    revoke_time  timestamptz
);

CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);

CREATE TABLE applied_requests (
    request_id text PRIMARY KEY,
    result     text NOT NULL
);

-- +goose Down
DROP TABLE applied_requests;
DROP TABLE api_keys;
DROP TABLE accesses;
DROP TABLE apps;
DROP TABLE groups;
DROP TABLE users;

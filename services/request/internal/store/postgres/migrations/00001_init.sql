-- The request service: access requests and who may see them. Ids use the "C" collation so
-- that ordering and paging by id are bytewise, as in the memory engine, whatever the
-- database's locale. The outbox tables come from the kit's migrations.

-- +goose Up
CREATE TABLE requests (
    id                  text COLLATE "C" PRIMARY KEY,
    -- The submit's client-chosen id; NULL when none was given (so that any number of
    -- requests may have none).
    client_id           text COLLATE "C" UNIQUE,
    body_hash           text        NOT NULL,
    type                text        NOT NULL,
    requester_id        text COLLATE "C" NOT NULL,
    -- '' when the type is not about a user (ADD_APP, ARCHIVE_APP).
    target_user_id      text COLLATE "C" NOT NULL,
    -- '' for ADD_APP.
    app_id              text COLLATE "C" NOT NULL,
    permission          text        NOT NULL,
    previous_permission text        NOT NULL,
    -- {"name", "ownerIds", "permissions": [{"name", "privileged"}]}: ADD_APP only, else NULL.
    new_app             jsonb,
    reason              text        NOT NULL,
    status              text        NOT NULL,
    stage               text        NOT NULL,
    failure_reason      text        NOT NULL,
    policy_id           text        NOT NULL,
    policy_version      bigint      NOT NULL,
    policy_level        text        NOT NULL,
    -- {"reviewSteps": [step], "actionStep": step}, step = {"name", "assignee": {"kind",
    -- "customRole", "groupIds", "userIds"}, "approval", "minApprovals"}: the pinned version's.
    workflow            jsonb       NOT NULL,
    skip_manager_steps  boolean     NOT NULL,
    step_index          integer     NOT NULL,
    step_opened         boolean     NOT NULL,
    applying            boolean     NOT NULL,
    task_ids            text[]      NOT NULL,
    target_manager_id   text        NOT NULL,
    app_owner_ids       text[]      NOT NULL,
    assignee_ids        text[]      NOT NULL,
    create_time         timestamptz NOT NULL,
    update_time         timestamptz NOT NULL,
    version             bigint      NOT NULL
);

-- The request log's filters, each newest first (scanned backward).
CREATE INDEX requests_status_idx ON requests (status, id);
CREATE INDEX requests_requester_idx ON requests (requester_id, id);
CREATE INDEX requests_target_idx ON requests (target_user_id, id);
CREATE INDEX requests_app_idx ON requests (app_id, id);

-- Who may see which request besides Admin and GM (domain.Request.ViewerIDs: requester,
-- target, target's manager, app owners, assignees), written with the request on every create
-- and update, with copies of the request's filter columns. So "the requests this user may
-- see, newest first" is one range scan of request_viewers_log_idx, a page long however many
-- requests exist; with filters, the scan goes on past the user's entries they drop, checking
-- them on the index's own columns (index-only), never by reading the requests.
CREATE TABLE request_viewers (
    user_id        text COLLATE "C" NOT NULL,
    request_id     text COLLATE "C" NOT NULL REFERENCES requests (id),
    status         text NOT NULL,
    type           text NOT NULL,
    requester_id   text COLLATE "C" NOT NULL,
    target_user_id text COLLATE "C" NOT NULL,
    app_id         text COLLATE "C" NOT NULL
);

CREATE UNIQUE INDEX request_viewers_log_idx ON request_viewers (user_id, request_id DESC)
    INCLUDE (status, type, requester_id, target_user_id, app_id);
CREATE INDEX request_viewers_request_idx ON request_viewers (request_id);

-- +goose Down
DROP TABLE request_viewers;
DROP TABLE requests;

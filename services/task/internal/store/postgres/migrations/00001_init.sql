-- The task service: opened workflow steps and their tasks, and the standalone tasks. Ids use
-- the "C" collation so that ordering and paging by id are bytewise, as in the memory engine,
-- whatever the database's locale. The outbox tables come from the kit's migrations.

-- +goose Up
-- One row per opened step of a request: the key OpenStep is idempotent on, and the row every
-- change to the step's tasks locks first (SELECT ... FOR UPDATE), so the tally that settles
-- the step is never stale.
CREATE TABLE steps (
    request_id     text COLLATE "C" NOT NULL,
    step_index     integer     NOT NULL,
    name           text        NOT NULL,
    type           text        NOT NULL,
    policy_id      text        NOT NULL,
    policy_version bigint      NOT NULL,
    approval       text        NOT NULL,
    min_approvals  integer     NOT NULL,
    requester_id   text        NOT NULL,
    target_user_id text        NOT NULL,
    outcome        text        NOT NULL,
    create_time    timestamptz NOT NULL,
    update_time    timestamptz NOT NULL,
    version        bigint      NOT NULL,
    PRIMARY KEY (request_id, step_index)
);

CREATE TABLE tasks (
    id             text COLLATE "C" PRIMARY KEY,
    type           text        NOT NULL,
    -- NULL for a standalone task (and then step_index is NULL too).
    request_id     text COLLATE "C",
    step_index     integer,
    -- A standalone task's idempotency key; NULL for the others.
    standalone_key text UNIQUE,
    policy_id      text        NOT NULL,
    policy_version bigint      NOT NULL,
    step_name      text        NOT NULL,
    -- {"kind", "customRole", "groupIds", "userIds"}: the step's spec.
    assignee       jsonb       NOT NULL,
    -- In the order given; mirrored, with the status, in task_assignees for the inbox.
    assignee_ids   text[]      NOT NULL,
    approval       text        NOT NULL,
    min_approvals  integer     NOT NULL,
    action         text        NOT NULL,
    decision       text        NOT NULL,
    decided_by     text        NOT NULL,
    justification  text        NOT NULL,
    status         text        NOT NULL,
    requester_id   text        NOT NULL,
    target_user_id text        NOT NULL,
    -- [{"time", "actorId", "event", "note"}], oldest first.
    history        jsonb       NOT NULL,
    create_time    timestamptz NOT NULL,
    update_time    timestamptz NOT NULL,
    version        bigint      NOT NULL
);

-- A request's tasks, and a step's tasks in id order.
CREATE INDEX tasks_request_idx ON tasks (request_id, step_index, id);
-- Admin lists filtered by status, in id order.
CREATE INDEX tasks_status_idx ON tasks (status, id);

-- The inbox: who is assigned which task, with the task's status copied so that "my pending
-- tasks, in id order" is one index range scan however many tasks a person has had.
CREATE TABLE task_assignees (
    user_id text COLLATE "C" NOT NULL,
    task_id text COLLATE "C" NOT NULL REFERENCES tasks (id),
    status  text NOT NULL,
    PRIMARY KEY (user_id, task_id)
);

CREATE INDEX task_assignees_inbox_idx ON task_assignees (user_id, status, task_id);
CREATE INDEX task_assignees_task_idx ON task_assignees (task_id);

-- +goose Down
DROP TABLE task_assignees;
DROP TABLE tasks;
DROP TABLE steps;

-- ACCESS_REVIEW tasks: a reviewer's work in an access review campaign. Their idempotency key
-- (one per campaign and reviewer) is the standalone_key column; access_review_id finds a
-- campaign's tasks when it closes.

-- +goose Up
ALTER TABLE tasks ADD COLUMN access_review_id text COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX tasks_access_review_idx ON tasks (access_review_id, id) WHERE access_review_id <> '';

-- +goose Down
DROP INDEX tasks_access_review_idx;
ALTER TABLE tasks DROP COLUMN access_review_id;

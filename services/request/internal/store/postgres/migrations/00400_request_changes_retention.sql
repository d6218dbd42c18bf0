-- The change log of WatchRequest is kept GRANTFLOW_WATCH_RETENTION (default 7 days): each
-- change records its time (the request's update_time, the service's clock), and the
-- service deletes the changes older than the retention in batches of bounded size, by the
-- index on that time. The changes recorded before this migration take its time (a constant
-- default: no rewrite of the table). A watch resumed from a pruned version is refused
-- (FAILED_PRECONDITION WATCH_RESUME_TOO_OLD), never answered with a gap.

-- +goose Up
ALTER TABLE request_changes ADD COLUMN at timestamptz NOT NULL DEFAULT now();
CREATE INDEX request_changes_at_idx ON request_changes (at);

-- +goose Down
DROP INDEX request_changes_at_idx;
ALTER TABLE request_changes DROP COLUMN at;

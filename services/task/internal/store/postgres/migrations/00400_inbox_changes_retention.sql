-- The inboxes' change logs (WatchTasks) are kept GRANTFLOW_WATCH_RETENTION (default 7
-- days): each task_changes row records its time (the task's update_time, the service's
-- clock), and the service deletes the changes older than the retention in batches of
-- bounded size, each batch one statement that deletes the task_changes rows and their
-- inbox_changes rows together (by the indexes below), so that no reader sees one without
-- the other. The changes recorded before this migration take its time (a constant default:
-- no rewrite of the table). A watch resumed from a pruned cursor is refused
-- (FAILED_PRECONDITION WATCH_RESUME_TOO_OLD), never answered with a gap; inbox_heads keeps
-- every inbox's last cursor, so the cursors go on from where they were.

-- +goose Up
ALTER TABLE task_changes ADD COLUMN at timestamptz NOT NULL DEFAULT now();
CREATE INDEX task_changes_at_idx ON task_changes (at);
CREATE INDEX inbox_changes_task_idx ON inbox_changes (task_id, version);

-- The time of each change, from the row it records (to_jsonb of the tasks row).
-- +goose StatementBegin
CREATE FUNCTION task_changes_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.at := (NEW.snapshot ->> 'update_time')::timestamptz;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER task_changes_at BEFORE INSERT ON task_changes
    FOR EACH ROW EXECUTE FUNCTION task_changes_at();

-- +goose Down
DROP TRIGGER task_changes_at ON task_changes;
DROP FUNCTION task_changes_at();
DROP INDEX inbox_changes_task_idx;
DROP INDEX task_changes_at_idx;
ALTER TABLE task_changes DROP COLUMN at;

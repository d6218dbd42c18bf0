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

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION task_changes_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO task_changes (task_id, version, snapshot, old_assignee_ids, new_assignee_ids, at)
        VALUES (NEW.id, NEW.version, to_jsonb(NEW), OLD.assignee_ids, NEW.assignee_ids, NEW.update_time);
    ELSE
        INSERT INTO task_changes (task_id, version, snapshot, old_assignee_ids, new_assignee_ids, at)
        VALUES (NEW.id, NEW.version, to_jsonb(NEW), '{}', NEW.assignee_ids, NEW.update_time);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION task_changes_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO task_changes (task_id, version, snapshot, old_assignee_ids, new_assignee_ids)
        VALUES (NEW.id, NEW.version, to_jsonb(NEW), OLD.assignee_ids, NEW.assignee_ids);
    ELSE
        INSERT INTO task_changes (task_id, version, snapshot, old_assignee_ids, new_assignee_ids)
        VALUES (NEW.id, NEW.version, to_jsonb(NEW), '{}', NEW.assignee_ids);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
DROP INDEX inbox_changes_task_idx;
DROP INDEX task_changes_at_idx;
ALTER TABLE task_changes DROP COLUMN at;

-- The inbox's NOTIFY names the request of the changed task too: the payload of task_inbox is
-- "<user id>" for a standalone task and "<user id>\t<request id>" for a task of a request, one
-- per (person, request) the committing transaction changed. A WatchTasks narrowed to a request
-- then wakes only when that request's tasks changed in the inbox, instead of on every change
-- of the person's inbox (the bench's owners watch one inbox per request in flight). Processes
-- from before this migration read the new payload as a person's id and wake nobody: run the
-- replicas of one version.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION task_inbox_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    me xid8 := pg_current_xact_id();
BEGIN
    IF current_setting('grantflow.task_inbox_sequenced', true) = me::text THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('grantflow.task_inbox_sequenced', me::text, true);
    WITH ch AS (
        SELECT a.user_id, c.id, c.task_id, c.version, NOT (a.user_id = ANY (c.new_assignee_ids)) AS removed
        FROM task_changes c
        CROSS JOIN LATERAL (SELECT DISTINCT u FROM unnest(c.new_assignee_ids || c.old_assignee_ids) AS u) AS a (user_id)
        WHERE c.txid = me
    ), n AS (
        SELECT user_id, count(*) AS n FROM ch GROUP BY user_id
    ), h AS (
        INSERT INTO inbox_heads AS h (user_id, seq)
        SELECT user_id, n FROM n ORDER BY user_id
        ON CONFLICT (user_id) DO UPDATE SET seq = h.seq + EXCLUDED.seq
        RETURNING h.user_id, h.seq
    )
    INSERT INTO inbox_changes (user_id, seq, task_id, version, removed)
    SELECT ch.user_id, h.seq - n.n + row_number() OVER (PARTITION BY ch.user_id ORDER BY ch.id), ch.task_id, ch.version, ch.removed
    FROM ch JOIN n USING (user_id) JOIN h USING (user_id);
    PERFORM pg_notify('task_inbox', CASE WHEN r IS NULL OR r = '' THEN u ELSE u || E'\t' || r END)
    FROM (SELECT DISTINCT unnest(new_assignee_ids || old_assignee_ids) AS u, snapshot ->> 'request_id' AS r
          FROM task_changes WHERE txid = me) AS s;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION task_inbox_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    me xid8 := pg_current_xact_id();
BEGIN
    IF current_setting('grantflow.task_inbox_sequenced', true) = me::text THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('grantflow.task_inbox_sequenced', me::text, true);
    WITH ch AS (
        SELECT a.user_id, c.id, c.task_id, c.version, NOT (a.user_id = ANY (c.new_assignee_ids)) AS removed
        FROM task_changes c
        CROSS JOIN LATERAL (SELECT DISTINCT u FROM unnest(c.new_assignee_ids || c.old_assignee_ids) AS u) AS a (user_id)
        WHERE c.txid = me
    ), n AS (
        SELECT user_id, count(*) AS n FROM ch GROUP BY user_id
    ), h AS (
        INSERT INTO inbox_heads AS h (user_id, seq)
        SELECT user_id, n FROM n ORDER BY user_id
        ON CONFLICT (user_id) DO UPDATE SET seq = h.seq + EXCLUDED.seq
        RETURNING h.user_id, h.seq
    )
    INSERT INTO inbox_changes (user_id, seq, task_id, version, removed)
    SELECT ch.user_id, h.seq - n.n + row_number() OVER (PARTITION BY ch.user_id ORDER BY ch.id), ch.task_id, ch.version, ch.removed
    FROM ch JOIN n USING (user_id) JOIN h USING (user_id);
    PERFORM pg_notify('task_inbox', u)
    FROM (SELECT DISTINCT unnest(new_assignee_ids || old_assignee_ids) AS u FROM task_changes WHERE txid = me) AS s;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

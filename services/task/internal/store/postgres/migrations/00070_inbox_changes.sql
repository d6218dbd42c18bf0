-- The inboxes' change logs, for WatchTasks. Every write of a task (tasks INSERT or UPDATE)
-- records the row as the change left it in task_changes, in the same statement (a trigger).
-- At commit a deferred trigger gives each change one Seq in the inbox of every assignee
-- before or after it (inbox_changes, numbered by inbox_heads), then NOTIFYs channel
-- task_inbox with each such person's id, so that the watchers of every replica wake without
-- polling. The numbers are taken at commit, under the lock of each inbox's head row, in
-- user id order: an inbox's changes commit in Seq order with no gap (a reader never passes a
-- change that commits later), transactions wait for one another only during their commit,
-- and two of them never deadlock on the heads. Tasks written before this migration have no
-- changes until their next one.

-- +goose Up
CREATE TABLE task_changes (
    id               bigint GENERATED ALWAYS AS IDENTITY,
    task_id          text COLLATE "C" NOT NULL,
    version          bigint NOT NULL,
    -- to_jsonb of the tasks row (read back with jsonb_populate_record).
    snapshot         jsonb  NOT NULL,
    old_assignee_ids text[] NOT NULL,
    new_assignee_ids text[] NOT NULL,
    txid             xid8   NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (task_id, version)
);

-- The changes of the committing transaction, for its deferred trigger.
CREATE INDEX task_changes_txid_idx ON task_changes (txid);

CREATE TABLE inbox_heads (
    user_id text COLLATE "C" PRIMARY KEY,
    seq     bigint NOT NULL
);

CREATE TABLE inbox_changes (
    user_id text COLLATE "C" NOT NULL,
    seq     bigint  NOT NULL,
    task_id text COLLATE "C" NOT NULL,
    version bigint  NOT NULL,
    -- The change took the task out of this inbox.
    removed boolean NOT NULL,
    PRIMARY KEY (user_id, seq)
);

-- +goose StatementBegin
CREATE FUNCTION task_changes_record() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER task_changes_record AFTER INSERT OR UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION task_changes_record();

-- Runs at commit for the first change of the transaction and numbers them all (a setting
-- local to the transaction marks it done for the others).
-- +goose StatementBegin
CREATE FUNCTION task_inbox_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE CONSTRAINT TRIGGER task_inbox_sequence AFTER INSERT ON task_changes
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (cardinality(NEW.new_assignee_ids) + cardinality(NEW.old_assignee_ids) > 0)
    EXECUTE FUNCTION task_inbox_sequence();

-- +goose Down
DROP TRIGGER task_changes_record ON tasks;
DROP TABLE inbox_changes;
DROP TABLE inbox_heads;
DROP TABLE task_changes;
DROP FUNCTION task_inbox_sequence();
DROP FUNCTION task_changes_record();

-- Due dates and escalation of review tasks (issue 18). The timers that fire them live in the
-- kit's timers table of this schema.

-- +goose Up
ALTER TABLE tasks
    ADD COLUMN due_time            timestamptz,
    ADD COLUMN escalate_time       timestamptz,
    ADD COLUMN escalation_user_ids text[] NOT NULL DEFAULT '{}',
    ADD COLUMN escalation_note     text   NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE tasks
    DROP COLUMN due_time,
    DROP COLUMN escalate_time,
    DROP COLUMN escalation_user_ids,
    DROP COLUMN escalation_note;

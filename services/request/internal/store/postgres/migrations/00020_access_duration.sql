-- Expiring access (issue 18): how long a granted access lasts, when it expires, and whether
-- expiry opened the request. The expiry timers live in the kit's timers table.

-- +goose Up
ALTER TABLE requests
    ADD COLUMN access_duration_ns bigint  NOT NULL DEFAULT 0,
    ADD COLUMN expire_time        timestamptz,
    ADD COLUMN origin_expiry      boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE requests
    DROP COLUMN access_duration_ns,
    DROP COLUMN expire_time,
    DROP COLUMN origin_expiry;

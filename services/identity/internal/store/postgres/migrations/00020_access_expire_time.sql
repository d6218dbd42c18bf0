-- Expiring access (issue 18): when an access granted with an accessDuration expires.

-- +goose Up
ALTER TABLE accesses ADD COLUMN expire_time timestamptz;

-- +goose Down
ALTER TABLE accesses DROP COLUMN expire_time;

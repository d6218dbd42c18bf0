-- The provisioning client's identifier of a user (SCIM externalId), and the lookups a
-- provisioning client filters by: email (already indexed, unique), external id, display name.

-- +goose Up
ALTER TABLE users ADD COLUMN external_id text NOT NULL DEFAULT '';

CREATE INDEX users_external_id_idx ON users (external_id) WHERE external_id <> '';
CREATE INDEX users_display_name_idx ON users (lower(display_name));

-- +goose Down
DROP INDEX users_display_name_idx;
DROP INDEX users_external_id_idx;
ALTER TABLE users DROP COLUMN external_id;

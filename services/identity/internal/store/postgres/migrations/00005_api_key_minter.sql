-- Who minted each API key, so that maker-checker holds through credentials: a key minted by
-- a request's requester or target never decides a task of that request. Keys minted before
-- this column existed (and the bootstrap key) have no minter ('').

-- +goose Up
ALTER TABLE api_keys ADD COLUMN created_by text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE api_keys DROP COLUMN created_by;

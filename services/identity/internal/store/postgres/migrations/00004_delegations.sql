-- Who put whom into an assignee set (an app's owners, a custom role, a group), so that
-- maker-checker holds through delegation: the people a requester or target put there never
-- decide that request.

-- +goose Up
CREATE TABLE delegations (
    set_name   text NOT NULL,
    user_id    text NOT NULL,
    by_user_id text NOT NULL,
    PRIMARY KEY (set_name, user_id, by_user_id)
);
CREATE INDEX delegations_by_idx ON delegations (by_user_id);

-- +goose Down
DROP TABLE delegations;

-- +goose Up
-- Which user an OIDC identity (issuer, subject) is: bound at the first sign-in by verified
-- email, looked up by issuer and subject from then on.
CREATE TABLE oidc_bindings (
    issuer      text COLLATE "C" NOT NULL,
    subject     text COLLATE "C" NOT NULL,
    user_id     text COLLATE "C" NOT NULL,
    create_time timestamptz NOT NULL,
    PRIMARY KEY (issuer, subject),
    UNIQUE (issuer, user_id)
);

-- +goose Down
DROP TABLE oidc_bindings;

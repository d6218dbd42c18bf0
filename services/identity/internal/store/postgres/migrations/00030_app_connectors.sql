-- +goose Up
-- Each app's provisioning connector (issue 17): where the system agent POSTs the app's
-- actions, and the signing secret, sealed (AES-256-GCM under GRANTFLOW_SECRETS_KEY; never
-- stored in the clear).
CREATE TABLE app_connectors (
    app_id        text COLLATE "C" PRIMARY KEY,
    url           text NOT NULL,
    sealed_secret bytea NOT NULL,
    updated_by    text COLLATE "C" NOT NULL,
    create_time   timestamptz NOT NULL,
    update_time   timestamptz NOT NULL
);

-- +goose Down
DROP TABLE app_connectors;

-- Policies, their versions, the claims that keep scopes from overlapping, and the index
-- generation that tells every replica when the set of active versions changed. Ids use the
-- "C" collation so that ordering and paging by id are bytewise, as in the memory engine.
-- The outbox tables come from the kit's migrations.

-- +goose Up
CREATE TABLE policies (
    id             text COLLATE "C" PRIMARY KEY,
    name           text        NOT NULL,
    request_type   text        NOT NULL,
    level          text        NOT NULL CHECK (level IN ('SYSTEM_DEFAULT', 'GLOBAL', 'APP', 'PERMISSION')),
    -- '' for the global and system default levels.
    app_id         text COLLATE "C" NOT NULL,
    permissions    text[]      NOT NULL,
    active_version bigint      NOT NULL,
    latest_version bigint      NOT NULL,
    create_time    timestamptz NOT NULL,
    update_time    timestamptz NOT NULL,
    create_by      text        NOT NULL,
    CHECK ((level = 'PERMISSION') = (cardinality(permissions) > 0)),
    CHECK ((level IN ('APP', 'PERMISSION')) = (app_id <> ''))
);

-- One system default and one global policy per request type, one app policy per app.
CREATE UNIQUE INDEX policies_one_system_default ON policies (request_type) WHERE level = 'SYSTEM_DEFAULT';
CREATE UNIQUE INDEX policies_one_global ON policies (request_type) WHERE level = 'GLOBAL';
CREATE UNIQUE INDEX policies_one_app ON policies (request_type, app_id) WHERE level = 'APP';
CREATE INDEX policies_app_id_idx ON policies (app_id, id);
CREATE INDEX policies_active_idx ON policies (id) WHERE active_version > 0;

-- Each permission of an app is claimed by at most one permission-specific policy per
-- request type: overlapping permission sets are refused by the primary key.
CREATE TABLE policy_permissions (
    request_type text NOT NULL,
    app_id       text COLLATE "C" NOT NULL,
    permission   text NOT NULL,
    policy_id    text COLLATE "C" NOT NULL REFERENCES policies (id),
    PRIMARY KEY (request_type, app_id, permission)
);

CREATE TABLE policy_versions (
    policy_id     text COLLATE "C" NOT NULL REFERENCES policies (id),
    version       bigint      NOT NULL CHECK (version > 0),
    state         text        NOT NULL CHECK (state IN ('DRAFT', 'ACTIVE', 'RETIRED')),
    -- The workflow as domain JSON: {"reviewSteps": [...], "actionStep": {...}}.
    workflow      jsonb       NOT NULL,
    create_time   timestamptz NOT NULL,
    update_time   timestamptz NOT NULL,
    activate_time timestamptz,
    retire_time   timestamptz,
    create_by     text        NOT NULL,
    revision      bigint      NOT NULL,
    PRIMARY KEY (policy_id, version)
);

-- At most one active version per policy.
CREATE UNIQUE INDEX policy_versions_one_active ON policy_versions (policy_id) WHERE state = 'ACTIVE';

-- The guard of history: a version is a draft, which may change and be deleted, or it is
-- active or retired, and then nothing about it changes except that an active version
-- retires. Raised with SQLSTATE GF001 so that the store can tell it from other errors. It
-- holds for every writer, raw SQL included.
-- +goose StatementBegin
CREATE FUNCTION policy_versions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state <> 'DRAFT' THEN
            RAISE EXCEPTION 'policy % version % is %: only a draft may be deleted', OLD.policy_id, OLD.version, OLD.state
                USING ERRCODE = 'GF001';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.policy_id IS DISTINCT FROM OLD.policy_id OR NEW.version IS DISTINCT FROM OLD.version THEN
        RAISE EXCEPTION 'policy % version %: a version keeps its policy and number', OLD.policy_id, OLD.version
            USING ERRCODE = 'GF001';
    END IF;
    IF OLD.state = 'DRAFT' THEN
        IF NEW.state NOT IN ('DRAFT', 'ACTIVE') OR NEW.retire_time IS NOT NULL THEN
            RAISE EXCEPTION 'policy % version %: a draft can only be edited or activated', OLD.policy_id, OLD.version
                USING ERRCODE = 'GF001';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.workflow IS DISTINCT FROM OLD.workflow
        OR NEW.create_time IS DISTINCT FROM OLD.create_time
        OR NEW.update_time IS DISTINCT FROM OLD.update_time
        OR NEW.activate_time IS DISTINCT FROM OLD.activate_time
        OR NEW.create_by IS DISTINCT FROM OLD.create_by
        OR NEW.revision IS DISTINCT FROM OLD.revision THEN
        RAISE EXCEPTION 'policy % version % is %: it never changes', OLD.policy_id, OLD.version, OLD.state
            USING ERRCODE = 'GF001';
    END IF;
    IF NEW.state = OLD.state AND NEW.retire_time IS NOT DISTINCT FROM OLD.retire_time THEN
        RETURN NEW; -- nothing changes
    END IF;
    IF OLD.state = 'ACTIVE' AND NEW.state = 'RETIRED' AND NEW.retire_time IS NOT NULL THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'policy % version % is %: it can only be retired, once', OLD.policy_id, OLD.version, OLD.state
        USING ERRCODE = 'GF001';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER policy_versions_guard
    BEFORE UPDATE OR DELETE ON policy_versions
    FOR EACH ROW EXECUTE FUNCTION policy_versions_guard();

-- A policy's request type, level and scope never change, and a policy is never deleted
-- (its versions and the events naming it outlive any change of mind).
-- +goose StatementBegin
CREATE FUNCTION policies_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'policy %: policies are never deleted', OLD.id USING ERRCODE = 'GF001';
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id
        OR NEW.request_type IS DISTINCT FROM OLD.request_type
        OR NEW.level IS DISTINCT FROM OLD.level
        OR NEW.app_id IS DISTINCT FROM OLD.app_id
        OR NEW.permissions IS DISTINCT FROM OLD.permissions
        OR NEW.create_time IS DISTINCT FROM OLD.create_time
        OR NEW.create_by IS DISTINCT FROM OLD.create_by THEN
        RAISE EXCEPTION 'policy %: its request type and scope never change', OLD.id USING ERRCODE = 'GF001';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER policies_guard
    BEFORE UPDATE OR DELETE ON policies
    FOR EACH ROW EXECUTE FUNCTION policies_guard();

-- The index generation: one row, incremented in every transaction that changes which
-- version of a policy is active, and the log of those changes. Replicas read the row on
-- every resolution and reload only the policies logged since their index was built.
CREATE TABLE policy_index_generation (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    generation bigint NOT NULL
);
INSERT INTO policy_index_generation (generation) VALUES (0);

CREATE TABLE policy_index_changes (
    generation  bigint PRIMARY KEY,
    policy_id   text COLLATE "C" NOT NULL,
    change_time timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE policy_index_changes;
DROP TABLE policy_index_generation;
DROP TABLE policy_versions;
DROP FUNCTION policy_versions_guard();
DROP TABLE policy_permissions;
DROP TABLE policies;
DROP FUNCTION policies_guard();

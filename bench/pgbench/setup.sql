-- The ceiling table for make bench: pgbench inserts one row per commit into it
-- (insert.sql), on the same PostgreSQL server the services use, in a database of its own.
DROP TABLE IF EXISTS ceiling;
CREATE TABLE ceiling (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payload  text        NOT NULL,
    created  timestamptz NOT NULL DEFAULT now()
);

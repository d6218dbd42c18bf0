-- One INSERT per transaction, committed (pgbench runs each script line in autocommit):
-- the cheapest durable write PostgreSQL can do on this machine, with fsync and
-- synchronous_commit as the services have them.
INSERT INTO ceiling (payload) VALUES ('a request lifecycle step');

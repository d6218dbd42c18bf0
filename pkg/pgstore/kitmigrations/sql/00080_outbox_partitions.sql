-- Outbox partitions, so that the replicas of a service share its relays (package
-- outbox/pgoutbox, leases.go): each row carries the partition of its event's subject
-- (pgoutbox.Partition: FNV-1a of the subject modulo pgoutbox.Partitions), and a replica reads
-- only the partitions it leases. Rows appended before this migration are in partition 0:
-- upgrade a deployment with its outboxes drained, or accept that an old and a new event of
-- one subject may then reach the sink out of order once.

-- +goose Up
ALTER TABLE outbox ADD COLUMN part smallint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE outbox DROP COLUMN part;

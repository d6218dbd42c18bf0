-- +goose Up
-- Pruning finished deliveries past the retention (GRANTFLOW_WEBHOOK_RETENTION) reads them
-- oldest first without walking the pending queue.
CREATE INDEX deliveries_finished ON deliveries (update_time, seq) WHERE status <> 'PENDING';

-- +goose Down
DROP INDEX deliveries_finished;

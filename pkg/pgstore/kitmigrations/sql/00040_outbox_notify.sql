-- Relays wake when events are appended, in every replica, instead of polling: each outbox
-- row NOTIFYs channel "outbox.<schema>" with its sink when its transaction commits
-- (PostgreSQL sends one notification per distinct channel and payload of a transaction).
-- pgoutbox.Store.Wakeups LISTENs to it.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox.' || TG_TABLE_SCHEMA, NEW.sink);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_notify();

-- +goose Down
DROP TRIGGER outbox_notify ON outbox;
DROP FUNCTION outbox_notify();

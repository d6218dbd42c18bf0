-- Every change of a request, for WatchRequest: the request as the change left it (a JSON
-- snapshot of the domain's Request), one row per version, written in the statement that
-- writes the request. Each row NOTIFYs channel request_changes with the request's id when
-- its transaction commits, so that the watchers of every replica wake without polling.
-- Requests submitted before this migration have no rows until their next change (WatchRequest
-- then sends the stored request itself).

-- +goose Up
CREATE TABLE request_changes (
    request_id text COLLATE "C" NOT NULL REFERENCES requests (id),
    version    bigint NOT NULL,
    snapshot   jsonb  NOT NULL,
    PRIMARY KEY (request_id, version)
);

-- +goose StatementBegin
CREATE FUNCTION request_changes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('request_changes', NEW.request_id);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER request_changes_notify AFTER INSERT ON request_changes
    FOR EACH ROW EXECUTE FUNCTION request_changes_notify();

-- +goose Down
DROP TABLE request_changes;
DROP FUNCTION request_changes_notify();

package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
)

// directoryLock keys the advisory lock that LockDirectory takes.
const directoryLock = "grantflow.identity.directory"

// LockDirectory takes the directory's advisory lock until the transaction ends; a second
// transaction asking for it, in this process or another, waits.
func (t *tx) LockDirectory(ctx context.Context) error {
	_, err := t.PgTx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", directoryLock)
	return storeErrors.Wrap("lock directory", err)
}

func (t *tx) RecordApplied(ctx context.Context, requestID, result string) error {
	const op = "record applied request"
	tag, err := t.PgTx.Exec(ctx,
		"INSERT INTO applied_requests (request_id, result) VALUES ($1, $2) ON CONFLICT DO NOTHING",
		requestID, result)
	return storeErrors.Inserted(op, tag, err)
}

func (r reader) AppliedRequest(ctx context.Context, requestID string) (string, error) {
	return pgstore.One(ctx, r.q, "get applied request", pgx.RowTo[string],
		"SELECT result FROM applied_requests WHERE request_id = $1", requestID)
}

package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
)

// directoryLock keys the advisory lock that LockDirectory takes.
const directoryLock = "grantflow.identity.directory"

// LockDirectory takes the directory's advisory lock until the transaction ends; a second
// transaction asking for it, in this process or another, waits.
func (t *tx) LockDirectory(ctx context.Context) error {
	return t.q.Lock(ctx, "lock directory", directoryLock)
}

func (t *tx) RecordApplied(ctx context.Context, requestID, result string) error {
	const op = "record applied request"
	tag, err := t.PgTx.Exec(ctx,
		"INSERT INTO applied_requests (request_id, result) VALUES ($1, $2) ON CONFLICT DO NOTHING",
		requestID, result)
	return t.q.Inserted(op, tag, err)
}

func (r reader) AppliedRequest(ctx context.Context, requestID string) (string, error) {
	return pgstore.One(ctx, r.q, "get applied request", pgx.RowTo[string],
		"SELECT result FROM applied_requests WHERE request_id = $1", requestID)
}

func (t *tx) RecordDelegation(ctx context.Context, d domain.Delegation) error {
	_, err := t.PgTx.Exec(ctx,
		"INSERT INTO delegations (set_name, user_id, by_user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
		d.Set, d.UserID, d.ByUserID)
	return t.q.Wrap("record delegation", err)
}

func (r reader) DelegatedBy(ctx context.Context, byUserIDs []string) ([]domain.Delegation, error) {
	return r.delegations(ctx, "by_user_id", byUserIDs)
}

func (r reader) DelegatedInto(ctx context.Context, sets []string) ([]domain.Delegation, error) {
	return r.delegations(ctx, "set_name", sets)
}

// delegations lists the delegations whose column is any of values.
func (r reader) delegations(ctx context.Context, column string, values []string) ([]domain.Delegation, error) {
	return pgstore.All(ctx, r.q, "list delegations", func(row pgx.CollectableRow) (domain.Delegation, error) {
		var d domain.Delegation
		err := row.Scan(&d.Set, &d.UserID, &d.ByUserID)
		return d, err
	}, "SELECT set_name, user_id, by_user_id FROM delegations WHERE "+column+" = ANY($1) ORDER BY set_name, user_id, by_user_id", values)
}

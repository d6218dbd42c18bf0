package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// policiesLock keys the advisory lock that LockPolicies takes.
const policiesLock = "grantflow.policy.policies"

// LockPolicies takes the policies' advisory lock until the transaction ends; a second
// transaction asking for it, in this process or another, waits.
func (t *tx) LockPolicies(ctx context.Context) error {
	return t.q.Lock(ctx, "lock policies", policiesLock)
}

// BumpGeneration increments the index generation (its row lock orders concurrent bumps
// by commit) and logs the change.
func (t *tx) BumpGeneration(ctx context.Context, policyID string) (int64, error) {
	const op = "bump index generation"
	gen, err := pgstore.One(ctx, t.q, op, pgx.RowTo[int64],
		"UPDATE policy_index_generation SET generation = generation + 1 RETURNING generation")
	if err != nil {
		return 0, err
	}
	_, err = t.PgTx.Exec(ctx, "INSERT INTO policy_index_changes (generation, policy_id) VALUES ($1, $2)", gen, policyID)
	return gen, t.q.Wrap(op, err)
}

func (r reader) Generation(ctx context.Context) (int64, error) {
	var gen int64
	err := r.q.QueryRow(ctx, "SELECT generation FROM policy_index_generation").Scan(&gen)
	return gen, r.q.Wrap("index generation", err)
}

func (r reader) Changes(ctx context.Context, after int64, n int) ([]store.Change, error) {
	return pgstore.All(ctx, r.q, "index changes", pgx.RowToStructByPos[store.Change],
		"SELECT generation, policy_id FROM policy_index_changes WHERE generation > $1 ORDER BY generation LIMIT $2",
		after, pgstore.Limit(n))
}

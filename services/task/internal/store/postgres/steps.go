package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/task/internal/domain"
)

const stepColumns = `request_id, step_index, name, type, policy_id, policy_version, approval, min_approvals,
	requester_id, target_user_id, outcome, create_time, update_time, version`

func scanStep(row pgx.CollectableRow) (domain.Step, error) {
	var (
		s             domain.Step
		index, minApp int32
	)
	err := row.Scan(&s.RequestID, &index, &s.Name, &s.Type, &s.PolicyID, &s.PolicyVersion, &s.Approval, &minApp,
		&s.RequesterID, &s.TargetUserID, &s.Outcome, &s.CreateTime, &s.UpdateTime, &s.Version)
	s.Index, s.MinApprovals = int(index), int(minApp)
	return s, err
}

func stepOp(verb, requestID string, index int) string {
	return verb + " step " + requestID + "/" + strconv.Itoa(index)
}

func (r reader) GetStep(ctx context.Context, requestID string, index int) (domain.Step, error) {
	return pgstore.One(ctx, r.q, stepOp("get", requestID, index), scanStep,
		"SELECT "+stepColumns+" FROM steps WHERE request_id = $1 AND step_index = $2", requestID, index)
}

func (t *tx) LockStep(ctx context.Context, requestID string, index int) (domain.Step, error) {
	return pgstore.One(ctx, t.q, stepOp("lock", requestID, index), scanStep,
		"SELECT "+stepColumns+" FROM steps WHERE request_id = $1 AND step_index = $2 FOR UPDATE", requestID, index)
}

func (t *tx) LockRequestSteps(ctx context.Context, requestID string) ([]domain.Step, error) {
	return pgstore.All(ctx, t.q, "lock steps of "+requestID, scanStep,
		"SELECT "+stepColumns+" FROM steps WHERE request_id = $1 ORDER BY step_index FOR UPDATE", requestID)
}

// CreateStep inserts the step; a concurrent creator of the same step makes this one wait
// for its commit and then insert nothing (store.ErrConflict), leaving the transaction usable.
func (t *tx) CreateStep(ctx context.Context, s domain.Step) error {
	op := stepOp("create", s.RequestID, s.Index)
	tag, err := t.Tx.PgTx.Exec(ctx, `
		INSERT INTO steps (`+stepColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT DO NOTHING`,
		s.RequestID, s.Index, s.Name, s.Type, s.PolicyID, s.PolicyVersion, s.Approval, s.MinApprovals,
		s.RequesterID, s.TargetUserID, s.Outcome, s.CreateTime, s.UpdateTime, s.Version)
	return t.q.Inserted(op, tag, err)
}

// UpdateStep writes the step's outcome, version-checked.
func (t *tx) UpdateStep(ctx context.Context, s domain.Step) error {
	op := stepOp("update", s.RequestID, s.Index)
	tag, err := t.Tx.PgTx.Exec(ctx, `
		UPDATE steps SET outcome = $3, update_time = $4, version = $5
		WHERE request_id = $1 AND step_index = $2 AND version = $5 - 1`,
		s.RequestID, s.Index, s.Outcome, s.UpdateTime, s.Version)
	if err != nil {
		return t.q.Wrap(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	if _, err := t.GetStep(ctx, s.RequestID, s.Index); err != nil {
		return err
	}
	return t.q.ConflictIn(op)
}

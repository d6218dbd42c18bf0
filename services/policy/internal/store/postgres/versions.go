package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

const versionColumns = "policy_id, version, state, workflow, create_time, update_time, activate_time, retire_time, create_by, revision"

func versionColumnsOf(alias string) string {
	return alias + ".policy_id, " + alias + ".version, " + alias + ".state, " + alias + ".workflow, " + alias + ".create_time, " +
		alias + ".update_time, " + alias + ".activate_time, " + alias + ".retire_time, " + alias + ".create_by, " + alias + ".revision"
}

// versionRow receives a version's columns; finish turns it into the domain value.
type versionRow struct {
	v        domain.Version
	workflow []byte
}

func (r *versionRow) fields() []any {
	return []any{&r.v.PolicyID, &r.v.Version, &r.v.State, &r.workflow, &r.v.CreateTime, &r.v.UpdateTime,
		pgstore.ZeroIfNull(&r.v.ActivateTime), pgstore.ZeroIfNull(&r.v.RetireTime), &r.v.CreateBy, &r.v.Revision}
}

func (r *versionRow) finish() (domain.Version, error) {
	v := r.v
	if err := json.Unmarshal(r.workflow, &v.Workflow); err != nil {
		return v, fmt.Errorf("decode workflow of policy %s version %d: %w", v.PolicyID, v.Version, err)
	}
	return v, nil
}

func scanVersion(row pgx.CollectableRow) (domain.Version, error) {
	var r versionRow
	if err := row.Scan(r.fields()...); err != nil {
		return domain.Version{}, err
	}
	return r.finish()
}

func scanActive(row pgx.CollectableRow) (domain.Active, error) {
	var (
		a domain.Active
		r versionRow
	)
	if err := row.Scan(append(policyFields(&a.Policy), r.fields()...)...); err != nil {
		return a, err
	}
	fixPolicy(&a.Policy)
	v, err := r.finish()
	a.Version = v
	return a, err
}

func (r reader) GetVersion(ctx context.Context, policyID string, version int64) (domain.Version, error) {
	return pgstore.One(ctx, r.q, "get policy "+policyID+" version "+strconv.FormatInt(version, 10), scanVersion,
		"SELECT "+versionColumns+" FROM policy_versions WHERE policy_id = $1 AND version = $2", policyID, version)
}

func (r reader) ListVersions(ctx context.Context, policyID string, p store.VersionPage) ([]domain.Version, error) {
	return pgstore.All(ctx, r.q, "list versions of policy "+policyID, scanVersion, `
		SELECT `+versionColumns+` FROM policy_versions
		WHERE policy_id = $1 AND version > $2 ORDER BY version LIMIT $3`, policyID, p.After, pgstore.Limit(p.Size))
}

func (r reader) ActivePolicies(ctx context.Context) ([]domain.Active, error) {
	return pgstore.All(ctx, r.q, "active policies", scanActive, `
		SELECT `+policyColumnsOf("p")+`, `+versionColumnsOf("v")+`
		FROM policies p JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.active_version
		WHERE p.active_version > 0 ORDER BY p.id`)
}

func (r reader) PolicyStates(ctx context.Context, ids []string) ([]domain.Update, error) {
	const op = "policy states"
	policies, err := pgstore.All(ctx, r.q, op, scanPolicy,
		"SELECT "+policyColumns+" FROM policies WHERE id = ANY($1) ORDER BY id", pgstore.OrEmpty(ids))
	if err != nil {
		return nil, err
	}
	actives, err := pgstore.All(ctx, r.q, op, scanActive, `
		SELECT `+policyColumnsOf("p")+`, `+versionColumnsOf("v")+`
		FROM policies p JOIN policy_versions v ON v.policy_id = p.id AND v.version = p.active_version
		WHERE p.id = ANY($1)`, pgstore.OrEmpty(ids))
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*domain.Active, len(actives))
	for i := range actives {
		byID[actives[i].Policy.ID] = &actives[i]
	}
	out := make([]domain.Update, len(policies))
	for i, p := range policies {
		out[i] = domain.Update{Policy: p, Active: byID[p.ID]}
	}
	return out, nil
}

func versionOp(what, policyID string, n int64) string {
	return what + " policy " + policyID + " version " + strconv.FormatInt(n, 10)
}

func (t *tx) CreateVersion(ctx context.Context, v domain.Version) error {
	op := versionOp("create", v.PolicyID, v.Version)
	if v.State != domain.StateDraft {
		return t.q.Wrap(op, store.ErrImmutable)
	}
	wf, err := json.Marshal(v.Workflow)
	if err != nil {
		return t.q.Wrap(op, err)
	}
	tag, err := t.PgTx.Exec(ctx, `
		INSERT INTO policy_versions (`+versionColumns+`)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
		WHERE EXISTS (SELECT 1 FROM policies WHERE id = $1)
		ON CONFLICT DO NOTHING`,
		v.PolicyID, v.Version, string(v.State), wf, v.CreateTime, v.UpdateTime,
		pgstore.NullTime(v.ActivateTime), pgstore.NullTime(v.RetireTime), v.CreateBy, v.Revision)
	if err != nil {
		return t.q.Wrap(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	if _, err := t.GetPolicy(ctx, v.PolicyID); err != nil {
		return err
	}
	return t.q.Wrap(op, store.ErrConflict)
}

// refused explains why a filtered write of a version changed no row: the version is
// missing (ErrNotFound), in the wrong state (ErrImmutable), or else conflict.
func (t *tx) refused(ctx context.Context, op, policyID string, n int64, wantState domain.State) error {
	state, err := pgstore.One(ctx, t.q, op, pgx.RowTo[string],
		"SELECT state FROM policy_versions WHERE policy_id = $1 AND version = $2", policyID, n)
	if err != nil {
		return err
	}
	if domain.State(state) != wantState {
		return t.q.Wrap(op, store.ErrImmutable)
	}
	return t.q.Wrap(op, store.ErrConflict)
}

func (t *tx) UpdateVersion(ctx context.Context, v domain.Version) error {
	op := versionOp("update", v.PolicyID, v.Version)
	wf, err := json.Marshal(v.Workflow)
	if err != nil {
		return t.q.Wrap(op, err)
	}
	tag, err := t.PgTx.Exec(ctx, `
		UPDATE policy_versions SET workflow = $3, update_time = $4, revision = $5
		WHERE policy_id = $1 AND version = $2 AND state = 'DRAFT' AND revision = $5::bigint - 1`,
		v.PolicyID, v.Version, wf, v.UpdateTime, v.Revision)
	if err != nil {
		return t.q.Wrap(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	return t.refused(ctx, op, v.PolicyID, v.Version, domain.StateDraft)
}

func (t *tx) DeleteVersion(ctx context.Context, policyID string, n int64) error {
	op := versionOp("delete", policyID, n)
	tag, err := t.PgTx.Exec(ctx,
		"DELETE FROM policy_versions WHERE policy_id = $1 AND version = $2 AND state = 'DRAFT'", policyID, n)
	if err != nil {
		return t.q.Wrap(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	return t.refused(ctx, op, policyID, n, domain.StateDraft)
}

func (t *tx) ActivateVersion(ctx context.Context, policyID string, n int64, at time.Time) error {
	op := versionOp("activate", policyID, n)
	tag, err := t.PgTx.Exec(ctx, `
		UPDATE policy_versions SET state = 'ACTIVE', activate_time = $3
		WHERE policy_id = $1 AND version = $2 AND state = 'DRAFT'
		  AND NOT EXISTS (SELECT 1 FROM policy_versions WHERE policy_id = $1 AND state = 'ACTIVE')`,
		policyID, n, at)
	if err != nil {
		return t.q.Wrap(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	return t.refused(ctx, op, policyID, n, domain.StateDraft)
}

func (t *tx) RetireVersion(ctx context.Context, policyID string, n int64, at time.Time) error {
	op := versionOp("retire", policyID, n)
	tag, err := t.PgTx.Exec(ctx, `
		UPDATE policy_versions SET state = 'RETIRED', retire_time = $3
		WHERE policy_id = $1 AND version = $2 AND state = 'ACTIVE'`, policyID, n, at)
	if err != nil {
		return t.q.Wrap(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	return t.refused(ctx, op, policyID, n, domain.StateActive)
}

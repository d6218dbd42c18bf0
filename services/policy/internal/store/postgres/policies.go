package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

const policyColumns = "id, name, request_type, level, app_id, permissions, active_version, latest_version, create_time, update_time, create_by"

// policyColumnsOf is policyColumns qualified by a table alias.
func policyColumnsOf(alias string) string {
	return alias + ".id, " + alias + ".name, " + alias + ".request_type, " + alias + ".level, " + alias + ".app_id, " +
		alias + ".permissions, " + alias + ".active_version, " + alias + ".latest_version, " + alias + ".create_time, " +
		alias + ".update_time, " + alias + ".create_by"
}

func policyFields(p *domain.Policy) []any {
	return []any{&p.ID, &p.Name, &p.RequestType, &p.Level, &p.Scope.AppID, &p.Scope.Permissions,
		&p.ActiveVersion, &p.LatestVersion, &p.CreateTime, &p.UpdateTime, &p.CreateBy}
}

func fixPolicy(p *domain.Policy) {
	if len(p.Scope.Permissions) == 0 {
		p.Scope.Permissions = nil
	}
}

func scanPolicy(row pgx.CollectableRow) (domain.Policy, error) {
	var p domain.Policy
	err := row.Scan(policyFields(&p)...)
	fixPolicy(&p)
	return p, err
}

func (r reader) GetPolicy(ctx context.Context, id string) (domain.Policy, error) {
	return pgstore.One(ctx, r.q, "get policy "+id, scanPolicy, "SELECT "+policyColumns+" FROM policies WHERE id = $1", id)
}

func (r reader) ListPolicies(ctx context.Context, f store.PolicyFilter, p store.Page) ([]domain.Policy, error) {
	return pgstore.All(ctx, r.q, "list policies", scanPolicy, `
		SELECT `+policyColumns+` FROM policies
		WHERE id > $1 AND ($2 = '' OR request_type = $2) AND ($3 = '' OR app_id = $3)
		ORDER BY id LIMIT $4`, p.After, string(f.RequestType), f.AppID, pgstore.Limit(p.Size))
}

func (r reader) OverlappingPolicies(ctx context.Context, rt domain.RequestType, level domain.Level, scope domain.Scope) ([]domain.Policy, error) {
	const op = "overlapping policies"
	if level == domain.LevelPermission {
		return pgstore.All(ctx, r.q, op, scanPolicy, `
			SELECT `+policyColumns+` FROM policies
			WHERE id IN (SELECT policy_id FROM policy_permissions
			             WHERE request_type = $1 AND app_id = $2 AND permission = ANY($3))
			ORDER BY id`, string(rt), scope.AppID, pgstore.OrEmpty(scope.Permissions))
	}
	return pgstore.All(ctx, r.q, op, scanPolicy, `
		SELECT `+policyColumns+` FROM policies
		WHERE request_type = $1 AND level = $2 AND app_id = $3
		ORDER BY id`, string(rt), string(level), scope.AppID)
}

func (t *tx) CreatePolicy(ctx context.Context, p domain.Policy) error {
	op := "create policy " + p.ID
	if len(p.Scope.Permissions) > 0 {
		// Checked first, so that an overlap leaves the transaction usable; the primary key
		// of policy_permissions refuses one that races past this.
		taken, err := pgstore.One(ctx, t.q, op, pgx.RowTo[bool], `
			SELECT EXISTS (SELECT 1 FROM policy_permissions
			               WHERE request_type = $1 AND app_id = $2 AND permission = ANY($3))`,
			string(p.RequestType), p.Scope.AppID, p.Scope.Permissions)
		if err != nil {
			return err
		}
		if taken {
			return t.q.Wrap(op, store.ErrConflict)
		}
	}
	tag, err := t.PgTx.Exec(ctx, `
		INSERT INTO policies (`+policyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT DO NOTHING`,
		p.ID, p.Name, string(p.RequestType), string(p.Level), p.Scope.AppID, pgstore.OrEmpty(p.Scope.Permissions),
		p.ActiveVersion, p.LatestVersion, p.CreateTime, p.UpdateTime, p.CreateBy)
	if err := t.q.Inserted(op, tag, err); err != nil {
		return err
	}
	if len(p.Scope.Permissions) > 0 {
		_, err = t.PgTx.Exec(ctx, `
			INSERT INTO policy_permissions (request_type, app_id, permission, policy_id)
			SELECT $1, $2, unnest($3::text[]), $4`,
			string(p.RequestType), p.Scope.AppID, p.Scope.Permissions, p.ID)
		return t.q.Wrap(op, err)
	}
	return nil
}

func (t *tx) UpdatePolicy(ctx context.Context, p domain.Policy) error {
	tag, err := t.PgTx.Exec(ctx, `
		UPDATE policies SET name = $2, active_version = $3, latest_version = $4, update_time = $5
		WHERE id = $1`, p.ID, p.Name, p.ActiveVersion, p.LatestVersion, p.UpdateTime)
	return t.q.Affected("update policy "+p.ID, tag, err)
}

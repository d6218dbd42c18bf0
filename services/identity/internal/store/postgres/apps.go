package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// permissionDoc and customRoleDoc are the JSON of the permissions and custom_roles columns.
type permissionDoc struct {
	Name       string `json:"name"`
	Privileged bool   `json:"privileged"`
}

type customRoleDoc struct {
	Name    string   `json:"name"`
	UserIDs []string `json:"user_ids"`
}

func permissionDocs(ps []domain.Permission) []permissionDoc {
	out := make([]permissionDoc, len(ps))
	for i, p := range ps {
		out[i] = permissionDoc{Name: p.Name, Privileged: p.Privileged}
	}
	return out
}

func customRoleDocs(rs []domain.CustomRole) []customRoleDoc {
	out := make([]customRoleDoc, len(rs))
	for i, r := range rs {
		out[i] = customRoleDoc{Name: r.Name, UserIDs: pgstore.OrEmpty(r.UserIDs)}
	}
	return out
}

const appColumns = `id, name, owner_ids, permissions, custom_roles, status, COALESCE(request_id, ''),
	create_time, update_time, version`

func scanApp(row pgx.CollectableRow) (domain.App, error) {
	var (
		a     domain.App
		perms []permissionDoc
		roles []customRoleDoc
	)
	err := row.Scan(&a.ID, &a.Name, &a.OwnerIDs, &perms, &roles, &a.Status, &a.RequestID,
		&a.CreateTime, &a.UpdateTime, &a.Version)
	if err != nil {
		return domain.App{}, err
	}
	a.Permissions = make([]domain.Permission, len(perms))
	for i, p := range perms {
		a.Permissions[i] = domain.Permission{Name: p.Name, Privileged: p.Privileged}
	}
	a.CustomRoles = make([]domain.CustomRole, len(roles))
	for i, r := range roles {
		a.CustomRoles[i] = domain.CustomRole{Name: r.Name, UserIDs: r.UserIDs}
	}
	return a, nil
}

func (r reader) GetApp(ctx context.Context, id string) (domain.App, error) {
	return pgstore.One(ctx, r.q, "get app "+id, scanApp, "SELECT "+appColumns+" FROM apps WHERE id = $1", id)
}

func (r reader) GetAppByName(ctx context.Context, name string) (domain.App, error) {
	return pgstore.One(ctx, r.q, "get app by name", scanApp,
		"SELECT "+appColumns+" FROM apps WHERE lower(name) = lower($1)", name)
}

func (r reader) GetApps(ctx context.Context, ids []string) ([]domain.App, error) {
	return pgstore.All(ctx, r.q, "get apps", scanApp,
		"SELECT "+appColumns+" FROM apps WHERE id = ANY($1) ORDER BY id", ids)
}

func (r reader) ListApps(ctx context.Context, f store.AppFilter, p store.Page) ([]domain.App, error) {
	// A nil f.IDs is NULL (no filter); an empty one matches no app.
	return pgstore.All(ctx, r.q, "list apps", scanApp, `
		SELECT `+appColumns+` FROM apps
		WHERE id > $1
		  AND ($2 = '' OR owner_ids @> ARRAY[$2::text])
		  AND ($3::text[] IS NULL OR id = ANY($3))
		ORDER BY id
		LIMIT $4`,
		p.After, f.OwnerID, f.IDs, pgstore.Limit(p.Size))
}

func (r reader) OwnedApps(ctx context.Context, userID string) ([]string, error) {
	return pgstore.All(ctx, r.q, "apps owned by "+userID, pgx.RowTo[string],
		"SELECT id FROM apps WHERE owner_ids @> ARRAY[$1::text] ORDER BY id", userID)
}

func (t *tx) CreateApp(ctx context.Context, a domain.App) error {
	tag, err := t.PgTx.Exec(ctx, `
		INSERT INTO apps (id, name, owner_ids, permissions, custom_roles, status, request_id,
			create_time, update_time, version)
		VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, ''), $8, $9, $10)
		ON CONFLICT DO NOTHING`,
		a.ID, a.Name, pgstore.OrEmpty(a.OwnerIDs), permissionDocs(a.Permissions), customRoleDocs(a.CustomRoles),
		a.Status, a.RequestID, a.CreateTime, a.UpdateTime, a.Version)
	return t.q.Inserted("create app "+a.ID, tag, err)
}

// UpdateApp writes a over version a.Version-1. As in UpdateUser, the name check in the
// statement keeps a taken name from aborting the transaction.
func (t *tx) UpdateApp(ctx context.Context, a domain.App) error {
	tag, err := t.PgTx.Exec(ctx, `
		UPDATE apps SET name = $2, owner_ids = $3, permissions = $4, custom_roles = $5, status = $6,
			request_id = NULLIF($7, ''), create_time = $8, update_time = $9, version = $10
		WHERE id = $1 AND version = $10::bigint - 1
		  AND NOT EXISTS (SELECT 1 FROM apps other WHERE lower(other.name) = lower($2) AND other.id <> $1)`,
		a.ID, a.Name, pgstore.OrEmpty(a.OwnerIDs), permissionDocs(a.Permissions), customRoleDocs(a.CustomRoles),
		a.Status, a.RequestID, a.CreateTime, a.UpdateTime, a.Version)
	return pgstore.Updated(ctx, t.q, "update app "+a.ID, "apps", a.ID, tag, err)
}

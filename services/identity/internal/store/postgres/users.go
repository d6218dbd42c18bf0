package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

const userColumns = `id, email, display_name, role, COALESCE(manager_id, ''), status, bootstrap,
	create_time, update_time, version, external_id`

var scanUser = pgstore.Fields(func(u *domain.User) []any {
	return []any{&u.ID, &u.Email, &u.DisplayName, &u.Role, &u.ManagerID, &u.Status, &u.Bootstrap,
		&u.CreateTime, &u.UpdateTime, &u.Version, &u.ExternalID}
})

func (r reader) GetUser(ctx context.Context, id string) (domain.User, error) {
	return pgstore.One(ctx, r.q, "get user "+id, scanUser, "SELECT "+userColumns+" FROM users WHERE id = $1", id)
}

func (r reader) GetUserByEmail(ctx context.Context, email string) (domain.User, error) {
	return pgstore.One(ctx, r.q, "get user by email", scanUser,
		"SELECT "+userColumns+" FROM users WHERE lower(email) = lower($1)", email)
}

func (r reader) GetUsers(ctx context.Context, ids []string) ([]domain.User, error) {
	return pgstore.All(ctx, r.q, "get users", scanUser,
		"SELECT "+userColumns+" FROM users WHERE id = ANY($1) ORDER BY id", ids)
}

func (r reader) ListUsers(ctx context.Context, f store.UserFilter, p store.Page) ([]domain.User, error) {
	// A nil f.IDs is NULL (no filter); an empty one matches nobody.
	return pgstore.All(ctx, r.q, "list users", scanUser, `
		SELECT `+userColumns+` FROM users
		WHERE id > $1
		  AND ($2 = '' OR manager_id = $2)
		  AND ($3::text[] IS NULL OR id = ANY($3))
		  AND ($4 = '' OR role = $4)
		  AND (NOT $5 OR status = $6)
		  AND ($8 = '' OR lower(email) = lower($8))
		  AND ($9 = '' OR external_id = $9)
		  AND ($10 = '' OR lower(display_name) = lower($10))
		ORDER BY id
		LIMIT $7`,
		p.After, f.ManagerID, f.IDs, f.Role, f.ActiveOnly, domain.UserActive, pgstore.Limit(p.Size),
		f.Email, f.ExternalID, f.DisplayName)
}

func (r reader) DirectReports(ctx context.Context, managerID string) ([]string, error) {
	return pgstore.All(ctx, r.q, "direct reports of "+managerID, pgx.RowTo[string],
		"SELECT id FROM users WHERE manager_id = $1 ORDER BY id", managerID)
}

func (r reader) HasReports(ctx context.Context, ids []string) (map[string]bool, error) {
	managers, err := pgstore.All(ctx, r.q, "has reports", pgx.RowTo[string],
		"SELECT DISTINCT manager_id FROM users WHERE manager_id = ANY($1) AND status = $2",
		ids, domain.UserActive)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(managers))
	for _, id := range managers {
		out[id] = true
	}
	return out, nil
}

func (t *tx) CreateUser(ctx context.Context, u domain.User) error {
	tag, err := t.PgTx.Exec(ctx, `
		INSERT INTO users (id, email, display_name, role, manager_id, status, bootstrap,
			create_time, update_time, version, external_id)
		VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6, $7, $8, $9, $10, $11)
		ON CONFLICT DO NOTHING`,
		u.ID, u.Email, u.DisplayName, u.Role, u.ManagerID, u.Status, u.Bootstrap,
		u.CreateTime, u.UpdateTime, u.Version, u.ExternalID)
	return t.q.Inserted("create user "+u.ID, tag, err)
}

// UpdateUser writes u over version u.Version-1. The email check in the statement keeps a
// taken email from aborting the transaction; the unique index still decides a race.
func (t *tx) UpdateUser(ctx context.Context, u domain.User) error {
	tag, err := t.PgTx.Exec(ctx, `
		UPDATE users SET email = $2, display_name = $3, role = $4, manager_id = NULLIF($5, ''),
			status = $6, bootstrap = $7, create_time = $8, update_time = $9, version = $10,
			external_id = $11
		WHERE id = $1 AND version = $10::bigint - 1
		  AND NOT EXISTS (SELECT 1 FROM users other WHERE lower(other.email) = lower($2) AND other.id <> $1)`,
		u.ID, u.Email, u.DisplayName, u.Role, u.ManagerID, u.Status, u.Bootstrap,
		u.CreateTime, u.UpdateTime, u.Version, u.ExternalID)
	return pgstore.Updated(ctx, t.q, "update user "+u.ID, "users", u.ID, tag, err)
}

package postgres

import (
	"context"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

const groupColumns = "id, name, description, member_ids, create_time, update_time, version"

var scanGroup = pgstore.Fields(func(g *domain.Group) []any {
	return []any{&g.ID, &g.Name, &g.Description, &g.MemberIDs, &g.CreateTime, &g.UpdateTime, &g.Version}
})

func (r reader) GetGroup(ctx context.Context, id string) (domain.Group, error) {
	return pgstore.One(ctx, r.q, "get group "+id, scanGroup, "SELECT "+groupColumns+" FROM groups WHERE id = $1", id)
}

func (r reader) GetGroups(ctx context.Context, ids []string) ([]domain.Group, error) {
	return pgstore.All(ctx, r.q, "get groups", scanGroup,
		"SELECT "+groupColumns+" FROM groups WHERE id = ANY($1) ORDER BY id", ids)
}

func (r reader) ListGroups(ctx context.Context, p store.Page) ([]domain.Group, error) {
	return pgstore.All(ctx, r.q, "list groups", scanGroup,
		"SELECT "+groupColumns+" FROM groups WHERE id > $1 ORDER BY id LIMIT $2", p.After, pgstore.Limit(p.Size))
}

func (t *tx) CreateGroup(ctx context.Context, g domain.Group) error {
	tag, err := t.PgTx.Exec(ctx, `
		INSERT INTO groups (id, name, description, member_ids, create_time, update_time, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT DO NOTHING`,
		g.ID, g.Name, g.Description, pgstore.OrEmpty(g.MemberIDs), g.CreateTime, g.UpdateTime, g.Version)
	return t.q.Inserted("create group "+g.ID, tag, err)
}

func (t *tx) UpdateGroup(ctx context.Context, g domain.Group) error {
	tag, err := t.PgTx.Exec(ctx, `
		UPDATE groups SET name = $2, description = $3, member_ids = $4, create_time = $5,
			update_time = $6, version = $7
		WHERE id = $1 AND version = $7::bigint - 1`,
		g.ID, g.Name, g.Description, pgstore.OrEmpty(g.MemberIDs), g.CreateTime, g.UpdateTime, g.Version)
	return pgstore.Updated(ctx, t.q, "update group "+g.ID, "groups", g.ID, tag, err)
}

func (t *tx) DeleteGroup(ctx context.Context, id string) error {
	tag, err := t.PgTx.Exec(ctx, "DELETE FROM groups WHERE id = $1", id)
	return t.q.Affected("delete group "+id, tag, err)
}

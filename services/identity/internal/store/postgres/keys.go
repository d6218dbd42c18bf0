package postgres

import (
	"context"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
)

const keyColumns = "id, user_id, display_name, hash, create_time, revoke_time, created_by"

var scanKey = pgstore.Fields(func(k *domain.APIKey) []any {
	return []any{&k.ID, &k.UserID, &k.DisplayName, &k.Hash, &k.CreateTime, pgstore.ZeroIfNull(&k.RevokeTime), &k.CreatedBy}
})

func (r reader) GetAPIKeyByHash(ctx context.Context, hash []byte) (domain.APIKey, error) {
	return pgstore.One(ctx, r.q, "get api key by hash", scanKey, "SELECT "+keyColumns+" FROM api_keys WHERE hash = $1", hash)
}

func (r reader) GetAPIKey(ctx context.Context, id string) (domain.APIKey, error) {
	return pgstore.One(ctx, r.q, "get api key "+id, scanKey, "SELECT "+keyColumns+" FROM api_keys WHERE id = $1", id)
}

func (r reader) ListAPIKeys(ctx context.Context, userID string) ([]domain.APIKey, error) {
	return pgstore.All(ctx, r.q, "list api keys of "+userID, scanKey,
		"SELECT "+keyColumns+" FROM api_keys WHERE user_id = $1 ORDER BY id", userID)
}

func (t *tx) CreateAPIKey(ctx context.Context, k domain.APIKey) error {
	tag, err := t.PgTx.Exec(ctx, `
		INSERT INTO api_keys (id, user_id, display_name, hash, create_time, revoke_time, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT DO NOTHING`,
		k.ID, k.UserID, k.DisplayName, k.Hash, k.CreateTime, pgstore.NullTime(k.RevokeTime), k.CreatedBy)
	return t.q.Inserted("create api key "+k.ID, tag, err)
}

// RevokeAPIKey writes k's changeable fields, its RevokeTime and DisplayName, to key id. The
// owner, hash and creation time of a key never change.
func (t *tx) RevokeAPIKey(ctx context.Context, id string, k domain.APIKey) error {
	tag, err := t.PgTx.Exec(ctx,
		"UPDATE api_keys SET display_name = $2, revoke_time = $3 WHERE id = $1",
		id, k.DisplayName, pgstore.NullTime(k.RevokeTime))
	return t.q.Affected("revoke api key "+id, tag, err)
}

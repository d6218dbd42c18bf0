package postgres

import (
	"context"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

const accessColumns = "user_id, app_id, permission, grant_time, COALESCE(request_id, ''), expire_time"

var scanAccess = pgstore.Fields(func(a *domain.Access) []any {
	return []any{&a.UserID, &a.AppID, &a.Permission, &a.GrantTime, &a.RequestID, pgstore.ZeroIfNull(&a.ExpireTime)}
})

func (r reader) GetAccess(ctx context.Context, userID, appID string) (domain.Access, error) {
	return pgstore.One(ctx, r.q, "get access of "+userID+" to "+appID, scanAccess,
		"SELECT "+accessColumns+" FROM accesses WHERE user_id = $1 AND app_id = $2", userID, appID)
}

func (r reader) ListAccesses(ctx context.Context, f store.AccessFilter, p store.AccessPage) ([]domain.Access, error) {
	perms := f.Permissions
	if len(perms) == 0 {
		perms = nil // no permission filter
	}
	// Paging starts after the pair (AfterUserID, AfterAppID) when AfterUserID is set.
	return pgstore.All(ctx, r.q, "list accesses", scanAccess, `
		SELECT `+accessColumns+` FROM accesses
		WHERE ($1 = '' OR user_id = $1)
		  AND ($2 = '' OR app_id = $2)
		  AND ($3::text[] IS NULL OR permission = ANY($3))
		  AND (NOT $4 OR user_id = ANY($5) OR app_id = ANY($6))
		  AND ($7 = '' OR (user_id, app_id) > ($7, $8))
		ORDER BY user_id, app_id
		LIMIT $9`,
		f.UserID, f.AppID, perms, f.Restricted, pgstore.OrEmpty(f.VisibleUserIDs), pgstore.OrEmpty(f.VisibleAppIDs),
		p.AfterUserID, p.AfterAppID, pgstore.Limit(p.Size))
}

// PutAccess inserts a, or replaces the access the user holds to the app.
func (t *tx) PutAccess(ctx context.Context, a domain.Access) error {
	_, err := t.PgTx.Exec(ctx, `
		INSERT INTO accesses (user_id, app_id, permission, grant_time, request_id, expire_time)
		VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6)
		ON CONFLICT (user_id, app_id) DO UPDATE
		SET permission = EXCLUDED.permission, grant_time = EXCLUDED.grant_time, request_id = EXCLUDED.request_id,
			expire_time = EXCLUDED.expire_time`,
		a.UserID, a.AppID, a.Permission, a.GrantTime, a.RequestID, pgstore.NullTime(a.ExpireTime))
	return t.q.Wrap("put access of "+a.UserID+" to "+a.AppID, err)
}

func (t *tx) DeleteAccess(ctx context.Context, userID, appID string) error {
	tag, err := t.PgTx.Exec(ctx, "DELETE FROM accesses WHERE user_id = $1 AND app_id = $2", userID, appID)
	return t.q.Affected("delete access of "+userID+" to "+appID, tag, err)
}

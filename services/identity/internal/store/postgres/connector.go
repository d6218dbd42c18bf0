package postgres

import (
	"context"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
)

const connectorColumns = "app_id, url, sealed_secret, updated_by, create_time, update_time"

var scanConnector = pgstore.Fields(func(c *domain.AppConnector) []any {
	return []any{&c.AppID, &c.URL, &c.SealedSecret, &c.UpdatedBy, &c.CreateTime, &c.UpdateTime}
})

func (r reader) GetAppConnector(ctx context.Context, appID string) (domain.AppConnector, error) {
	return pgstore.One(ctx, r.q, "get connector of app "+appID, scanConnector,
		"SELECT "+connectorColumns+" FROM app_connectors WHERE app_id = $1", appID)
}

func (t *tx) PutAppConnector(ctx context.Context, c domain.AppConnector) error {
	_, err := t.PgTx.Exec(ctx, `
		INSERT INTO app_connectors (`+connectorColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (app_id) DO UPDATE SET url = EXCLUDED.url, sealed_secret = EXCLUDED.sealed_secret,
			updated_by = EXCLUDED.updated_by, update_time = EXCLUDED.update_time`,
		c.AppID, c.URL, c.SealedSecret, c.UpdatedBy, c.CreateTime, c.UpdateTime)
	return t.q.Wrap("put connector of app "+c.AppID, err)
}

func (t *tx) DeleteAppConnector(ctx context.Context, appID string) error {
	tag, err := t.PgTx.Exec(ctx, "DELETE FROM app_connectors WHERE app_id = $1", appID)
	return t.q.Affected("delete connector of app "+appID, tag, err)
}

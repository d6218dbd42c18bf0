package postgres

import (
	"context"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
)

const oidcColumns = "issuer, subject, user_id, create_time"

var scanOIDC = pgstore.Fields(func(b *domain.OIDCBinding) []any {
	return []any{&b.Issuer, &b.Subject, &b.UserID, &b.CreateTime}
})

func (r reader) GetOIDCBinding(ctx context.Context, issuer, subject string) (domain.OIDCBinding, error) {
	return pgstore.One(ctx, r.q, "get oidc binding", scanOIDC,
		"SELECT "+oidcColumns+" FROM oidc_bindings WHERE issuer = $1 AND subject = $2", issuer, subject)
}

func (r reader) GetOIDCBindingOfUser(ctx context.Context, issuer, userID string) (domain.OIDCBinding, error) {
	return pgstore.One(ctx, r.q, "get oidc binding of "+userID, scanOIDC,
		"SELECT "+oidcColumns+" FROM oidc_bindings WHERE issuer = $1 AND user_id = $2", issuer, userID)
}

func (t *tx) BindOIDC(ctx context.Context, b domain.OIDCBinding) error {
	tag, err := t.PgTx.Exec(ctx, `
		INSERT INTO oidc_bindings (issuer, subject, user_id, create_time) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, b.Issuer, b.Subject, b.UserID, b.CreateTime)
	return t.q.Inserted("bind oidc identity of "+b.UserID, tag, err)
}

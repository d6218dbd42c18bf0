package memory

import (
	"context"

	"github.com/grantflow/grantflow/pkg/memstore"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

type oidcKey struct{ issuer, subject string }

func (st *state) GetOIDCBinding(_ context.Context, issuer, subject string) (domain.OIDCBinding, error) {
	if b, ok := st.oidc[oidcKey{issuer, subject}]; ok {
		return b, nil
	}
	return domain.OIDCBinding{}, store.ErrNotFound
}

func (st *state) GetOIDCBindingOfUser(_ context.Context, issuer, userID string) (domain.OIDCBinding, error) {
	for k, b := range st.oidc {
		if k.issuer == issuer && b.UserID == userID {
			return b, nil
		}
	}
	return domain.OIDCBinding{}, store.ErrNotFound
}

func (s *Store) GetOIDCBinding(ctx context.Context, issuer, subject string) (domain.OIDCBinding, error) {
	return memstore.View(s.Engine, func(st *state) (domain.OIDCBinding, error) { return st.GetOIDCBinding(ctx, issuer, subject) })
}

func (s *Store) GetOIDCBindingOfUser(ctx context.Context, issuer, userID string) (domain.OIDCBinding, error) {
	return memstore.View(s.Engine, func(st *state) (domain.OIDCBinding, error) { return st.GetOIDCBindingOfUser(ctx, issuer, userID) })
}

func (t *tx) BindOIDC(ctx context.Context, b domain.OIDCBinding) error {
	if _, err := t.GetOIDCBinding(ctx, b.Issuer, b.Subject); err == nil {
		return store.ErrConflict
	}
	if _, err := t.GetOIDCBindingOfUser(ctx, b.Issuer, b.UserID); err == nil {
		return store.ErrConflict
	}
	if t.oidc == nil {
		t.oidc = map[oidcKey]domain.OIDCBinding{}
	}
	k := oidcKey{b.Issuer, b.Subject}
	memstore.Put(t.Tx, t.oidc, k, b)
	return nil
}

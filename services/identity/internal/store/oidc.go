package store

import (
	"context"

	"github.com/grantflow/grantflow/services/identity/internal/domain"
)

// OIDCReader reads the bindings of OIDC identities to users.
type OIDCReader interface {
	// GetOIDCBinding returns the binding of (issuer, subject); ErrNotFound if none.
	GetOIDCBinding(ctx context.Context, issuer, subject string) (domain.OIDCBinding, error)
	// GetOIDCBindingOfUser returns userID's binding at issuer; ErrNotFound if none.
	GetOIDCBindingOfUser(ctx context.Context, issuer, userID string) (domain.OIDCBinding, error)
}

// OIDCWriter records bindings of OIDC identities to users.
type OIDCWriter interface {
	// BindOIDC records b; ErrConflict when (issuer, subject), or (issuer, user), is bound.
	BindOIDC(ctx context.Context, b domain.OIDCBinding) error
}

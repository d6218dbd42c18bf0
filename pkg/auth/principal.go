package auth

import (
	"context"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
)

// SystemUserID is the actor of work the system does by itself (relay deliveries, the agent).
const SystemUserID = "system"

// Principal is an authenticated caller.
type Principal struct {
	UserID string
	Role   identityv1.Role
	// CredentialKind and CredentialID say how the caller proved who they are
	// (API key id, token issuer/subject, or "system").
	CredentialKind identityv1.CredentialKind
	CredentialID   string
	// MintedBy is who minted the credential (an API key's creator; empty for the bootstrap
	// key and OIDC tokens). Maker-checker: a credential minted by a request's requester or
	// target never decides a task of that request.
	MintedBy string
	// Internal is true when the call came from another Grantflow service (it carried a
	// valid internal token), whoever the original caller was.
	Internal bool
}

// IsSystem reports whether the principal is the system itself.
func (p Principal) IsSystem() bool { return p.UserID == SystemUserID }

// System is the principal of work the system does by itself.
func System() Principal {
	return Principal{UserID: SystemUserID, Role: identityv1.Role_ADMIN, CredentialKind: identityv1.CredentialKind_SYSTEM, CredentialID: "system"}
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller of the current call.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Authenticator turns a bearer credential into a principal. It returns an
// errs.Unauthenticated error for a credential that is unknown, revoked or expired.
type Authenticator interface {
	Authenticate(ctx context.Context, credential string) (Principal, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, credential string) (Principal, error)

func (f AuthenticatorFunc) Authenticate(ctx context.Context, credential string) (Principal, error) {
	return f(ctx, credential)
}

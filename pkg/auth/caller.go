package auth

import (
	"context"

	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
)

// Caller returns the principal of the call and its subject for the permissions matrix (see
// SubjectOf); UNAUTHENTICATED when the call carries none.
func Caller(ctx context.Context) (Principal, authz.Subject, error) {
	p, ok := FromContext(ctx)
	if !ok || p.UserID == "" {
		return p, authz.Subject{}, errs.Unauthenticated("no caller")
	}
	return p, SubjectOf(p), nil
}

// SubjectOf is the subject of p: the system principal is an Admin; anyone else has the role
// the credential was authenticated with, and is active (identity authenticates no offboarded
// user), unless the role is unknown: then the subject may do nothing (authz fails closed). A
// service that keeps the directory (identity) reads the user instead.
func SubjectOf(p Principal) authz.Subject {
	if p.IsSystem() {
		return authz.Subject{UserID: p.UserID, Role: authz.RoleAdmin, Active: true}
	}
	role, known := authz.ParseRole(p.Role.String())
	return authz.Subject{UserID: p.UserID, Role: role, Active: known, MintedBy: p.MintedBy}
}

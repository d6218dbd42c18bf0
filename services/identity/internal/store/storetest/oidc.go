package storetest

import (
	"context"
	"testing"

	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// testOIDCBindings: a binding is found by (issuer, subject) and by (issuer, user); a second
// binding of either is a conflict; the same subject at another issuer is another identity.
func testOIDCBindings(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := domain.OIDCBinding{Issuer: "https://idp", Subject: "sub-1", UserID: "u1", CreateTime: at(10)}
	_, err := s.GetOIDCBinding(ctx, b.Issuer, b.Subject)
	wantErr(t, "GetOIDCBinding(none)", err, store.ErrNotFound)
	write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.BindOIDC(ctx, b) })
	check(t, "GetOIDCBinding", must(s.GetOIDCBinding(ctx, b.Issuer, b.Subject))(t), b)
	check(t, "GetOIDCBindingOfUser", must(s.GetOIDCBindingOfUser(ctx, b.Issuer, "u1"))(t), b)
	for name, again := range map[string]domain.OIDCBinding{
		"subject bound to another user": {Issuer: b.Issuer, Subject: b.Subject, UserID: "u2", CreateTime: at(11)},
		"user bound to another subject": {Issuer: b.Issuer, Subject: "sub-2", UserID: "u1", CreateTime: at(11)},
	} {
		err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.BindOIDC(ctx, again) })
		wantErr(t, "BindOIDC("+name+")", err, store.ErrConflict)
	}
	other := domain.OIDCBinding{Issuer: "https://other-idp", Subject: "sub-1", UserID: "u1", CreateTime: at(12)}
	write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.BindOIDC(ctx, other) })
	check(t, "GetOIDCBinding(other issuer)", must(s.GetOIDCBinding(ctx, other.Issuer, other.Subject))(t), other)
	check(t, "GetOIDCBinding(first issuer)", must(s.GetOIDCBinding(ctx, b.Issuer, b.Subject))(t), b)
}

package storetest

import (
	"context"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// OIDCBindings: a binding is found by (issuer, subject) and by (issuer, user); a second
// binding of either is a conflict; the same subject at another issuer is another identity.
func (Cases) OIDCBindings(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := domain.OIDCBinding{Issuer: "https://idp", Subject: "sub-1", UserID: "u1", CreateTime: storetestkit.At(10)}
	_, err := s.GetOIDCBinding(ctx, b.Issuer, b.Subject)
	storetestkit.WantErr(t, "GetOIDCBinding(none)", err, store.ErrNotFound)
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.BindOIDC(ctx, b) })
	storetestkit.Check(t, "GetOIDCBinding", storetestkit.Must(s.GetOIDCBinding(ctx, b.Issuer, b.Subject))(t), b)
	storetestkit.Check(t, "GetOIDCBindingOfUser", storetestkit.Must(s.GetOIDCBindingOfUser(ctx, b.Issuer, "u1"))(t), b)
	for name, again := range map[string]domain.OIDCBinding{
		"subject bound to another user": {Issuer: b.Issuer, Subject: b.Subject, UserID: "u2", CreateTime: storetestkit.At(11)},
		"user bound to another subject": {Issuer: b.Issuer, Subject: "sub-2", UserID: "u1", CreateTime: storetestkit.At(11)},
	} {
		err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.BindOIDC(ctx, again) })
		storetestkit.WantErr(t, "BindOIDC("+name+")", err, store.ErrConflict)
	}
	other := domain.OIDCBinding{Issuer: "https://other-idp", Subject: "sub-1", UserID: "u1", CreateTime: storetestkit.At(12)}
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.BindOIDC(ctx, other) })
	storetestkit.Check(t, "GetOIDCBinding(other issuer)", storetestkit.Must(s.GetOIDCBinding(ctx, other.Issuer, other.Subject))(t), other)
	storetestkit.Check(t, "GetOIDCBinding(first issuer)", storetestkit.Must(s.GetOIDCBinding(ctx, b.Issuer, b.Subject))(t), b)
}

package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

var errRollback = errors.New("storetest: roll back")

// AppConnectors: a connector is put, read, replaced and deleted by app id; a missing
// one is ErrNotFound; a rolled-back put leaves nothing.
func (Cases) AppConnectors(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetAppConnector(ctx, "a1")
	storetestkit.WantErr(t, "GetAppConnector(none)", err, store.ErrNotFound)
	c := domain.AppConnector{AppID: "a1", URL: "https://hooks.example.com/p?x=1", SealedSecret: []byte{1, 2, 3},
		UpdatedBy: "u1", CreateTime: storetestkit.At(10), UpdateTime: storetestkit.At(10)}
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutAppConnector(ctx, c) })
	storetestkit.Check(t, "GetAppConnector", storetestkit.Must(s.GetAppConnector(ctx, "a1"))(t), c)
	c2 := c
	c2.URL, c2.SealedSecret, c2.UpdatedBy, c2.UpdateTime = "https://other.example.com/", []byte{4}, "u2", storetestkit.At(11)
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.PutAppConnector(ctx, c2) })
	storetestkit.Check(t, "GetAppConnector(replaced)", storetestkit.Must(s.GetAppConnector(ctx, "a1"))(t), c2)

	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.PutAppConnector(ctx, domain.AppConnector{AppID: "a2", URL: "https://x.example.com", SealedSecret: []byte{9},
			UpdatedBy: "u1", CreateTime: storetestkit.At(12), UpdateTime: storetestkit.At(12)}); err != nil {
			return err
		}
		return errRollback
	})
	storetestkit.WantErr(t, "rolled back", err, errRollback)
	_, err = s.GetAppConnector(ctx, "a2")
	storetestkit.WantErr(t, "GetAppConnector(rolled back)", err, store.ErrNotFound)

	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteAppConnector(ctx, "a1") })
	_, err = s.GetAppConnector(ctx, "a1")
	storetestkit.WantErr(t, "GetAppConnector(deleted)", err, store.ErrNotFound)
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.DeleteAppConnector(ctx, "a1") })
	storetestkit.WantErr(t, "DeleteAppConnector(none)", err, store.ErrNotFound)
}

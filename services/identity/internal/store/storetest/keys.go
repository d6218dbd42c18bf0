package storetest

import (
	"context"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

func (Cases) APIKeyRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := newKey("k1", "u1")
	// A hash with every byte value a text column would mangle.
	k.Hash = []byte{0x00, 0xff, 0x10, 0x00, 0x80, 'a'}
	createKeys(t, s, k, newKey("k2", "u1"))

	storetestkit.Check(t, "GetAPIKey", storetestkit.Must(s.GetAPIKey(ctx, "k1"))(t), k)
	storetestkit.Check(t, "GetAPIKeyByHash", storetestkit.Must(s.GetAPIKeyByHash(ctx, []byte{0x00, 0xff, 0x10, 0x00, 0x80, 'a'}))(t), k)
	if got := storetestkit.Must(s.GetAPIKey(ctx, "k1"))(t); got.Revoked() {
		t.Errorf("new key is revoked: RevokeTime = %v", got.RevokeTime)
	}

	_, err := s.GetAPIKey(ctx, "ghost")
	storetestkit.WantErr(t, "GetAPIKey(ghost)", err, store.ErrNotFound)
	for _, h := range [][]byte{[]byte("nope"), {0x00, 0xff, 0x10, 0x00, 0x80}, nil} {
		_, err := s.GetAPIKeyByHash(ctx, h)
		storetestkit.WantErr(t, "GetAPIKeyByHash(unknown)", err, store.ErrNotFound)
	}
}

func (Cases) APIKeyIDAndHashUnique(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := newKey("k1", "u1")
	createKeys(t, s, k)

	sameHash := newKey("k2", "u2")
	sameHash.Hash = k.Hash
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.CreateAPIKey(ctx, sameHash) })
	storetestkit.WantErr(t, "CreateAPIKey(same hash)", err, store.ErrConflict)
	_, err = s.GetAPIKey(ctx, "k2")
	storetestkit.WantErr(t, "GetAPIKey(rejected)", err, store.ErrNotFound)

	sameID := newKey("k1", "u2")
	sameID.Hash = []byte("other")
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.CreateAPIKey(ctx, sameID) })
	storetestkit.WantErr(t, "CreateAPIKey(same id)", err, store.ErrConflict)
	_, err = s.GetAPIKeyByHash(ctx, []byte("other"))
	storetestkit.WantErr(t, "GetAPIKeyByHash(rejected)", err, store.ErrNotFound)
	storetestkit.Check(t, "GetAPIKey after conflicts", storetestkit.Must(s.GetAPIKey(ctx, "k1"))(t), k)
}

func (Cases) ListAPIKeysByUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	k3, k1, k2, other := newKey("k3", "u1"), newKey("k1", "u1"), newKey("k2", "u1"), newKey("k0", "u2")
	createKeys(t, s, k3, other, k1, k2)

	storetestkit.Check(t, "ListAPIKeys(u1)", storetestkit.Must(s.ListAPIKeys(ctx, "u1"))(t), []domain.APIKey{k1, k2, k3})
	storetestkit.Check(t, "ListAPIKeys(u2)", storetestkit.Must(s.ListAPIKeys(ctx, "u2"))(t), []domain.APIKey{other})
	storetestkit.Check(t, "ListAPIKeys(u9)", storetestkit.Must(s.ListAPIKeys(ctx, "u9"))(t), []domain.APIKey{})
}

func (Cases) RevokeAPIKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	createKeys(t, s, newKey("k1", "u1"), newKey("k2", "u1"))

	// The service revokes the key as it read it, with RevokeTime set.
	revoked := storetestkit.Must(s.GetAPIKey(ctx, "k1"))(t)
	revoked.RevokeTime = storetestkit.At(70)
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.RevokeAPIKey(ctx, "k1", revoked) })

	got := storetestkit.Must(s.GetAPIKey(ctx, "k1"))(t)
	storetestkit.Check(t, "GetAPIKey(revoked)", got, revoked)
	if !got.Revoked() {
		t.Error("revoked key reports Revoked() = false")
	}
	// Lookup by hash still finds it, so that authentication can tell it is revoked.
	storetestkit.Check(t, "GetAPIKeyByHash(revoked)", storetestkit.Must(s.GetAPIKeyByHash(ctx, revoked.Hash))(t), revoked)
	storetestkit.Check(t, "ListAPIKeys", storetestkit.Must(s.ListAPIKeys(ctx, "u1"))(t), []domain.APIKey{revoked, newKey("k2", "u1")})

	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.RevokeAPIKey(ctx, "ghost", domain.APIKey{ID: "ghost", RevokeTime: storetestkit.At(71)})
	})
	storetestkit.WantErr(t, "RevokeAPIKey(ghost)", err, store.ErrNotFound)
}

func (Cases) RecordAppliedOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	got, err := s.AppliedRequest(ctx, "r1")
	storetestkit.WantErr(t, "AppliedRequest(before)", err, store.ErrNotFound)
	if got != "" {
		t.Errorf("AppliedRequest(before) = %q, want empty", got)
	}

	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.RecordApplied(ctx, "r1", "GRANTED u1/a1"); err != nil {
			return err
		}
		return tx.RecordApplied(ctx, "r2", "")
	})
	storetestkit.Check(t, "AppliedRequest(r1)", storetestkit.Must(s.AppliedRequest(ctx, "r1"))(t), "GRANTED u1/a1")
	storetestkit.Check(t, "AppliedRequest(r2, empty result)", storetestkit.Must(s.AppliedRequest(ctx, "r2"))(t), "")

	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.RecordApplied(ctx, "r1", "again") })
	storetestkit.WantErr(t, "RecordApplied(twice)", err, store.ErrConflict)
	storetestkit.Check(t, "AppliedRequest(r1) after conflict", storetestkit.Must(s.AppliedRequest(ctx, "r1"))(t), "GRANTED u1/a1")
}

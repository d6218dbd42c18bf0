package storetest

import (
	"context"
	"testing"

	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

func testAPIKeyRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := newKey("k1", "u1")
	// A hash with every byte value a text column would mangle.
	k.Hash = []byte{0x00, 0xff, 0x10, 0x00, 0x80, 'a'}
	createKeys(t, s, k, newKey("k2", "u1"))

	check(t, "GetAPIKey", must(s.GetAPIKey(ctx, "k1"))(t), k)
	check(t, "GetAPIKeyByHash", must(s.GetAPIKeyByHash(ctx, []byte{0x00, 0xff, 0x10, 0x00, 0x80, 'a'}))(t), k)
	if got := must(s.GetAPIKey(ctx, "k1"))(t); got.Revoked() {
		t.Errorf("new key is revoked: RevokeTime = %v", got.RevokeTime)
	}

	_, err := s.GetAPIKey(ctx, "ghost")
	wantErr(t, "GetAPIKey(ghost)", err, store.ErrNotFound)
	for _, h := range [][]byte{[]byte("nope"), {0x00, 0xff, 0x10, 0x00, 0x80}, nil} {
		_, err := s.GetAPIKeyByHash(ctx, h)
		wantErr(t, "GetAPIKeyByHash(unknown)", err, store.ErrNotFound)
	}
}

func testAPIKeyUnique(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := newKey("k1", "u1")
	createKeys(t, s, k)

	sameHash := newKey("k2", "u2")
	sameHash.Hash = k.Hash
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.CreateAPIKey(ctx, sameHash) })
	wantErr(t, "CreateAPIKey(same hash)", err, store.ErrConflict)
	_, err = s.GetAPIKey(ctx, "k2")
	wantErr(t, "GetAPIKey(rejected)", err, store.ErrNotFound)

	sameID := newKey("k1", "u2")
	sameID.Hash = []byte("other")
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.CreateAPIKey(ctx, sameID) })
	wantErr(t, "CreateAPIKey(same id)", err, store.ErrConflict)
	_, err = s.GetAPIKeyByHash(ctx, []byte("other"))
	wantErr(t, "GetAPIKeyByHash(rejected)", err, store.ErrNotFound)
	check(t, "GetAPIKey after conflicts", must(s.GetAPIKey(ctx, "k1"))(t), k)
}

func testListAPIKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	k3, k1, k2, other := newKey("k3", "u1"), newKey("k1", "u1"), newKey("k2", "u1"), newKey("k0", "u2")
	createKeys(t, s, k3, other, k1, k2)

	check(t, "ListAPIKeys(u1)", must(s.ListAPIKeys(ctx, "u1"))(t), []domain.APIKey{k1, k2, k3})
	check(t, "ListAPIKeys(u2)", must(s.ListAPIKeys(ctx, "u2"))(t), []domain.APIKey{other})
	check(t, "ListAPIKeys(u9)", must(s.ListAPIKeys(ctx, "u9"))(t), []domain.APIKey{})
}

func testRevokeAPIKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	createKeys(t, s, newKey("k1", "u1"), newKey("k2", "u1"))

	// The service revokes the key as it read it, with RevokeTime set.
	revoked := must(s.GetAPIKey(ctx, "k1"))(t)
	revoked.RevokeTime = at(70)
	write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.RevokeAPIKey(ctx, "k1", revoked) })

	got := must(s.GetAPIKey(ctx, "k1"))(t)
	check(t, "GetAPIKey(revoked)", got, revoked)
	if !got.Revoked() {
		t.Error("revoked key reports Revoked() = false")
	}
	// Lookup by hash still finds it, so that authentication can tell it is revoked.
	check(t, "GetAPIKeyByHash(revoked)", must(s.GetAPIKeyByHash(ctx, revoked.Hash))(t), revoked)
	check(t, "ListAPIKeys", must(s.ListAPIKeys(ctx, "u1"))(t), []domain.APIKey{revoked, newKey("k2", "u1")})

	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.RevokeAPIKey(ctx, "ghost", domain.APIKey{ID: "ghost", RevokeTime: at(71)})
	})
	wantErr(t, "RevokeAPIKey(ghost)", err, store.ErrNotFound)
}

func testRecordApplied(t *testing.T, s store.Store) {
	ctx := t.Context()
	got, err := s.AppliedRequest(ctx, "r1")
	wantErr(t, "AppliedRequest(before)", err, store.ErrNotFound)
	if got != "" {
		t.Errorf("AppliedRequest(before) = %q, want empty", got)
	}

	write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.RecordApplied(ctx, "r1", "GRANTED u1/a1"); err != nil {
			return err
		}
		return tx.RecordApplied(ctx, "r2", "")
	})
	check(t, "AppliedRequest(r1)", must(s.AppliedRequest(ctx, "r1"))(t), "GRANTED u1/a1")
	check(t, "AppliedRequest(r2, empty result)", must(s.AppliedRequest(ctx, "r2"))(t), "")

	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.RecordApplied(ctx, "r1", "again") })
	wantErr(t, "RecordApplied(twice)", err, store.ErrConflict)
	check(t, "AppliedRequest(r1) after conflict", must(s.AppliedRequest(ctx, "r1"))(t), "GRANTED u1/a1")
}

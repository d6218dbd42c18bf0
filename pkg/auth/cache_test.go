package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/rediscache"
	"github.com/grantflow/grantflow/pkg/testenv"
)

// TestPrincipalCacheEntriesCannotBeForged: whoever can write Redis but does not hold the
// internal secret cannot make the cache answer an Admin for their credential: neither by
// writing an entry of their own, nor by copying an Admin's entry under their credential's
// key. Such entries are misses, and identity (here: a fake) answers instead.
func TestPrincipalCacheEntriesCannotBeForged(t *testing.T) {
	rdb, err := rediscache.Open(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "gf:test:" + hex.EncodeToString(b) + ":"
	signer, _ := NewSigner([]byte(strings.Repeat("k", 32)), "grantflow")
	cache := rediscache.New(rdb, prefix, nil).WithMAC(signer.DeriveKey("rediscache"))
	admin := Principal{UserID: "ada", Role: identityv1.Role_ADMIN, CredentialKind: identityv1.CredentialKind_API_KEY, CredentialID: "k-ada"}
	calls := 0
	a := Cached(AuthenticatorFunc(func(_ context.Context, cred string) (Principal, error) {
		calls++
		if cred == "gf_ada" {
			return admin, nil
		}
		return Principal{}, errs.Unauthenticated("unknown credential")
	}), cache, time.Minute)
	ctx := context.Background()
	keyOf := func(cred string) string {
		sum := sha256.Sum256([]byte(cred))
		return prefix + PrincipalNamespace + ":0:" + hex.EncodeToString(sum[:])
	}

	if p, err := a.Authenticate(ctx, "gf_ada"); err != nil || p != admin {
		t.Fatalf("first call: %+v %v", p, err)
	}
	if p, err := a.Authenticate(ctx, "gf_ada"); err != nil || p != admin || calls != 1 {
		t.Fatalf("cached call: %+v %v (identity asked %d times)", p, err, calls)
	}
	// An entry written without the key.
	if err := rdb.Set(ctx, keyOf("gf_mallory"), `{"u":"mallory","r":2,"ck":1,"ci":"x"}`, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if p, err := a.Authenticate(ctx, "gf_mallory"); err == nil {
		t.Errorf("a planted entry authenticates as %+v", p)
	}
	// The Admin's genuine entry, copied under another credential's key.
	raw, err := rdb.Get(ctx, keyOf("gf_ada")).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, keyOf("gf_mallory"), raw, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if p, err := a.Authenticate(ctx, "gf_mallory"); err == nil {
		t.Errorf("a moved entry authenticates as %+v", p)
	}
}

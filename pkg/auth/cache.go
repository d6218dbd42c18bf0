package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/rediscache"
)

// PrincipalNamespace is the cache namespace of credential -> principal answers. Identity
// invalidates it after every change that can alter a principal (role, status, keys).
const PrincipalNamespace = "principals"

// DefaultPrincipalTTL bounds how long a cached answer can outlive a missed invalidation
// (Redis unreachable at the moment of the change).
const DefaultPrincipalTTL = time.Minute

// Cached puts a Redis cache in front of an Authenticator. Failures are never cached.
func Cached(next Authenticator, c *rediscache.Cache, ttl time.Duration) Authenticator {
	return &cached{next: next, cache: c, ttl: ttl}
}

type cached struct {
	next  Authenticator
	cache *rediscache.Cache
	ttl   time.Duration
}

type cachedPrincipal struct {
	U  string `json:"u"`
	R  int32  `json:"r"`
	CK int32  `json:"ck"`
	CI string `json:"ci"`
	M  string `json:"m,omitempty"`
}

func (c *cached) Authenticate(ctx context.Context, credential string) (Principal, error) {
	sum := sha256.Sum256([]byte(credential))
	key := hex.EncodeToString(sum[:])
	if raw, gen, hit := c.cache.Lookup(ctx, PrincipalNamespace, key); hit {
		var cp cachedPrincipal
		if json.Unmarshal(raw, &cp) == nil {
			return Principal{UserID: cp.U, Role: identityv1.Role(cp.R), CredentialKind: identityv1.CredentialKind(cp.CK), CredentialID: cp.CI, MintedBy: cp.M}, nil
		}
	} else {
		p, err := c.next.Authenticate(ctx, credential)
		if err != nil {
			return Principal{}, err
		}
		if raw, err := json.Marshal(cachedPrincipal{U: p.UserID, R: int32(p.Role), CK: int32(p.CredentialKind), CI: p.CredentialID, M: p.MintedBy}); err == nil {
			c.cache.Store(ctx, PrincipalNamespace, key, gen, raw, c.ttl)
		}
		return p, nil
	}
	return c.next.Authenticate(ctx, credential)
}

// Identity returns an Authenticator that asks the identity service.
func Identity(client identityv1.IdentityInternalServiceClient) Authenticator {
	return AuthenticatorFunc(func(ctx context.Context, credential string) (Principal, error) {
		res, err := client.Authenticate(ctx, &identityv1.AuthenticateRequest{Credential: credential})
		if err != nil {
			return Principal{}, err
		}
		p := res.GetPrincipal()
		return Principal{UserID: p.GetUserId(), Role: p.GetRole(), CredentialKind: p.GetCredentialKind(), CredentialID: p.GetCredentialId(), MintedBy: p.GetMintedBy()}, nil
	})
}

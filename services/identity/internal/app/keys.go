package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"strings"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// KeyPrefix starts every API key Grantflow mints, so secret scanners recognize them.
const KeyPrefix = "gf_"

// TokenClaims are what an OIDC token verifier vouches for.
type TokenClaims struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
}

// TokenVerifier checks an OIDC bearer token (signature, issuer, audience, expiry).
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (TokenClaims, error)
}

// HashKey is how API keys are stored: the SHA-256 of the whole key. Keys carry 256 bits
// of randomness, so a fast hash is enough (no password-style stretching needed).
func HashKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// NewKey returns a fresh key id and the whole key "gf_<id>_<secret>".
func NewKey() (id, key string) {
	idBytes := make([]byte, 10)
	secret := make([]byte, 32)
	_, _ = rand.Read(idBytes)
	_, _ = rand.Read(secret)
	id = strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(idBytes))
	return id, KeyPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(secret)
}

// CreateAPIKey mints a key for a user (Admin, GM). The key is returned once.
func (s *Service) CreateAPIKey(ctx context.Context, userID, name string) (domain.APIKey, string, error) {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return domain.APIKey{}, "", err
	}
	if err := deny(authz.CanMintAPIKey(sub)); err != nil {
		return domain.APIKey{}, "", err
	}
	id, secret := NewKey()
	k := domain.APIKey{ID: id, UserID: userID, DisplayName: name, Hash: HashKey(secret), CreateTime: s.now(), CreatedBy: sub.UserID}
	err = s.write(ctx, false, func(ctx context.Context, tx store.Tx) error {
		u, err := tx.GetUser(ctx, userID)
		if err != nil {
			return appkit.NotFound(err, "user", userID)
		}
		if u.Status != domain.UserActive {
			return errs.FailedPrecondition("USER_OFFBOARDED", "an offboarded user gets no API key")
		}
		if u.Role == domain.RoleGeneralManager && sub.UserID != u.ID && sub.UserID != BootstrapAdminID {
			return errs.PermissionDenied("only the General Manager (or the bootstrap admin) mints the General Manager's keys")
		}
		if err := tx.CreateAPIKey(ctx, k); err != nil {
			return err
		}
		return s.emit(ctx, tx, "apikey.created", "users/"+userID+"/apiKeys/"+id, &eventsv1.ApiKeyChanged{KeyId: id, UserId: userID, DisplayName: name})
	})
	if err != nil {
		return domain.APIKey{}, "", err
	}
	return k, secret, nil
}

// ListAPIKeys lists a user's keys (never their secrets): the user themselves, Admin, GM.
func (s *Service) ListAPIKeys(ctx context.Context, userID string) ([]domain.APIKey, error) {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if sub.UserID != userID && !isAdminOrGM(sub) {
		return nil, errs.NotFound("user", userID)
	}
	if _, err := s.store.GetUser(ctx, userID); err != nil {
		return nil, appkit.NotFound(err, "user", userID)
	}
	return s.store.ListAPIKeys(ctx, userID)
}

// RevokeAPIKey revokes a key: the key's user themselves, Admin, GM.
func (s *Service) RevokeAPIKey(ctx context.Context, userID, keyID string) (domain.APIKey, error) {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return domain.APIKey{}, err
	}
	if sub.UserID != userID && !isAdminOrGM(sub) {
		return domain.APIKey{}, errs.NotFound("api key", keyID)
	}
	var out domain.APIKey
	err = s.write(ctx, true, func(ctx context.Context, tx store.Tx) error {
		k, err := tx.GetAPIKey(ctx, keyID)
		if err != nil || k.UserID != userID {
			return errs.NotFound("api key", keyID)
		}
		if k.Revoked() {
			out = k
			return nil
		}
		k.RevokeTime = s.now()
		if err := tx.RevokeAPIKey(ctx, keyID, k); err != nil {
			return err
		}
		out = k
		return s.emit(ctx, tx, "apikey.revoked", "users/"+userID+"/apiKeys/"+keyID, &eventsv1.ApiKeyChanged{KeyId: keyID, UserId: userID})
	})
	return out, err
}

// Authenticate turns a credential into a principal: an API key (by its hash), or an OIDC
// token whose verified email is an active user's. Every failure is the same
// UNAUTHENTICATED answer, so a caller learns nothing about which part was wrong.
func (s *Service) Authenticate(ctx context.Context, credential string) (auth.Principal, error) {
	bad := errs.Unauthenticated("invalid credentials")
	if s.oidc != nil && strings.Count(credential, ".") == 2 && !strings.HasPrefix(credential, KeyPrefix) {
		c, err := s.oidc.Verify(ctx, credential)
		if err != nil {
			s.log.InfoContext(ctx, "oidc token refused", "error", err.Error())
			return auth.Principal{}, bad
		}
		u, err := s.oidcUser(ctx, c)
		if err != nil {
			if errs.KindOf(err) == errs.KindUnauthenticated || errors.Is(err, store.ErrNotFound) {
				return auth.Principal{}, bad
			}
			return auth.Principal{}, err // the store failed: not a verdict on the credential
		}
		if u.Status != domain.UserActive {
			return auth.Principal{}, bad
		}
		return auth.Principal{UserID: u.ID, Role: roleProto(u.Role), CredentialKind: identityv1.CredentialKind_OIDC_TOKEN, CredentialID: c.Issuer + "|" + c.Subject}, nil
	}
	k, err := s.store.GetAPIKeyByHash(ctx, HashKey(credential))
	if errors.Is(err, store.ErrNotFound) || (err == nil && k.Revoked()) {
		return auth.Principal{}, bad
	}
	if err != nil {
		return auth.Principal{}, err
	}
	u, err := s.store.GetUser(ctx, k.UserID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return auth.Principal{}, err // the store failed: not a verdict on the credential
	}
	if err != nil || u.Status != domain.UserActive {
		return auth.Principal{}, bad
	}
	return auth.Principal{UserID: u.ID, Role: roleProto(u.Role), CredentialKind: identityv1.CredentialKind_API_KEY, CredentialID: k.ID, MintedBy: k.CreatedBy}, nil
}

// BootstrapAdminID is the id of the admin created from GRANTFLOW_BOOTSTRAP_ADMIN_KEY.
const BootstrapAdminID = "bootstrap-admin"

// bootstrapKeyName is the display name of the key made from GRANTFLOW_BOOTSTRAP_ADMIN_KEY.
const bootstrapKeyName = "GRANTFLOW_BOOTSTRAP_ADMIN_KEY"

// Bootstrap makes sure an Admin holding key exists (GRANTFLOW_BOOTSTRAP_ADMIN_KEY). It is
// idempotent: a restart with the same key changes nothing. A new key revokes the previous
// one (an operator rotates the break-glass credential by changing the setting); a key that
// was revoked is refused, so an old key cannot come back.
func (s *Service) Bootstrap(ctx context.Context, key string) error {
	ctx = auth.WithPrincipal(ctx, auth.System())
	hash := HashKey(key)
	if k, err := s.store.GetAPIKeyByHash(ctx, hash); err == nil {
		if k.Revoked() {
			return errors.New("GRANTFLOW_BOOTSTRAP_ADMIN_KEY was revoked (a newer bootstrap key replaced it, or an Admin revoked it): set a new key")
		}
		return nil
	}
	now := s.now()
	return s.write(ctx, true, func(ctx context.Context, tx store.Tx) error {
		if err := tx.LockDirectory(ctx); err != nil {
			return err
		}
		if _, err := tx.GetUser(ctx, BootstrapAdminID); errors.Is(err, store.ErrNotFound) {
			u := domain.User{ID: BootstrapAdminID, Email: "bootstrap-admin@grantflow.invalid", DisplayName: "Bootstrap Admin",
				Role: domain.RoleAdmin, Status: domain.UserActive, Bootstrap: true, CreateTime: now, UpdateTime: now, Version: 1}
			gms, err := tx.ListUsers(ctx, store.UserFilter{Role: domain.RoleGeneralManager, ActiveOnly: true}, store.Page{Size: 1})
			if err != nil {
				return err
			}
			if len(gms) == 1 {
				u.ManagerID = gms[0].ID
			}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			if err := s.emit(ctx, tx, "user.onboarded", "users/"+u.ID, &eventsv1.UserChanged{UserId: u.ID, Email: u.Email, Role: string(u.Role), Status: string(u.Status)}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		prev, err := tx.ListAPIKeys(ctx, BootstrapAdminID)
		if err != nil {
			return err
		}
		for _, old := range prev {
			if old.DisplayName != bootstrapKeyName || old.Revoked() {
				continue
			}
			old.RevokeTime = now
			if err := tx.RevokeAPIKey(ctx, old.ID, old); err != nil {
				return err
			}
			if err := s.emit(ctx, tx, "apikey.revoked", "users/"+BootstrapAdminID+"/apiKeys/"+old.ID, &eventsv1.ApiKeyChanged{KeyId: old.ID, UserId: BootstrapAdminID}); err != nil {
				return err
			}
		}
		id, _ := NewKey()
		k := domain.APIKey{ID: id, UserID: BootstrapAdminID, DisplayName: bootstrapKeyName, Hash: hash, CreateTime: now}
		if err := tx.CreateAPIKey(ctx, k); err != nil {
			return err
		}
		return s.emit(ctx, tx, "apikey.created", "users/"+BootstrapAdminID+"/apiKeys/"+id, &eventsv1.ApiKeyChanged{KeyId: id, UserId: BootstrapAdminID, DisplayName: k.DisplayName})
	})
}

func roleProto(r domain.Role) identityv1.Role {
	return identityv1.Role(identityv1.Role_value[string(r)])
}

package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
)

// MetadataKey is the gRPC metadata key of the internal caller token.
const MetadataKey = "x-grantflow-caller"

const tokenIssuer = "grantflow-internal"

// DefaultTokenTTL bounds how long a minted internal token is accepted.
const DefaultTokenTTL = 2 * time.Minute

// Signer mints and verifies internal caller tokens.
type Signer struct {
	key     []byte
	service string
	ttl     time.Duration
	now     func() time.Time
}

// NewSigner returns a Signer for service using the shared secret (at least 32 bytes).
func NewSigner(secret []byte, service string) (*Signer, error) {
	if len(secret) < 32 {
		return nil, errors.New("internal token secret must be at least 32 bytes")
	}
	return &Signer{key: secret, service: service, ttl: DefaultTokenTTL, now: time.Now}, nil
}

type claims struct {
	jwt.RegisteredClaims
	Role     int32  `json:"role"`
	CredKind int32  `json:"ck"`
	CredID   string `json:"cid,omitempty"`
	MintedBy string `json:"mby,omitempty"`
	Service  string `json:"svc"`
}

// Mint returns a token carrying p for the signer's own service (a call to itself, or a
// test's call to a server that shares its signer), valid for the signer's TTL.
func (s *Signer) Mint(p Principal) (string, error) { return s.MintFor(p, s.service) }

// MintFor returns a token carrying p that only audience accepts: a token sent to one
// service is refused by every other (the client interceptor names the called service,
// AudienceOf the method).
func (s *Signer) MintFor(p Principal, audience string) (string, error) {
	if audience == "" {
		return "", errors.New("internal caller token: no audience")
	}
	now := s.now()
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    tokenIssuer,
			Subject:   p.UserID,
			Audience:  jwt.ClaimStrings{audience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(s.ttl)),
		},
		Role:     int32(p.Role),
		CredKind: int32(p.CredentialKind),
		CredID:   p.CredentialID,
		MintedBy: p.MintedBy,
		Service:  s.service,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
}

// Verify checks a token's signature, issuer, expiry and audience (the signer's own
// service) and returns its principal, marked Internal.
func (s *Signer) Verify(token string) (Principal, error) { return s.verify(token, s.service) }

// VerifyFor is Verify for a call of fullMethod: the token's audience must be the service
// that method belongs to (AudienceOf), or this signer's own service.
func (s *Signer) VerifyFor(token, fullMethod string) (Principal, error) {
	return s.verify(token, s.service, AudienceOf(fullMethod))
}

func (s *Signer) verify(token string, audiences ...string) (Principal, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(tokenIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.now),
		jwt.WithLeeway(5*time.Second),
	)
	if err != nil {
		return Principal{}, fmt.Errorf("internal caller token: %w", err)
	}
	if len(c.Audience) != 1 || !slices.Contains(audiences, c.Audience[0]) {
		return Principal{}, fmt.Errorf("internal caller token: audience %q is not this service (%q)", c.Audience, audiences)
	}
	if c.Subject == "" {
		return Principal{}, errors.New("internal caller token: no subject")
	}
	return Principal{
		UserID:         c.Subject,
		Role:           identityv1.Role(c.Role),
		CredentialKind: identityv1.CredentialKind(c.CredKind),
		CredentialID:   c.CredID,
		MintedBy:       c.MintedBy,
		Internal:       true,
	}, nil
}

// AudienceOf names the service a gRPC method belongs to, as internal tokens name their
// audience: "/grantflow.policy.v1.PolicyService/ResolvePolicy" -> "grantflow-policy" (the
// service's name in traces and logs). Methods outside Grantflow's packages are their
// service's full name.
func AudienceOf(fullMethod string) string {
	svc, _, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	parts := strings.Split(svc, ".")
	if len(parts) >= 3 && parts[0] == "grantflow" {
		return "grantflow-" + parts[1]
	}
	return svc
}

// DeriveKey returns a key for purpose derived from the internal secret (HMAC-SHA256 of
// the purpose), so one secret serves several uses without one use's key revealing another's.
func (s *Signer) DeriveKey(purpose string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("grantflow derived key\x00" + purpose))
	return m.Sum(nil)
}

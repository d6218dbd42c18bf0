package auth

import (
	"errors"
	"fmt"
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
	Service  string `json:"svc"`
}

// Mint returns a token carrying p, valid for the signer's TTL.
func (s *Signer) Mint(p Principal) (string, error) {
	now := s.now()
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    tokenIssuer,
			Subject:   p.UserID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(s.ttl)),
		},
		Role:     int32(p.Role),
		CredKind: int32(p.CredentialKind),
		CredID:   p.CredentialID,
		Service:  s.service,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
}

// Verify checks a token's signature, issuer and expiry and returns its principal, marked
// Internal.
func (s *Signer) Verify(token string) (Principal, error) {
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
	if c.Subject == "" {
		return Principal{}, errors.New("internal caller token: no subject")
	}
	return Principal{
		UserID:         c.Subject,
		Role:           identityv1.Role(c.Role),
		CredentialKind: identityv1.CredentialKind(c.CredKind),
		CredentialID:   c.CredID,
		Internal:       true,
	}, nil
}

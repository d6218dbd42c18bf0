package oidc

import (
	"context"
	"fmt"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/grantflow/grantflow/services/identity/internal/app"
)

// Verifier checks tokens of one issuer for one audience.
type Verifier struct {
	v *gooidc.IDTokenVerifier
}

// New discovers issuer's configuration (GET issuer/.well-known/openid-configuration).
func New(ctx context.Context, issuer, audience string) (*Verifier, error) {
	p, err := gooidc.NewProvider(ctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc issuer %s: %w", issuer, err)
	}
	return &Verifier{v: p.Verifier(&gooidc.Config{ClientID: audience})}, nil
}

// Verify implements app.TokenVerifier.
func (v *Verifier) Verify(ctx context.Context, raw string) (app.TokenClaims, error) {
	tok, err := v.v.Verify(ctx, raw)
	if err != nil {
		return app.TokenClaims{}, err
	}
	var c struct {
		Email         string `json:"email"`
		EmailVerified *bool  `json:"email_verified"`
	}
	if err := tok.Claims(&c); err != nil {
		return app.TokenClaims{}, err
	}
	// An issuer that does not send email_verified vouches for the email by issuing it.
	verified := c.EmailVerified == nil || *c.EmailVerified
	return app.TokenClaims{Issuer: tok.Issuer, Subject: tok.Subject, Email: c.Email, EmailVerified: verified}, nil
}

package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

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
		Email         string          `json:"email"`
		EmailVerified json.RawMessage `json:"email_verified"`
	}
	if err := tok.Claims(&c); err != nil {
		return app.TokenClaims{}, err
	}
	// Only an issuer that says so vouches for the email: a missing claim is not verified.
	// Some issuers send the boolean as a string.
	ev := strings.TrimSpace(string(c.EmailVerified))
	verified := ev == "true" || ev == `"true"`
	return app.TokenClaims{Issuer: tok.Issuer, Subject: tok.Subject, Email: c.Email, EmailVerified: verified}, nil
}

package identity_test

import (
	"crypto/rsa"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
)

// tokenWith signs claims (iss, aud and exp filled in when absent).
func (is *issuer) tokenWith(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	for k, v := range map[string]any{"iss": is.srv.URL, "aud": "grantflow", "exp": time.Now().Add(5 * time.Minute).Unix(), "iat": time.Now().Unix()} {
		if _, ok := claims[k]; !ok {
			claims[k] = v
		}
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestOIDCRequiresAVerifiedEmailAndBindsIssuerAndSubject: a token whose email the issuer
// does not say is verified (email_verified false, or missing) signs nobody in; the first
// sign-in binds the issuer and subject to the user, who is found by them afterwards (even
// when the token's email changes); another account at the issuer claiming the bound
// user's email is refused.
func TestOIDCRequiresAVerifiedEmailAndBindsIssuerAndSubject(t *testing.T) {
	is := newIssuer(t)
	h := newHarness(t, harnessOptions{oidcIssuer: is.srv.URL, oidcAud: "grantflow"})
	h.seedOrg()
	me := func(name, tok string) (*identityv1.GetMeResponse, error) {
		h.Keys[name] = tok
		return h.pub.GetMe(h.As(name), &identityv1.GetMeRequest{})
	}
	for name, claims := range map[string]map[string]any{
		"email_verified false":  {"sub": "idp-uma", "email": "uma@example.com", "email_verified": false},
		"email_verified absent": {"sub": "idp-uma", "email": "uma@example.com"},
		"email_verified junk":   {"sub": "idp-uma", "email": "uma@example.com", "email_verified": "yes"},
	} {
		_, err := me(name, is.tokenWith(t, is.key, claims))
		wantCode(t, err, codes.Unauthenticated)
	}
	// A string "true" (as some issuers send it) is verified. First sign-in: bound.
	res, err := me("uma-first", is.tokenWith(t, is.key, map[string]any{"sub": "idp-uma", "email": "uma@example.com", "email_verified": "true"}))
	if err != nil || res.GetUser().GetId() != h.IDs["uma"] {
		t.Fatalf("first sign-in of uma: %v %v", res.GetUser(), err)
	}
	// Another account of the issuer that claims Uma's (verified) email is not Uma.
	_, err = me("impostor", is.tokenWith(t, is.key, map[string]any{"sub": "idp-someone-else", "email": "uma@example.com", "email_verified": true}))
	wantCode(t, err, codes.Unauthenticated)
	// Uma's subject is Uma, whatever email the token carries now.
	res, err = me("uma-renamed", is.tokenWith(t, is.key, map[string]any{"sub": "idp-uma", "email": "mona@example.com", "email_verified": true}))
	if err != nil || res.GetUser().GetId() != h.IDs["uma"] {
		t.Fatalf("uma's subject with another email: %v %v", res.GetUser(), err)
	}
	if _, err := h.pub.UpdateUser(h.As("bootstrap"), &identityv1.UpdateUserRequest{Id: h.IDs["uma"],
		User: &identityv1.User{Email: "uma.chen@example.com"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"email"}}}); err != nil {
		t.Fatal(err)
	}
	res, err = me("uma-after-email-change", is.tokenWith(t, is.key, map[string]any{"sub": "idp-uma", "email": "uma@example.com", "email_verified": true}))
	if err != nil || res.GetUser().GetId() != h.IDs["uma"] {
		t.Fatalf("uma after her email changed: %v %v", res.GetUser(), err)
	}
	// Mona's first sign-in still works by her own email.
	res, err = me("mona", is.tokenWith(t, is.key, map[string]any{"sub": "idp-mona", "email": "mona@example.com", "email_verified": true}))
	if err != nil || res.GetUser().GetId() != h.IDs["mona"] {
		t.Fatalf("mona: %v %v", res.GetUser(), err)
	}
}

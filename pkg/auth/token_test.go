package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
)

func TestTokenRoundTrip(t *testing.T) {
	s, err := NewSigner([]byte(strings.Repeat("k", 32)), "gateway")
	if err != nil {
		t.Fatal(err)
	}
	in := Principal{UserID: "u1", Role: identityv1.Role_GENERAL_MANAGER, CredentialKind: identityv1.CredentialKind_API_KEY, CredentialID: "key1", MintedBy: "admin1"}
	tok, err := s.Mint(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	in.Internal = true
	if out != in {
		t.Fatalf("got %+v, want %+v", out, in)
	}
}

func TestTokenRefused(t *testing.T) {
	s, _ := NewSigner([]byte(strings.Repeat("k", 32)), "gateway")
	other, _ := NewSigner([]byte(strings.Repeat("z", 32)), "gateway")
	good, _ := s.Mint(Principal{UserID: "u1"})
	forged, _ := other.Mint(Principal{UserID: "u1"})
	past := time.Now().Add(-time.Hour)
	old := &Signer{key: s.key, service: "gateway", ttl: time.Minute, now: func() time.Time { return past }}
	expired, _ := old.Mint(Principal{UserID: "u1"})
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]
	for name, tok := range map[string]string{"other secret": forged, "expired": expired, "tampered": tampered, "garbage": "abc", "empty": ""} {
		if _, err := s.Verify(tok); err == nil {
			t.Errorf("%s token accepted", name)
		}
	}
	if _, err := NewSigner([]byte("short"), "x"); err == nil {
		t.Error("short secret accepted")
	}
}

func TestBearer(t *testing.T) {
	for h, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "Bearer ": "", "": ""} {
		got, ok := bearer(h)
		if got != want || ok != (want != "") {
			t.Errorf("bearer(%q) = %q, %v", h, got, ok)
		}
	}
}

// TestTokenNamesItsAudience: a token minted for a call to one service is refused by every
// other (a token seen by identity cannot be replayed against policy), and a token naming
// no audience, or several, is refused everywhere.
func TestTokenNamesItsAudience(t *testing.T) {
	policy, _ := NewSigner([]byte(strings.Repeat("k", 32)), "grantflow-policy")
	identity, _ := NewSigner([]byte(strings.Repeat("k", 32)), "grantflow-identity")
	const identityMethod = "/grantflow.identity.v1.IdentityInternalService/GetFacts"
	const policyMethod = "/grantflow.policy.v1.PolicyService/ResolvePolicy"
	if got := AudienceOf(identityMethod); got != "grantflow-identity" {
		t.Fatalf("AudienceOf(%s) = %q", identityMethod, got)
	}
	tok, err := policy.MintFor(Principal{UserID: "u1"}, AudienceOf(identityMethod))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := identity.VerifyFor(tok, identityMethod); err != nil {
		t.Fatalf("identity refuses a token for identity: %v", err)
	}
	if _, err := policy.VerifyFor(tok, policyMethod); err == nil {
		t.Error("policy accepts a token minted for identity")
	}
	shared, _ := NewSigner([]byte(strings.Repeat("k", 32)), "grantflow") // the all-in-one
	if _, err := shared.VerifyFor(tok, identityMethod); err != nil {
		t.Errorf("the shared server refuses a token for an identity method: %v", err)
	}
	if _, err := shared.VerifyFor(tok, policyMethod); err == nil {
		t.Error("the shared server accepts a token for identity on a policy method")
	}
	// No audience, or two: hand-made with the right secret.
	for name, aud := range map[string]jwt.ClaimStrings{"none": nil, "two": {"grantflow-identity", "grantflow-policy"}} {
		c := claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: tokenIssuer, Subject: "u1", Audience: aud,
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Minute))}}
		raw, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(identity.key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := identity.VerifyFor(raw, identityMethod); err == nil {
			t.Errorf("a token with audience %s is accepted", name)
		}
	}
	if _, err := policy.MintFor(Principal{UserID: "u1"}, ""); err == nil {
		t.Error("minted a token without an audience")
	}
}

package identity_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"google.golang.org/grpc/codes"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
)

// issuer is an OIDC provider the test controls: discovery and JWKS over HTTP, and a
// signing key the test generated.
type issuer struct {
	srv *httptest.Server
	key *rsa.PrivateKey
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/jwks",
			"authorization_endpoint": is.srv.URL + "/auth", "token_endpoint": is.srv.URL + "/token",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) token(t *testing.T, key *rsa.PrivateKey, iss, aud, email string, exp time.Time) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"iss": iss, "aud": aud, "sub": "sub-" + email, "email": email, "email_verified": true, "exp": exp.Unix(), "iat": time.Now().Unix()}
	raw, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestOIDCBearerTokens(t *testing.T) {
	is := newIssuer(t)
	h := newHarness(t, harnessOptions{oidcIssuer: is.srv.URL, oidcAud: "grantflow"})
	h.seedOrg()
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	soon := time.Now().Add(5 * time.Minute)
	h.Keys["uma-jwt"] = is.token(t, is.key, is.srv.URL, "grantflow", "uma@example.com", soon)
	me, err := h.pub.GetMe(h.As("uma-jwt"), &identityv1.GetMeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if me.GetUser().GetId() != h.IDs["uma"] {
		t.Fatalf("token of uma authenticated %v", me.GetUser())
	}
	for name, tok := range map[string]string{
		"wrong audience": is.token(t, is.key, is.srv.URL, "someone-else", "uma@example.com", soon),
		"wrong issuer":   is.token(t, is.key, "https://evil.example", "grantflow", "uma@example.com", soon),
		"expired":        is.token(t, is.key, is.srv.URL, "grantflow", "uma@example.com", time.Now().Add(-time.Hour)),
		"foreign key":    is.token(t, other, is.srv.URL, "grantflow", "uma@example.com", soon),
		"unknown email":  is.token(t, is.key, is.srv.URL, "grantflow", "stranger@example.com", soon),
	} {
		t.Run(name, func(t *testing.T) {
			h.Keys[name] = tok
			_, err := h.pub.GetMe(h.As(name), &identityv1.GetMeRequest{})
			wantCode(t, err, codes.Unauthenticated)
		})
	}
}

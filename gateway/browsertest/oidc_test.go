package browsertest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// fakeIssuer is an OpenID provider the test runs: discovery, JWKS, an authorization
// endpoint that signs in one person at once (no login page), and a token endpoint that
// checks the PKCE verifier, as a real provider does for a public client.
type fakeIssuer struct {
	t        *testing.T
	srv      *httptest.Server
	key      *rsa.PrivateKey
	clientID string
	email    string

	mu    sync.Mutex
	codes map[string]grant
}

type grant struct{ challenge, nonce, redirect string }

func newFakeIssuer(t *testing.T, clientID, email string) *fakeIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeIssuer{t: t, key: key, clientID: clientID, email: email, codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		u := f.srv.URL
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": u, "authorization_endpoint": u + "/authorize", "token_endpoint": u + "/token", "jwks_uri": u + "/jwks",
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", f.authorize)
	mux.HandleFunc("POST /token", f.token)
	// Started only once f.srv is set: the handlers read it (its URL is the issuer's).
	f.srv = httptest.NewUnstartedServer(mux)
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIssuer) refuse(w http.ResponseWriter, format string, args ...any) {
	f.t.Errorf("fake OIDC issuer: "+format, args...)
	http.Error(w, "refused", http.StatusBadRequest)
}

func (f *fakeIssuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("response_type") != "code":
		f.refuse(w, "response_type %q", q.Get("response_type"))
	case q.Get("client_id") != f.clientID:
		f.refuse(w, "client_id %q", q.Get("client_id"))
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		f.refuse(w, "no S256 code challenge: %q", r.URL.RawQuery)
	case q.Get("state") == "" || q.Get("nonce") == "":
		f.refuse(w, "no state or nonce: %q", r.URL.RawQuery)
	default:
		code := rand.Text()
		f.mu.Lock()
		f.codes[code] = grant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri")}
		f.mu.Unlock()
		back, err := url.Parse(q.Get("redirect_uri"))
		if err != nil {
			f.refuse(w, "redirect_uri: %v", err)
			return
		}
		back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	}
}

func (f *fakeIssuer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		f.refuse(w, "form: %v", err)
		return
	}
	code := r.PostForm.Get("code")
	f.mu.Lock()
	g, ok := f.codes[code]
	delete(f.codes, code) // a code is used once
	f.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !ok:
		f.refuse(w, "unknown or used code")
		return
	case r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("client_id") != f.clientID:
		f.refuse(w, "grant_type %q, client_id %q", r.PostForm.Get("grant_type"), r.PostForm.Get("client_id"))
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		f.refuse(w, "the code verifier does not match the challenge")
		return
	case r.PostForm.Get("redirect_uri") != g.redirect:
		f.refuse(w, "redirect_uri %q, authorized for %q", r.PostForm.Get("redirect_uri"), g.redirect)
		return
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: f.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		f.refuse(w, "signer: %v", err)
		return
	}
	now := time.Now()
	id, err := jwt.Signed(sig).Claims(map[string]any{
		"iss": f.srv.URL, "aud": f.clientID, "sub": "sub-" + f.email, "email": f.email, "email_verified": true,
		"nonce": g.nonce, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).Serialize()
	if err != nil {
		f.refuse(w, "sign: %v", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 3600, "id_token": id})
}

package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/auth"
)

// tokenIssuer is an OIDC provider's discovery and token endpoint: it answers an ID token
// for the code "good" and refuses any other, and records the form it was sent.
func tokenIssuer(t *testing.T) (*httptest.Server, *url.Values) {
	t.Helper()
	var got url.Values
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": srv.URL, "authorization_endpoint": srv.URL + "/authorize", "token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/jwks",
		})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got = r.PostForm
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("code") != "good" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"the code is unknown"}`))
			return
		}
		_, _ = w.Write([]byte(`{"access_token":"at","token_type":"Bearer","expires_in":3600,"id_token":"h.p.s"}`))
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &got
}

func oidcMux(cfg ConsoleOIDC) *http.ServeMux {
	mux := http.NewServeMux()
	mountConsoleOIDC(mux, cfg, 1<<20, nil)
	return mux
}

func post(mux http.Handler, path, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	mux.ServeHTTP(rec, req)
	return rec
}

// TestConsoleOIDCOff: without an issuer the console offers no OIDC sign-in.
func TestConsoleOIDCOff(t *testing.T) {
	mux := oidcMux(ConsoleOIDC{})
	rec := serve(mux, "/console/config.json")
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"oidc":null}` {
		t.Fatalf("config.json: %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("Content-Security-Policy") == "" {
		t.Error("config.json without the console's CSP")
	}
	if rec := serve(mux, "/console/oidc/authorize?state=x"); rec.Code != http.StatusNotFound {
		t.Errorf("authorize: %d, want 404", rec.Code)
	}
	if rec := post(mux, "/console/oidc/token", `{}`); rec.Code != http.StatusNotFound {
		t.Errorf("token: %d, want 404", rec.Code)
	}
}

// TestConsoleOIDCFlow: the redirect to the issuer carries the PKCE challenge, and the code
// exchange sends the verifier as a public client and answers the ID token; bad input is a
// 400 naming the field.
func TestConsoleOIDCFlow(t *testing.T) {
	is, form := tokenIssuer(t)
	mux := oidcMux(ConsoleOIDC{Issuer: is.URL, ClientID: "console"})
	rec := serve(mux, "/console/config.json")
	var cfg struct {
		OIDC struct{ Issuer, ClientID string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &cfg); err != nil || cfg.OIDC.Issuer != is.URL || cfg.OIDC.ClientID != "console" {
		t.Fatalf("config.json: %s (%v)", rec.Body, err)
	}

	const cb = "http://console.example/console/oidc/callback"
	good := url.Values{"state": {"s-0123456789abcdef"}, "nonce": {"n-0123456789abcdef"}, "codeChallenge": {"c-0123456789abcdefghijklmnopqrstuvwxyz0123"}, "redirectUri": {cb}}
	for field, bad := range map[string]string{"state": "short", "nonce": "", "codeChallenge": "x", "redirectUri": "http://evil.example/steal"} {
		q := url.Values{}
		for k, v := range good {
			q[k] = v
		}
		q.Set(field, bad)
		rec := serve(mux, "/console/oidc/authorize?"+q.Encode())
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), field) {
			t.Errorf("authorize with a bad %s: %d %s", field, rec.Code, rec.Body)
		}
	}
	rec = serve(mux, "/console/oidc/authorize?"+good.Encode())
	if rec.Code != http.StatusFound {
		t.Fatalf("authorize: %d %s", rec.Code, rec.Body)
	}
	to, err := url.Parse(rec.Header().Get("Location"))
	if err != nil || to.Scheme+"://"+to.Host+to.Path != is.URL+"/authorize" {
		t.Fatalf("redirected to %q", rec.Header().Get("Location"))
	}
	q := to.Query()
	for k, want := range map[string]string{"response_type": "code", "client_id": "console", "redirect_uri": cb, "state": good.Get("state"),
		"nonce": good.Get("nonce"), "code_challenge": good.Get("codeChallenge"), "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			t.Errorf("authorization request %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if !strings.Contains(q.Get("scope"), "openid") {
		t.Errorf("scope %q without openid", q.Get("scope"))
	}

	verifier := strings.Repeat("v", 43)
	for name, body := range map[string]string{
		"code":         `{"code":"","codeVerifier":"` + verifier + `","redirectUri":"` + cb + `"}`,
		"codeVerifier": `{"code":"good","codeVerifier":"short","redirectUri":"` + cb + `"}`,
		"redirectUri":  `{"code":"good","codeVerifier":"` + verifier + `","redirectUri":"http://evil.example/x"}`,
		"unknown":      `{"code":"good","codeVerifier":"` + verifier + `","redirectUri":"` + cb + `","secret":"x"}`,
	} {
		if rec := post(mux, "/console/oidc/token", body); rec.Code != http.StatusBadRequest {
			t.Errorf("token with a bad %s: %d %s", name, rec.Code, rec.Body)
		}
	}
	rec = post(mux, "/console/oidc/token", `{"code":"bad","codeVerifier":"`+verifier+`","redirectUri":"`+cb+`"}`)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "invalid_grant") {
		t.Errorf("a refused code: %d %s", rec.Code, rec.Body)
	}
	rec = post(mux, "/console/oidc/token", `{"code":"good","codeVerifier":"`+verifier+`","redirectUri":"`+cb+`"}`)
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"idToken":"h.p.s"}` {
		t.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Error("the token's answer may be cached")
	}
	for k, want := range map[string]string{"grant_type": "authorization_code", "code": "good", "code_verifier": verifier, "client_id": "console", "redirect_uri": cb, "client_secret": ""} {
		if form.Get(k) != want {
			t.Errorf("token request %s = %q, want %q", k, form.Get(k), want)
		}
	}
}

// TestConsoleOIDCFailures: codes the issuer refuses count as failed sign-ins of the client
// address; once its failures are used up, the exchange is refused with 429 before the
// issuer is asked.
func TestConsoleOIDCFailures(t *testing.T) {
	is, form := tokenIssuer(t)
	mux := http.NewServeMux()
	mountConsoleOIDC(mux, ConsoleOIDC{Issuer: is.URL, ClientID: "console"}, 1<<20, auth.NewFailureLimiter(2).WithRefill(time.Hour))
	body := func(code string) string {
		return `{"code":"` + code + `","codeVerifier":"` + strings.Repeat("v", 43) + `","redirectUri":"http://console.example/console/oidc/callback"}`
	}
	for i := range 2 {
		if rec := post(mux, "/console/oidc/token", body("bad")); rec.Code != http.StatusBadRequest {
			t.Fatalf("refused code %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	*form = nil
	rec := post(mux, "/console/oidc/token", body("good"))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("after two refused codes: %d (Retry-After %q) %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if *form != nil {
		t.Error("a blocked address's exchange reached the issuer")
	}
}

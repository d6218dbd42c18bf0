package scim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
)

type denyAll struct{}

func (denyAll) Allow(context.Context, string) (bool, time.Duration) {
	return false, 1500 * time.Millisecond
}

// The SCIM handler's own gate: who may call it, answered as SCIM error bodies, before any
// call reaches identity (the identity client here is nil: reaching it would panic).
func TestAuthenticationAndRateLimit(t *testing.T) {
	authn := auth.AuthenticatorFunc(func(_ context.Context, cred string) (auth.Principal, error) {
		switch cred {
		case "admin":
			return auth.Principal{UserID: "a", Role: identityv1.Role_ADMIN}, nil
		case "gm":
			return auth.Principal{UserID: "g", Role: identityv1.Role_GENERAL_MANAGER}, nil
		case "user":
			return auth.Principal{UserID: "u", Role: identityv1.Role_USER}, nil
		}
		return auth.Principal{}, errs.Unauthenticated("unknown credential")
	})
	open, err := New(Options{Authenticator: authn})
	if err != nil {
		t.Fatal(err)
	}
	limited, err := New(Options{Authenticator: authn, Limiter: denyAll{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		h      http.Handler
		header string
		code   int
	}{
		{"no credentials", open, "", 401},
		{"not bearer", open, "Basic YTpi", 401},
		{"empty bearer", open, "Bearer  ", 401},
		{"unknown key", open, "Bearer nope", 401},
		{"a user", open, "Bearer user", 403},
		{"the admin, discovery", open, "Bearer admin", 200},
		{"the GM, discovery, bearer in any case", open, "bEaReR gm", 200},
		{"rate limited", limited, "Bearer admin", 429},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", Prefix+"/ServiceProviderConfig", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			tc.h.ServeHTTP(rec, req)
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != tc.code || rec.Header().Get("Content-Type") != ContentType {
				t.Fatalf("%d %s %q (%v)", rec.Code, rec.Header().Get("Content-Type"), rec.Body, err)
			}
			if tc.code == 200 {
				return
			}
			if body["status"] != strconv.Itoa(tc.code) || body["schemas"].([]any)[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
				t.Errorf("error body: %v", body)
			}
			if tc.code == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tc.code == 429 && rec.Header().Get("Retry-After") != "2" {
				t.Errorf("Retry-After %q, want 2", rec.Header().Get("Retry-After"))
			}
		})
	}
}

// FuzzNormalizeUserBody: whatever a client sends, the rewrite neither panics nor turns a
// body into something that is not JSON.
func FuzzNormalizeUserBody(f *testing.F) {
	f.Add([]byte(`{"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m1"}]}`), true)
	f.Add([]byte(`{"Operations":[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m"}}}]}`), true)
	f.Add([]byte(`{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m1"}}`), false)
	f.Add([]byte(`{"Operations":[1,null,"x",{"path":7}]}`), true)
	f.Fuzz(func(t *testing.T, raw []byte, patch bool) {
		out, changed := normalizeUserBody(raw, patch)
		if changed && !json.Valid(out) {
			t.Fatalf("not JSON: %s", out)
		}
	})
}

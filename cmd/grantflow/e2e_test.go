package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/process"
)

// system starts the all-in-one process on free loopback ports with the demo organization,
// and talks to it over REST as a web client would.
type system struct {
	t    testing.TB
	a    *allInOne
	base string
	key  map[string]string
	id   map[string]string
	app  map[string]string
}

func startSystem(t testing.TB, postgresURL string, tracer ...sdktrace.TracerProviderOption) *system {
	t.Helper()
	cfg := config.Default()
	cfg.GRPCAddr, cfg.HTTPAddr, cfg.PostgresURL, cfg.LogLevel = "127.0.0.1:0", "127.0.0.1:0", postgresURL, "error"
	devnull, _ := os.Open(os.DevNull)
	t.Cleanup(func() { devnull.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	a, err := start(ctx, cfg, devnull, process.Options{AllowRandomSecret: true, TracerOptions: tracer})
	t.Cleanup(func() {
		cancel()
		if a != nil {
			if err := a.p.Shutdown(); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &system{t: t, a: a, base: "http://" + a.httpAddr, key: map[string]string{"nobody": "gf_nothing_here"}, id: map[string]string{}, app: map[string]string{}}
	for _, p := range a.demo.people {
		s.key[p.handle], s.id[p.handle] = p.key, p.id
	}
	for _, ap := range a.demo.apps {
		s.app[ap.name] = ap.id
	}
	return s
}

// call does one REST call as person ("" for no credentials) and returns status and body.
func (s *system) call(person, method, path string, body any) (int, map[string]any) {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if person != "" {
		req.Header.Set("Authorization", "Bearer "+s.key[person])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("X-Request-Id") == "" {
		s.t.Errorf("%s %s: no X-Request-Id", method, path)
	}
	var out map[string]any
	raw, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

// TestIdentityOverREST walks every Identity path of API.md with allowed, forbidden,
// unauthenticated and bad calls, on the memory engine and on PostgreSQL.
func TestIdentityOverREST(t *testing.T) {
	for _, engine := range []string{"memory", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			url := ""
			if engine == "postgres" {
				url = pgtest.NewEmptyDatabase(t)
			}
			s := startSystem(t, url)
			walkIdentity(t, s)
		})
	}
}

func walkIdentity(t *testing.T, s *system) {
	var groupID, newUserID string
	steps := []struct {
		name         string
		as           string
		method, path string
		body         any
		want         int
		then         func(map[string]any)
	}{
		{"me", "uma", "GET", "/v1/me", nil, 200, func(b map[string]any) {
			if b["user"].(map[string]any)["id"] != s.id["uma"] {
				t.Errorf("me: %v", b)
			}
		}},
		{"me without credentials", "", "GET", "/v1/me", nil, 401, nil},
		{"me with an unknown key", "nobody", "GET", "/v1/me", nil, 401, nil},

		{"onboard", "ada", "POST", "/v1/users", map[string]any{"email": "nina@demo.grantflow.dev", "displayName": "Nina", "role": "USER", "managerId": s.id["mona"]}, 200, func(b map[string]any) {
			newUserID, _ = b["id"].(string)
		}},
		{"onboard by a user", "uma", "POST", "/v1/users", map[string]any{"email": "x@demo.grantflow.dev", "displayName": "X", "managerId": s.id["mona"]}, 403, nil},
		{"onboard with a bad email", "ada", "POST", "/v1/users", map[string]any{"email": "nope", "displayName": "X", "managerId": s.id["mona"]}, 400, nil},
		{"onboard with an unknown field", "ada", "POST", "/v1/users", `{"email":"y@demo.grantflow.dev","displayName":"Y","managerId":"` + s.id["mona"] + `","mangerId":"typo"}`, 400, nil},
		{"onboard without credentials", "", "POST", "/v1/users", map[string]any{"email": "x@demo.grantflow.dev"}, 401, nil},
		{"onboard with a body over 1 MiB", "ada", "POST", "/v1/users", strings.Repeat("x", 2<<20), 413, nil},

		{"get my manager", "uma", "GET", "/v1/users/" + s.id["mona"], nil, 200, nil},
		{"get someone of another team", "uma", "GET", "/v1/users/" + s.id["sara"], nil, 404, nil},
		{"get a missing user", "ada", "GET", "/v1/users/nope", nil, 404, nil},
		{"list users", "uma", "GET", "/v1/users?pageSize=2", nil, 200, func(b map[string]any) {
			if n := len(b["users"].([]any)); n != 2 {
				t.Errorf("pageSize=2 returned %d users", n)
			}
		}},
		{"list users with a bad page size", "ada", "GET", "/v1/users?pageSize=9999", nil, 400, nil},

		{"a manager edits a report", "mona", "PATCH", "/v1/users/" + s.id["uma"], map[string]any{"displayName": "Uma C."}, 200, func(b map[string]any) {
			if b["displayName"] != "Uma C." || b["email"] != "uma@demo.grantflow.dev" {
				t.Errorf("patch changed more than displayName: %v", b)
			}
		}},
		{"a user edits their manager", "uma", "PATCH", "/v1/users/" + s.id["mona"], map[string]any{"displayName": "M"}, 403, nil},
		{"edit into a manager cycle", "ada", "PATCH", "/v1/users/" + s.id["mona"], map[string]any{"managerId": s.id["uma"]}, 400, nil},

		{"mint a key", "ada", "POST", "/v1/users/" + s.id["uma"] + "/apiKeys", map[string]any{}, 200, func(b map[string]any) {
			if sec, _ := b["secret"].(string); !strings.HasPrefix(sec, "gf_") {
				t.Errorf("secret %v", b)
			}
		}},
		{"mint a key as a user", "uma", "POST", "/v1/users/" + s.id["uma"] + "/apiKeys", map[string]any{}, 403, nil},

		{"create a group", "ada", "POST", "/v1/groups", map[string]any{"name": "Oncall", "memberIds": []string{s.id["ulf"]}}, 200, func(b map[string]any) {
			groupID, _ = b["id"].(string)
		}},
		{"create a group as a user", "uma", "POST", "/v1/groups", map[string]any{"name": "Mine"}, 403, nil},
		{"create a group with an unknown member", "ada", "POST", "/v1/groups", map[string]any{"name": "Ghosts", "memberIds": []string{"ghost"}}, 400, nil},
		{"list groups as a user", "uma", "GET", "/v1/groups", nil, 200, nil},

		{"register an app", "ada", "POST", "/v1/apps", map[string]any{"name": "Notion", "ownerIds": []string{s.id["otto"]}, "permissions": []map[string]any{{"name": "member"}, {"name": "admin", "privileged": true}}}, 200, nil},
		{"register an app as its future owner", "otto", "POST", "/v1/apps", map[string]any{"name": "Jira", "permissions": []map[string]any{{"name": "user"}}}, 403, nil},
		{"register an app with a duplicate permission", "ada", "POST", "/v1/apps", map[string]any{"name": "Jira", "permissions": []map[string]any{{"name": "user"}, {"name": "user"}}}, 400, nil},
		{"list apps", "uma", "GET", "/v1/apps", nil, 200, nil},
		{"get an app", "uma", "GET", "/v1/apps/" + s.app["Figma"], nil, 200, nil},
		{"an owner edits their app", "otto", "PATCH", "/v1/apps/" + s.app["Figma"], map[string]any{"name": "Figma Design"}, 200, nil},
		{"an owner edits another's app", "otto", "PATCH", "/v1/apps/" + s.app["Salesforce"], map[string]any{"name": "SF"}, 403, nil},

		{"list accesses", "uma", "GET", "/v1/accesses?userId=" + s.id["uma"], nil, 200, nil},
		{"list accesses without credentials", "", "GET", "/v1/accesses", nil, 401, nil},

		{"offboard as a user", "uma", "POST", "/v1/users/" + s.id["ulf"] + ":offboard", map[string]any{}, 404, nil},
		{"offboard a direct report", "sam", "POST", "/v1/users/" + s.id["sara"] + ":offboard", map[string]any{"reason": "left"}, 200, func(b map[string]any) {
			if b["status"] != "OFFBOARDED" {
				t.Errorf("offboard: %v", b)
			}
		}},
		{"the offboarded key stops working", "sara", "GET", "/v1/me", nil, 401, nil},
	}
	for _, st := range steps {
		code, body := s.call(st.as, st.method, st.path, st.body)
		if code != st.want {
			t.Errorf("%s: %s %s as %q = %d, want %d (%v)", st.name, st.method, st.path, st.as, code, st.want, body)
			continue
		}
		if code >= 400 && code != 413 {
			if _, ok := body["code"]; !ok || body["message"] == nil || body["details"] == nil {
				t.Errorf("%s: error body %v lacks code/message/details", st.name, body)
			}
		}
		if st.then != nil {
			st.then(body)
		}
	}
	if groupID == "" || newUserID == "" {
		t.Fatal("group or user not created")
	}
	for _, st := range []struct {
		as, method, path string
		body             any
		want             int
	}{
		{"ada", "PATCH", "/v1/groups/" + groupID, map[string]any{"description": "who is on call"}, 200},
		{"uma", "DELETE", "/v1/groups/" + groupID, nil, 403},
		{"ada", "DELETE", "/v1/groups/" + groupID, nil, 200},
		{"ada", "GET", "/v1/groups/" + groupID, nil, 404},
	} {
		if code, body := s.call(st.as, st.method, st.path, st.body); code != st.want {
			t.Errorf("%s %s as %s = %d, want %d (%v)", st.method, st.path, st.as, code, st.want, body)
		}
	}
}

func TestHealthReadinessAndOpenAPI(t *testing.T) {
	s := startSystem(t, "")
	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := http.Get(s.base + path)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %v %v", path, res, err)
		}
		res.Body.Close()
	}
	res, err := http.Get(s.base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"GET /v1/me", "POST /v1/users", "GET /v1/users/{id}", "GET /v1/users", "PATCH /v1/users/{id}",
		"POST /v1/users/{id}:offboard", "POST /v1/users/{userId}/apiKeys", "POST /v1/groups", "GET /v1/groups/{id}",
		"PATCH /v1/groups/{id}", "DELETE /v1/groups/{id}", "GET /v1/groups", "POST /v1/apps", "GET /v1/apps",
		"GET /v1/apps/{id}", "PATCH /v1/apps/{id}", "GET /v1/accesses",
	} {
		method, path, _ := strings.Cut(want, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("openapi.json lacks %s", want)
		}
	}
}

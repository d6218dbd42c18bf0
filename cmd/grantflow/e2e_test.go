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
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc/codes"

	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/pkg/messagingtest"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/process"
)

// system starts the all-in-one process on free loopback ports with the demo organization,
// and talks to it over REST as a web client would.
type system struct {
	t      testing.TB
	a      *allInOne
	base   string
	client *http.Client
	key    map[string]string // person -> API key
	id     map[string]string // person -> user id
	app    map[string]string // app name -> id
	policy map[string]string // demo policy handle -> id
	step   string            // the step of a walk being run, for messages
}

// systemOptions vary the process a test starts.
type systemOptions struct {
	postgresURL string
	redisURL    string
	tracer      []sdktrace.TracerProviderOption
	// noRateLimit turns the gateway's per-principal limit off (benchmarks).
	noRateLimit bool
	// authFailureLimit is GRANTFLOW_AUTH_FAILURE_LIMIT; 0 (the tests' default, which send
	// many bad credentials on purpose) turns it off.
	authFailureLimit int
	// streamRecheck is GRANTFLOW_STREAM_RECHECK (0: the default).
	streamRecheck time.Duration
	// onServe is told of every call the shared gRPC server serves (process.Options.OnServe).
	onServe func(ctx context.Context, service, fullMethod string)
	// allowPrivateWebhooks lets webhooks reach the tests' local receivers
	// (GRANTFLOW_WEBHOOK_ALLOW_PRIVATE).
	allowPrivateWebhooks bool
	// smtp and slack turn email and Slack notifications on, to the tests' stand-ins
	// (GRANTFLOW_SMTP_URL, GRANTFLOW_SLACK_BOT_TOKEN, GRANTFLOW_SLACK_API_URL).
	smtp  *messagingtest.SMTPServer
	slack *messagingtest.SlackAPI
}

func startSystem(t testing.TB, o systemOptions) *system {
	t.Helper()
	cfg := config.Default()
	cfg.GRPCAddr, cfg.HTTPAddr, cfg.PostgresURL, cfg.RedisURL, cfg.LogLevel = "127.0.0.1:0", "127.0.0.1:0", o.postgresURL, o.redisURL, "error"
	if o.noRateLimit {
		cfg.RateLimit = 0
	}
	cfg.AuthFailureLimit = o.authFailureLimit
	cfg.StreamRecheck = o.streamRecheck
	cfg.MetricsAddr = "127.0.0.1:0"
	cfg.WebhookAllowPrivate = o.allowPrivateWebhooks
	if o.smtp != nil {
		cfg.SMTPURL, cfg.SMTPFrom = o.smtp.URL(), "grantflow@demo.grantflow.dev"
	}
	if o.slack != nil {
		cfg.SlackBotToken, cfg.SlackAPIURL = messagingtest.SlackToken, o.slack.APIURL()
	}
	cfg.ConsoleURL = testConsoleURL
	cfg.SecretsKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" // required on PostgreSQL
	devnull, _ := os.Open(os.DevNull)
	t.Cleanup(func() { devnull.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	a, err := start(ctx, cfg, devnull, process.Options{AllowRandomSecret: true, TracerOptions: o.tracer, OnServe: o.onServe})
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		client.CloseIdleConnections()
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
	s := &system{t: t, a: a, base: "http://" + a.httpAddr, client: client,
		key: map[string]string{"nobody": "gf_nothing_here"}, id: map[string]string{}, app: map[string]string{}, policy: map[string]string{}}
	for _, p := range a.demo.people {
		s.key[p.handle], s.id[p.handle] = p.key, p.id
	}
	for _, ap := range a.demo.apps {
		s.app[ap.name] = ap.id
	}
	for _, p := range a.demo.policies {
		s.policy[p.handle] = p.id
	}
	return s
}

// forEachEngine runs test against an all-in-one process on the memory engine and on
// PostgreSQL (a database of its own; skipped loudly without a server, failed under CI=true).
func forEachEngine(t *testing.T, test func(t *testing.T, s *system)) {
	for _, engine := range []string{"memory", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			o := systemOptions{}
			if engine == "postgres" {
				o.postgresURL = pgtest.NewEmptyDatabase(t)
			}
			test(t, startSystem(t, o))
		})
	}
}

// do does one REST call as person ("" for no credentials) and returns the response with
// its body read.
func (s *system) do(person, method, path string, body any) (*http.Response, []byte) {
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
	res, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("X-Request-Id") == "" {
		s.t.Errorf("%s %s: no X-Request-Id", method, path)
	}
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	return res, raw
}

// call does one REST call as person ("" for no credentials) and returns status and body.
func (s *system) call(person, method, path string, body any) (int, map[string]any) {
	s.t.Helper()
	res, raw := s.do(person, method, path, body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

// must does a call that has to succeed and returns its body.
func (s *system) must(person, method, path string, body any) map[string]any {
	s.t.Helper()
	code, out := s.call(person, method, path, body)
	if code != http.StatusOK {
		s.t.Fatalf("%s %s as %s = %d (%v)", method, path, person, code, out)
	}
	return out
}

// step is one REST call of a walk and what it must answer.
type step struct {
	name         string
	as           string // person; "" sends no credentials
	method, path string
	body         any
	want         int                  // HTTP status
	then         func(map[string]any) // more checks of the body, or remembering what it says
}

// walk runs steps in order, checking each status and, for errors, the body API.md
// prescribes: {code, message, details}.
func (s *system) walk(t *testing.T, steps []step) {
	t.Helper()
	for _, st := range steps {
		s.step = st.name
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
}

// grpcCode checks an error body's gRPC code (API.md tells FAILED_PRECONDITION from
// INVALID_ARGUMENT, both 400).
func (s *system) grpcCode(t *testing.T, want codes.Code) func(map[string]any) {
	return func(body map[string]any) {
		t.Helper()
		if got, _ := body["code"].(float64); codes.Code(got) != want {
			t.Errorf("%s: gRPC code %v, want %v (%v)", s.step, codes.Code(got), want, body)
		}
	}
}

// badField checks that an error body is INVALID_ARGUMENT with a BadRequest naming field.
func (s *system) badField(t *testing.T, field string) func(map[string]any) {
	return func(body map[string]any) {
		t.Helper()
		s.grpcCode(t, codes.InvalidArgument)(body)
		if !namesField(body, field) {
			t.Errorf("%s: no BadRequest detail naming %q in %v", s.step, field, body)
		}
	}
}

// namesField reports whether an error body has a google.rpc.BadRequest naming field (or a
// field inside it).
func namesField(body map[string]any, field string) bool {
	details, _ := body["details"].([]any)
	for _, d := range details {
		dm, _ := d.(map[string]any)
		if t, _ := dm["@type"].(string); !strings.HasSuffix(t, "google.rpc.BadRequest") {
			continue
		}
		violations, _ := dm["fieldViolations"].([]any)
		for _, v := range violations {
			vm, _ := v.(map[string]any)
			if f, _ := vm["field"].(string); f == field || strings.HasPrefix(f, field+".") || strings.HasPrefix(f, field+"[") {
				return true
			}
		}
	}
	return false
}

// str reads a string field of a JSON object ("" when absent).
func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// objects reads an array field of a JSON object as objects.
func objects(m map[string]any, key string) []map[string]any {
	raw, _ := m[key].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, r := range raw {
		if o, ok := r.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

// ids returns the "id" of every object.
func ids(objs []map[string]any) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, str(o, "id"))
	}
	return out
}

// TestIdentityOverREST walks every Identity path of API.md with allowed, forbidden,
// unauthenticated and bad calls, on the memory engine and on PostgreSQL.
func TestIdentityOverREST(t *testing.T) {
	forEachEngine(t, walkIdentity)
}

func walkIdentity(t *testing.T, s *system) {
	var groupID, newUserID string
	s.walk(t, []step{
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
	})
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

// TestHealthReadinessAndOpenAPI: /readyz checks every backend, and the OpenAPI document
// has every REST path of API.md's Identity, Policy, Task and Audit sections.
func TestHealthReadinessAndOpenAPI(t *testing.T) {
	s := startSystem(t, systemOptions{})
	if res, _ := s.do("", "GET", "/healthz", nil); res.StatusCode != 200 {
		t.Fatalf("/healthz: %d", res.StatusCode)
	}
	code, ready := s.call("", "GET", "/readyz", nil)
	if code != 200 {
		t.Fatalf("/readyz: %d %v", code, ready)
	}
	for _, backend := range []string{"identity", "policy", "request", "task", "audit", "grpc"} {
		if ready[backend] != "ok" {
			t.Errorf("/readyz does not report %s ok: %v", backend, ready)
		}
	}
	res, raw := s.do("", "GET", "/openapi.json", nil)
	if res.StatusCode != 200 {
		t.Fatalf("/openapi.json: %d", res.StatusCode)
	}
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"GET /v1/me", "POST /v1/users", "GET /v1/users/{id}", "GET /v1/users", "PATCH /v1/users/{id}",
		"POST /v1/users/{id}:offboard", "POST /v1/users/{userId}/apiKeys", "POST /v1/groups", "GET /v1/groups/{id}",
		"PATCH /v1/groups/{id}", "DELETE /v1/groups/{id}", "GET /v1/groups", "POST /v1/apps", "GET /v1/apps",
		"GET /v1/apps/{id}", "PATCH /v1/apps/{id}", "GET /v1/accesses",
		"POST /v1/policies", "GET /v1/policies/{id}", "GET /v1/policies", "POST /v1/policies/{policyId}/versions",
		"GET /v1/policies/{policyId}/versions", "GET /v1/policies/{policyId}/versions/{version}",
		"PATCH /v1/policies/{policyId}/versions/{version}", "POST /v1/policies/{policyId}/versions/{version}:activate",
		"POST /v1/policies:resolve", "POST /v1/policies/{id}:retire",
		"GET /v1/tasks", "GET /v1/tasks/{id}", "POST /v1/tasks", "POST /v1/tasks/{id}:approve", "POST /v1/tasks/{id}:decline",
		"POST /v1/tasks/{id}:complete", "POST /v1/tasks/{id}:reassign",
		"GET /v1/auditEvents", "POST /v1/auditEvents:verify", "GET /v1/auditEvents:export",
		"POST /v1/requests", "GET /v1/requests/{id}", "GET /v1/requests", "POST /v1/requests/{id}:cancel",
	} {
		method, path, _ := strings.Cut(want, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("openapi.json lacks %s", want)
		}
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// apiRoutes is every REST call of API.md, with its path filled in by the test.
var apiRoutes = []string{
	"GET /v1/me", "POST /v1/users", "GET /v1/users/{user}", "GET /v1/users", "PATCH /v1/users/{user}",
	"POST /v1/users/{user}:offboard", "POST /v1/users/{user}/apiKeys",
	"POST /v1/groups", "GET /v1/groups/{group}", "PATCH /v1/groups/{group}", "DELETE /v1/groups/{group}", "GET /v1/groups",
	"POST /v1/apps", "GET /v1/apps", "GET /v1/apps/{app}", "PATCH /v1/apps/{app}", "GET /v1/accesses",
	"PUT /v1/apps/{app}/connector", "GET /v1/apps/{app}/connector", "DELETE /v1/apps/{app}/connector",
	"POST /v1/policies", "GET /v1/policies/{policy}", "GET /v1/policies", "POST /v1/policies/{policy}/versions",
	"GET /v1/policies/{policy}/versions", "GET /v1/policies/{policy}/versions/1", "PATCH /v1/policies/{policy}/versions/1",
	"POST /v1/policies/{policy}/versions/1:activate", "POST /v1/policies:resolve", "POST /v1/policies/{policy}:retire",
	"POST /v1/requests", "GET /v1/requests/{request}", "GET /v1/requests", "POST /v1/requests/{request}:cancel",
	"GET /v1/requests/{request}:watch",
	"GET /v1/tasks", "GET /v1/tasks/{task}", "POST /v1/tasks/{task}:approve", "POST /v1/tasks/{task}:decline",
	"POST /v1/tasks/{task}:complete", "POST /v1/tasks/{task}:reassign", "GET /v1/tasks:watch",
	"GET /v1/auditEvents", "POST /v1/auditEvents:verify", "GET /v1/auditEvents:export",
}

// TestEveryPathOfTheContract: every REST call of API.md refuses a call without credentials
// or with a bad one (401 with the {code, message, details} body) and changes nothing; and
// every call that takes the id of a request or a task answers 404 to a user who may not see
// it (no BOLA), leaking nothing in its message. The allowed, forbidden and bad-input codes
// of each path are walked in e2e_test.go (identity), governance_test.go (policy, task,
// audit) and request_test.go (requests).
func TestEveryPathOfTheContract(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		req := s.must("uma", "POST", "/v1/requests", map[string]any{"type": "GRANT_ACCESS", "appId": s.app["Figma"], "permission": "editor"})
		reqID := str(req, "id")
		taskID := s.pendingTask(t, reqID, "mona")
		ids := map[string]string{
			"{user}": s.id["uma"], "{group}": "no-group", "{app}": s.app["Figma"], "{policy}": s.policy["salesforce"],
			"{request}": reqID, "{task}": taskID,
		}
		fill := func(path string) string {
			for k, v := range ids {
				path = strings.ReplaceAll(path, k, v)
			}
			return path
		}
		for _, route := range apiRoutes {
			method, path, _ := strings.Cut(route, " ")
			path = fill(path)
			for _, cred := range []string{"", "Bearer gf_not_a_key_0000000000000000", "Basic dXNlcjpwYXNz"} {
				res, raw := s.doRaw(method, path, cred, map[string]any{})
				if res.StatusCode != 401 {
					t.Errorf("%s with credentials %q: %d, want 401 (%s)", route, cred, res.StatusCode, raw)
				}
			}
		}
		// BOLA: Sara is no party to Uma's request nor its tasks.
		for _, route := range []string{
			"GET /v1/requests/{request}", "POST /v1/requests/{request}:cancel", "GET /v1/requests/{request}:watch", "GET /v1/tasks/{task}",
			"POST /v1/tasks/{task}:approve", "POST /v1/tasks/{task}:decline", "POST /v1/tasks/{task}:complete",
		} {
			method, path, _ := strings.Cut(route, " ")
			code, body := s.call("sara", method, fill(path), map[string]any{})
			if code != 404 {
				t.Errorf("%s as a stranger: %d, want 404 (%v)", route, code, body)
			}
			if msg, _ := body["message"].(string); strings.Contains(msg, s.id["uma"]) || strings.Contains(msg, "editor") {
				t.Errorf("%s as a stranger leaks: %q", route, msg)
			}
		}
		for _, q := range []string{"/v1/requests", "/v1/requests?targetUserId=" + s.id["uma"], "/v1/auditEvents?requestId=" + reqID} {
			b := s.must("sara", "GET", q, nil)
			for _, key := range []string{"requests", "auditEvents"} {
				for _, o := range objects(b, key) {
					if str(o, "id") == reqID || str(o, "requestId") == reqID {
						t.Errorf("GET %s as a stranger lists Uma's request: %v", q, o)
					}
				}
			}
		}
		// Nothing changed: the request still waits for Mona.
		if r := s.must("uma", "GET", "/v1/requests/"+reqID, nil); r["status"] != "IN_PROGRESS" || r["stepIndex"] != nil && r["stepIndex"] != float64(0) {
			t.Errorf("after the refused calls: %v", r)
		}
	})
}

// doRaw does one REST call with the Authorization header auth as given ("" for none).
func (s *system) doRaw(method, path, auth string, body any) (*http.Response, []byte) {
	s.t.Helper()
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(method, s.base+path, bytes.NewReader(raw))
	if err != nil {
		s.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, out
}

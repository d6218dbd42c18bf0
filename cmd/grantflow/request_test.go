package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
)

// TestRequestLifecycleOverREST drives the seeds' example through the gateway: Uma asks for
// Figma; her manager's review opens, then the owner's; the owner provisions; the request
// is DONE and the access exists. Around it, every Request path of API.md with allowed,
// forbidden, unauthenticated and bad calls, and the request's lineage in audit.
func TestRequestLifecycleOverREST(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		figma := s.app["Figma"]
		ask := map[string]any{"requestId": uuid.NewString(), "type": "GRANT_ACCESS", "appId": figma, "permission": "editor", "reason": "design reviews"}
		var id string
		s.walk(t, []step{
			{"submit without credentials", "", "POST", "/v1/requests", ask, 401, nil},
			{"submit for an unknown app", "uma", "POST", "/v1/requests", map[string]any{"type": "GRANT_ACCESS", "appId": "no-such-app", "permission": "editor"}, 400, s.badField(t, "app_id")},
			{"submit a permission the app lacks", "uma", "POST", "/v1/requests", map[string]any{"type": "GRANT_ACCESS", "appId": figma, "permission": "owner"}, 400, s.badField(t, "permission")},
			{"submit for an unknown user", "ada", "POST", "/v1/requests", map[string]any{"type": "GRANT_ACCESS", "targetUserId": "ghost", "appId": figma, "permission": "editor"}, 400, s.badField(t, "target_user_id")},
			{"submit without a type", "uma", "POST", "/v1/requests", map[string]any{"appId": figma, "permission": "editor"}, 400, s.badField(t, "type")},
			{"submit with an unknown field", "uma", "POST", "/v1/requests", `{"type":"GRANT_ACCESS","appId":"` + figma + `","permision":"editor"}`, 400, nil},
			{"submit for a colleague", "uma", "POST", "/v1/requests", map[string]any{"type": "GRANT_ACCESS", "targetUserId": s.id["ulf"], "appId": figma, "permission": "editor"}, 403, s.grpcCode(t, codes.PermissionDenied)},
			{"submit", "uma", "POST", "/v1/requests", ask, 200, func(b map[string]any) {
				id = str(b, "id")
				if b["status"] != "IN_PROGRESS" || b["stage"] != "REVIEW" || b["policyId"] != "system-default-grant-access" || b["policyVersion"] != "1" {
					t.Errorf("submitted: %v", b)
				}
			}},
			{"submit again (a retry)", "uma", "POST", "/v1/requests", ask, 200, func(b map[string]any) {
				if str(b, "id") != id {
					t.Errorf("a retry made request %s, not %s", str(b, "id"), id)
				}
			}},
			{"reuse the request id for another body", "uma", "POST", "/v1/requests", map[string]any{"requestId": ask["requestId"], "type": "GRANT_ACCESS", "appId": figma, "permission": "viewer"}, 409, s.grpcCode(t, codes.AlreadyExists)},
		})
		if id == "" {
			t.Fatal("no request")
		}
		path := "/v1/requests/" + id
		s.walk(t, []step{
			{"the requester reads it", "uma", "GET", path, nil, 200, nil},
			{"the manager reads it", "mona", "GET", path, nil, 200, nil},
			{"the owner reads it", "otto", "GET", path, nil, 200, nil},
			{"someone else cannot", "sara", "GET", path, nil, 404, s.grpcCode(t, codes.NotFound)},
			{"read without credentials", "", "GET", path, nil, 401, nil},
			{"a missing request", "ada", "GET", "/v1/requests/no-such-request", nil, 404, nil},
			{"the log of a colleague", "sara", "GET", "/v1/requests", nil, 200, func(b map[string]any) {
				if slices.Contains(ids(objects(b, "requests")), id) {
					t.Error("Sara's request log shows Uma's request")
				}
			}},
			{"the requester's log", "uma", "GET", "/v1/requests?status=IN_PROGRESS", nil, 200, func(b map[string]any) {
				if !slices.Contains(ids(objects(b, "requests")), id) {
					t.Error("Uma's request log lacks her request")
				}
			}},
			{"the log with a bad page size", "uma", "GET", "/v1/requests?pageSize=501", nil, 400, s.badField(t, "page_size")},
			{"the log with a bad page token", "uma", "GET", "/v1/requests?pageToken=xyz", nil, 400, s.badField(t, "page_token")},
			{"the manager may not cancel", "mona", "POST", path + ":cancel", map[string]any{}, 403, s.grpcCode(t, codes.PermissionDenied)},
			{"a stranger may not cancel", "sara", "POST", path + ":cancel", map[string]any{}, 404, nil},
		})

		// The manager's review, then the owner's, then the owner provisions.
		for _, st := range []struct{ who, verb string }{{"mona", "approve"}, {"otto", "approve"}, {"otto", "complete"}} {
			task := s.pendingTask(t, id, st.who)
			if st.who == "mona" {
				// The requester sees the tasks of her request, and may not decide them.
				s.walk(t, []step{{"the requester may not approve", "uma", "POST", "/v1/tasks/" + task + ":approve", map[string]any{}, 403, s.grpcCode(t, codes.PermissionDenied)}})
			}
			body := map[string]any{"justification": "ok"}
			if st.verb == "complete" {
				body = map[string]any{"note": "granted in Figma"}
			}
			s.must(st.who, "POST", "/v1/tasks/"+task+":"+st.verb, body)
		}
		done := s.waitRequest(t, id, "DONE")
		if done["stage"] != "CLOSED" || len(done["taskIds"].([]any)) != 3 {
			t.Errorf("done: %v", done)
		}
		acc := s.must("uma", "GET", "/v1/accesses?userId="+s.id["uma"]+"&appId="+figma, nil)
		if got := objects(acc, "accesses"); len(got) != 1 || got[0]["permission"] != "editor" {
			t.Errorf("Uma's Figma access: %v", acc)
		}
		s.walk(t, []step{{"cancel a done request", "uma", "POST", path + ":cancel", map[string]any{}, 400, s.grpcCode(t, codes.FailedPrecondition)}})

		// The lineage: the request's events and every task's, pointing at the pinned version.
		var lineage []map[string]any
		waitFor(t, "the lineage of "+id, func() (bool, string) {
			lineage = objects(s.must("uma", "GET", "/v1/auditEvents?requestId="+id, nil), "auditEvents")
			var actions []string
			for _, e := range lineage {
				actions = append(actions, str(e, "action"))
			}
			return slices.Contains(actions, "request.done") && strings.Count(strings.Join(actions, ","), "task.created") == 3, fmt.Sprint(actions)
		})
		for _, e := range lineage {
			if a := str(e, "action"); !strings.HasPrefix(a, "request.") && !strings.HasPrefix(a, "task.") {
				continue // identity's access.granted names the request, not the policy
			}
			if e["policyId"] != "system-default-grant-access" || e["policyVersion"] != "1" {
				t.Errorf("event %s names policy %v v%v", str(e, "action"), e["policyId"], e["policyVersion"])
			}
		}
	})
}

// pendingTask waits for the pending task of request id in person's inbox.
func (s *system) pendingTask(t *testing.T, id, person string) string {
	t.Helper()
	var task string
	waitFor(t, "a pending task of request "+id+" for "+person, func() (bool, string) {
		if tasks := objects(s.must(person, "GET", "/v1/tasks?status=PENDING&requestId="+id, nil), "tasks"); len(tasks) > 0 {
			task = str(tasks[0], "id")
		}
		return task != "", "none"
	})
	return task
}

// waitRequest polls a request (as the admin) until it has status.
func (s *system) waitRequest(t *testing.T, id, status string) map[string]any {
	t.Helper()
	var r map[string]any
	waitFor(t, "request "+id+" "+status, func() (bool, string) {
		r = s.must("ada", "GET", "/v1/requests/"+id, nil)
		return r["status"] == status, fmt.Sprint(r)
	})
	return r
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/grantflow/grantflow/gateway"
)

// TestPolicyTaskAuditOverREST walks every Policy, Task and Audit path of API.md over REST
// with allowed, forbidden, unauthenticated and bad calls, then checks that audit received
// every change the walk made, exactly once and in order, and that the log verifies and
// exports; on the memory engine and on PostgreSQL.
func TestPolicyTaskAuditOverREST(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		policyID := walkPolicies(t, s)
		taskIDs := walkTasks(t, s)
		walkAudit(t, s, policyID, taskIDs)
	})
}

// workflow is a policy workflow as REST takes it: the review steps, then the app owner
// carries it out.
func workflow(reviews ...map[string]any) map[string]any {
	if reviews == nil {
		reviews = []map[string]any{}
	}
	return map[string]any{"reviewSteps": reviews, "actionStep": map[string]any{"name": "Provision", "assignee": map[string]any{"kind": "APP_OWNER"}}}
}

func reviewStep(name, kind, approval string, more map[string]any) map[string]any {
	st := map[string]any{"name": name, "assignee": map[string]any{"kind": kind}, "approval": approval}
	for k, v := range more {
		if k == "userIds" || k == "groupIds" || k == "customRole" {
			st["assignee"].(map[string]any)[k] = v
		} else {
			st[k] = v
		}
	}
	return st
}

// walkPolicies creates a permission-specific policy for Figma editors and takes it through
// drafts, edits, activations and a deletion. It returns the policy's id.
func walkPolicies(t *testing.T, s *system) string {
	t.Helper()
	figma, github := s.app["Figma"], s.app["GitHub"]
	manager := reviewStep("Manager approval", "MANAGER", "ANY", nil)
	newPolicy := map[string]any{
		"name": "Figma editors", "requestType": "GRANT_ACCESS",
		"scope":    map[string]any{"appId": figma, "permissions": []string{"editor"}},
		"workflow": workflow(manager),
	}
	resolveFigmaEditor := map[string]any{"requestType": "GRANT_ACCESS", "appId": figma, "permission": "editor"}
	var id string
	s.walk(t, []step{
		{"list policies", "uma", "GET", "/v1/policies", nil, 200, func(b map[string]any) {
			got := ids(objects(b, "policies"))
			for _, want := range []string{"system-default-grant-access", "system-default-add-app", s.policy["github_admin"], s.policy["salesforce"]} {
				if !slices.Contains(got, want) {
					t.Errorf("list policies lacks %s: %v", want, got)
				}
			}
		}},
		{"list policies of an app", "uma", "GET", "/v1/policies?requestType=GRANT_ACCESS&appId=" + github, nil, 200, func(b map[string]any) {
			if got := ids(objects(b, "policies")); !slices.Equal(got, []string{s.policy["github_admin"]}) {
				t.Errorf("GitHub's GRANT_ACCESS policies: %v", got)
			}
		}},
		{"list policies one by one", "uma", "GET", "/v1/policies?pageSize=1", nil, 200, func(b map[string]any) {
			if len(objects(b, "policies")) != 1 || str(b, "nextPageToken") == "" {
				t.Errorf("pageSize=1: %v", b)
			}
		}},
		{"list policies without credentials", "", "GET", "/v1/policies", nil, 401, nil},
		{"list policies with a bad page size", "uma", "GET", "/v1/policies?pageSize=501", nil, 400, s.badField(t, "page_size")},
		{"list policies of an unknown request type", "uma", "GET", "/v1/policies?requestType=BORROW_ACCESS", nil, 400, s.grpcCode(t, codes.InvalidArgument)},

		{"create a policy as a user", "otto", "POST", "/v1/policies", newPolicy, 403, s.grpcCode(t, codes.PermissionDenied)},
		{"create a policy without credentials", "", "POST", "/v1/policies", newPolicy, 401, nil},
		{"create a policy without a workflow", "ada", "POST", "/v1/policies", map[string]any{"name": "X", "requestType": "GRANT_ACCESS"}, 400, s.badField(t, "workflow")},
		{"create a policy with the agent reviewing", "ada", "POST", "/v1/policies", map[string]any{
			"name": "X", "requestType": "GRANT_ACCESS", "workflow": workflow(reviewStep("Robot", "AGENT", "ANY", nil)),
		}, 400, s.badField(t, "workflow")},
		{"create a policy with an unreachable quorum", "ada", "POST", "/v1/policies", map[string]any{
			"name": "X", "requestType": "GRANT_ACCESS", "scope": map[string]any{"appId": figma},
			"workflow": workflow(reviewStep("Two of one", "USERS", "QUORUM", map[string]any{"userIds": []string{s.id["ada"]}, "minApprovals": 2})),
		}, 400, s.badField(t, "workflow")},
		{"create a policy for an unknown app", "ada", "POST", "/v1/policies", map[string]any{
			"name": "X", "requestType": "GRANT_ACCESS", "scope": map[string]any{"appId": "no-such-app"}, "workflow": workflow(manager),
		}, 400, s.badField(t, "scope")},
		{"create a second app policy for Salesforce", "ada", "POST", "/v1/policies", map[string]any{
			"name": "X", "requestType": "GRANT_ACCESS", "scope": map[string]any{"appId": s.app["Salesforce"]}, "workflow": workflow(manager),
		}, 400, s.grpcCode(t, codes.FailedPrecondition)},
		{"create a policy", "ada", "POST", "/v1/policies", newPolicy, 200, func(b map[string]any) {
			id = str(b, "id")
			if b["level"] != "PERMISSION" || b["latestVersion"] != "1" || b["activeVersion"] != "0" || str(b, "createBy") != s.id["ada"] {
				t.Errorf("created policy: %v", b)
			}
		}},
	})
	if id == "" {
		t.Fatal("policy not created")
	}
	p := "/v1/policies/" + id
	v1, v2 := p+"/versions/1", p+"/versions/2"
	// Version 1 after the edit: a manager, then two of three named reviewers.
	quorum := workflow(manager, reviewStep("Design leads", "USERS", "QUORUM", map[string]any{
		"userIds": []string{s.id["otto"], s.id["mona"], s.id["ada"]}, "minApprovals": 2}))
	var etag string
	s.walk(t, []step{
		{"get the policy", "uma", "GET", p, nil, 200, func(b map[string]any) {
			if b["name"] != "Figma editors" || b["requestType"] != "GRANT_ACCESS" {
				t.Errorf("policy: %v", b)
			}
		}},
		{"get a missing policy", "uma", "GET", "/v1/policies/no-such-policy", nil, 404, s.grpcCode(t, codes.NotFound)},
		{"get a policy without credentials", "", "GET", p, nil, 401, nil},
		{"list versions", "uma", "GET", p + "/versions", nil, 200, func(b map[string]any) {
			if vs := objects(b, "versions"); len(vs) != 1 || vs[0]["state"] != "DRAFT" {
				t.Errorf("versions: %v", b)
			}
		}},
		{"get version 1", "uma", "GET", v1, nil, 200, func(b map[string]any) {
			etag = str(b, "etag")
			if b["state"] != "DRAFT" || etag == "" {
				t.Errorf("version 1: %v", b)
			}
		}},
		{"get a missing version", "uma", "GET", p + "/versions/9", nil, 404, nil},
		{"get version 0", "uma", "GET", p + "/versions/0", nil, 400, s.badField(t, "version")},
		{"a draft does not resolve", "uma", "POST", "/v1/policies:resolve", resolveFigmaEditor, 200, func(b map[string]any) {
			if b["level"] != "SYSTEM_DEFAULT" || b["policyId"] != "system-default-grant-access" {
				t.Errorf("resolution before activation: %v", b)
			}
		}},

		{"edit a draft as a user", "otto", "PATCH", v1, map[string]any{"workflow": quorum}, 403, nil},
		{"edit a draft without credentials", "", "PATCH", v1, map[string]any{"workflow": quorum}, 401, nil},
		{"edit a draft with a stale etag", "ada", "PATCH", v1, map[string]any{"workflow": quorum, "etag": "stale"}, 409, s.grpcCode(t, codes.Aborted)},
		{"edit a draft naming an unknown assignee kind", "ada", "PATCH", v1, map[string]any{"workflow": workflow(reviewStep("Q", "EVERYONE", "ANY", nil))}, 400, s.grpcCode(t, codes.InvalidArgument)},
		{"edit a draft with a QUORUM lacking minApprovals", "ada", "PATCH", v1, map[string]any{
			"workflow": workflow(reviewStep("Q", "USERS", "QUORUM", map[string]any{"userIds": []string{s.id["ada"]}})),
		}, 400, s.badField(t, "workflow")},
		{"edit a draft", "ada", "PATCH", v1, map[string]any{"workflow": quorum, "etag": etag}, 200, func(b map[string]any) {
			if b["state"] != "DRAFT" || len(objects(b["workflow"].(map[string]any), "reviewSteps")) != 2 {
				t.Errorf("edited version: %v", b)
			}
		}},

		{"activate as a user", "uma", "POST", v1 + ":activate", map[string]any{}, 403, nil},
		{"activate without credentials", "", "POST", v1 + ":activate", map[string]any{}, 401, nil},
		{"activate a missing version", "ada", "POST", p + "/versions/9:activate", map[string]any{}, 404, nil},
		{"activate", "ada", "POST", v1 + ":activate", map[string]any{}, 200, func(b map[string]any) {
			if b["state"] != "ACTIVE" {
				t.Errorf("activated: %v", b)
			}
		}},
		{"edit an active version", "ada", "PATCH", v1, map[string]any{"workflow": workflow(manager)}, 400, s.grpcCode(t, codes.FailedPrecondition)},
		{"activate the active version again", "ada", "POST", v1 + ":activate", map[string]any{}, 400, s.grpcCode(t, codes.FailedPrecondition)},
		{"resolve to the permission policy", "uma", "POST", "/v1/policies:resolve", resolveFigmaEditor, 200, func(b map[string]any) {
			if b["policyId"] != id || b["version"] != "1" || b["level"] != "PERMISSION" || len(objects(b["workflow"].(map[string]any), "reviewSteps")) != 2 {
				t.Errorf("resolution: %v", b)
			}
		}},
		{"resolve another permission of the app", "uma", "POST", "/v1/policies:resolve", map[string]any{"requestType": "GRANT_ACCESS", "appId": figma, "permission": "viewer"}, 200, func(b map[string]any) {
			if b["level"] != "SYSTEM_DEFAULT" {
				t.Errorf("viewer: %v", b)
			}
		}},
		{"resolve the demo's app policy", "uma", "POST", "/v1/policies:resolve", map[string]any{"requestType": "GRANT_ACCESS", "appId": s.app["Salesforce"], "permission": "user"}, 200, func(b map[string]any) {
			if b["policyId"] != s.policy["salesforce"] || b["level"] != "APP" {
				t.Errorf("Salesforce: %v", b)
			}
		}},
		{"resolve a permission without an app", "uma", "POST", "/v1/policies:resolve", map[string]any{"requestType": "GRANT_ACCESS", "permission": "editor"}, 400, s.badField(t, "app_id")},
		{"resolve without a request type", "uma", "POST", "/v1/policies:resolve", map[string]any{"appId": figma}, 400, s.badField(t, "request_type")},
		{"resolve without credentials", "", "POST", "/v1/policies:resolve", resolveFigmaEditor, 401, nil},

		{"new draft as a user", "uma", "POST", p + "/versions", map[string]any{"workflow": workflow()}, 403, nil},
		{"new draft without credentials", "", "POST", p + "/versions", map[string]any{"workflow": workflow()}, 401, nil},
		{"new draft without a workflow", "ada", "POST", p + "/versions", map[string]any{}, 400, s.badField(t, "workflow")},
		{"new draft of a missing policy", "ada", "POST", "/v1/policies/no-such-policy/versions", map[string]any{"workflow": workflow()}, 404, nil},
		{"new draft", "ada", "POST", p + "/versions", map[string]any{"workflow": workflow()}, 200, func(b map[string]any) {
			if b["version"] != "2" || b["state"] != "DRAFT" {
				t.Errorf("version 2: %v", b)
			}
		}},
		{"activate version 2", "ada", "POST", v2 + ":activate", map[string]any{}, 200, nil},
		{"version 1 is retired", "uma", "GET", v1, nil, 200, func(b map[string]any) {
			if b["state"] != "RETIRED" {
				t.Errorf("version 1 after version 2's activation: %v", b)
			}
		}},
		{"a retired version never returns", "ada", "POST", v1 + ":activate", map[string]any{}, 400, s.grpcCode(t, codes.FailedPrecondition)},
		{"the policy names its active version", "uma", "GET", p, nil, 200, func(b map[string]any) {
			if b["activeVersion"] != "2" || b["latestVersion"] != "2" {
				t.Errorf("policy after activation: %v", b)
			}
		}},
		{"resolve to version 2", "uma", "POST", "/v1/policies:resolve", resolveFigmaEditor, 200, func(b map[string]any) {
			if b["policyId"] != id || b["version"] != "2" || len(objects(b["workflow"].(map[string]any), "reviewSteps")) != 0 {
				t.Errorf("resolution after version 2: %v", b)
			}
		}},
		{"new draft 3", "ada", "POST", p + "/versions", map[string]any{"workflow": workflow(manager)}, 200, nil},
		{"delete a draft", "ada", "DELETE", p + "/versions/3", nil, 200, nil},
		{"delete the active version", "ada", "DELETE", v2, nil, 400, s.grpcCode(t, codes.FailedPrecondition)},
		{"list versions after all that", "uma", "GET", p + "/versions", nil, 200, func(b map[string]any) {
			var states []string
			for _, v := range objects(b, "versions") {
				states = append(states, str(v, "version")+":"+str(v, "state"))
			}
			if !slices.Equal(states, []string{"1:RETIRED", "2:ACTIVE"}) {
				t.Errorf("versions: %v", states)
			}
		}},
	})
	return id
}

// walkTasks creates standalone tasks and lists, gets, reassigns and completes them. It
// returns the ids of the tasks it created.
func walkTasks(t *testing.T, s *system) []string {
	t.Helper()
	newTask := map[string]any{"assigneeIds": []string{s.id["uma"]}, "action": "Set up Nina's laptop", "note": "she starts Monday"}
	var first, second string
	s.walk(t, []step{
		{"create a task as a user", "mona", "POST", "/v1/tasks", newTask, 403, s.grpcCode(t, codes.PermissionDenied)},
		{"create a task without credentials", "", "POST", "/v1/tasks", newTask, 401, nil},
		{"create a task for nobody", "ada", "POST", "/v1/tasks", map[string]any{"assigneeIds": []string{}, "action": "x"}, 400, s.badField(t, "assignee_ids")},
		{"create a task for an unknown person", "ada", "POST", "/v1/tasks", map[string]any{"assigneeIds": []string{"ghost"}, "action": "x"}, 400, s.badField(t, "assignee_ids")},
		{"create a task without an action", "ada", "POST", "/v1/tasks", map[string]any{"assigneeIds": []string{s.id["uma"]}}, 400, s.badField(t, "action")},
		{"create a task with an unknown field", "ada", "POST", "/v1/tasks", `{"assigneeIds":["` + s.id["uma"] + `"],"action":"x","asignee":"typo"}`, 400, nil},
		{"create a task", "ada", "POST", "/v1/tasks", newTask, 200, func(b map[string]any) {
			first = str(b, "id")
			if b["type"] != "STANDALONE" || b["status"] != "PENDING" || b["action"] != "Set up Nina's laptop" {
				t.Errorf("created task: %v", b)
			}
		}},
		{"create another task", "grace", "POST", "/v1/tasks", map[string]any{"assigneeIds": []string{s.id["uma"], s.id["ulf"]}, "action": "Order badges"}, 200, func(b map[string]any) {
			second = str(b, "id")
		}},
	})
	if first == "" || second == "" {
		t.Fatal("tasks not created")
	}
	one, two := "/v1/tasks/"+first, "/v1/tasks/"+second
	s.walk(t, []step{
		{"my inbox", "uma", "GET", "/v1/tasks?status=PENDING", nil, 200, func(b map[string]any) {
			if got := ids(notOnboarding(objects(b, "tasks"))); !slices.Equal(got, []string{first, second}) {
				t.Errorf("Uma's pending tasks: %v, want %v", got, []string{first, second})
			}
		}},
		{"my inbox one by one", "uma", "GET", "/v1/tasks?pageSize=1", nil, 200, func(b map[string]any) {
			if got := ids(objects(b, "tasks")); len(got) != 1 || str(b, "nextPageToken") == "" {
				t.Errorf("first page: %v", b)
			}
		}},
		{"someone else's inbox", "uma", "GET", "/v1/tasks?assigneeId=" + s.id["ulf"], nil, 403, s.grpcCode(t, codes.PermissionDenied)},
		{"everyone's tasks as an admin", "ada", "GET", "/v1/tasks", nil, 200, func(b map[string]any) {
			if got := ids(objects(b, "tasks")); !slices.Contains(got, first) || !slices.Contains(got, second) {
				t.Errorf("all tasks: %v", got)
			}
		}},
		{"list tasks with a bad page size", "ada", "GET", "/v1/tasks?pageSize=501", nil, 400, s.badField(t, "page_size")},
		{"list tasks with an unknown status", "ada", "GET", "/v1/tasks?status=SNOOZED", nil, 400, s.grpcCode(t, codes.InvalidArgument)},
		{"list tasks without credentials", "", "GET", "/v1/tasks", nil, 401, nil},

		{"get my task", "uma", "GET", one, nil, 200, nil},
		{"get someone else's task", "ulf", "GET", one, nil, 404, s.grpcCode(t, codes.NotFound)},
		{"get a missing task", "ada", "GET", "/v1/tasks/no-such-task", nil, 404, nil},
		{"get a task without credentials", "", "GET", one, nil, 401, nil},

		{"approve a standalone task", "uma", "POST", one + ":approve", map[string]any{"justification": "ok"}, 400, s.grpcCode(t, codes.FailedPrecondition)},
		{"decline a standalone task", "uma", "POST", one + ":decline", map[string]any{"justification": "no"}, 400, s.grpcCode(t, codes.FailedPrecondition)},
		{"complete someone else's task", "ulf", "POST", one + ":complete", map[string]any{"note": "done"}, 404, nil},
		{"complete a task without credentials", "", "POST", one + ":complete", map[string]any{"note": "done"}, 401, nil},
		{"complete with a note too long", "uma", "POST", one + ":complete", map[string]any{"note": strings.Repeat("x", 2001)}, 400, s.badField(t, "note")},

		{"reassign as a user", "uma", "POST", one + ":reassign", map[string]any{"assigneeIds": []string{s.id["ulf"]}}, 403, s.grpcCode(t, codes.PermissionDenied)},
		{"reassign without credentials", "", "POST", one + ":reassign", map[string]any{"assigneeIds": []string{s.id["ulf"]}}, 401, nil},
		{"reassign to nobody", "ada", "POST", one + ":reassign", map[string]any{"assigneeIds": []string{}}, 400, s.badField(t, "assignee_ids")},
		{"reassign to an unknown person", "ada", "POST", one + ":reassign", map[string]any{"assigneeIds": []string{"ghost"}}, 400, s.badField(t, "assignee_ids")},
		{"reassign", "ada", "POST", one + ":reassign", map[string]any{"assigneeIds": []string{s.id["ulf"]}, "note": "Uma is out"}, 200, func(b map[string]any) {
			if got := b["assigneeIds"].([]any); len(got) != 1 || got[0] != s.id["ulf"] {
				t.Errorf("reassigned: %v", b)
			}
		}},
		{"the former assignee no longer sees it", "uma", "GET", one, nil, 404, nil},
		{"complete", "ulf", "POST", one + ":complete", map[string]any{"note": "laptop ready"}, 200, func(b map[string]any) {
			var events []string
			for _, h := range objects(b, "history") {
				events = append(events, str(h, "event"))
			}
			if b["status"] != "DONE" || str(b, "decidedBy") != s.id["ulf"] || !slices.Equal(events, []string{"created", "reassigned", "completed"}) {
				t.Errorf("completed task: %v", b)
			}
		}},
		{"complete it again", "ulf", "POST", one + ":complete", map[string]any{"note": "again"}, 400, s.grpcCode(t, codes.FailedPrecondition)},
		{"reassign a done task", "ada", "POST", one + ":reassign", map[string]any{"assigneeIds": []string{s.id["uma"]}}, 400, s.grpcCode(t, codes.FailedPrecondition)},
		{"complete with a stale etag", "uma", "POST", two + ":complete", map[string]any{"etag": "stale"}, 409, s.grpcCode(t, codes.Aborted)},
		{"an admin completes on the assignees' behalf", "ada", "POST", two + ":complete", map[string]any{"note": "badges ordered"}, 200, nil},
		{"done tasks leave the inbox", "uma", "GET", "/v1/tasks?status=PENDING", nil, 200, func(b map[string]any) {
			if got := notOnboarding(objects(b, "tasks")); len(got) != 0 {
				t.Errorf("Uma's pending tasks after completion: %v", ids(got))
			}
		}},
	})
	return []string{first, second}
}

// auditEvents pages through GET /v1/auditEvents?query as person.
func (s *system) auditEvents(t *testing.T, person string, query url.Values) []map[string]any {
	t.Helper()
	var all []map[string]any
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("pageSize", "500")
	for {
		b := s.must(person, "GET", "/v1/auditEvents?"+q.Encode(), nil)
		all = append(all, objects(b, "auditEvents")...)
		next := str(b, "nextPageToken")
		if next == "" {
			return all
		}
		q.Set("pageToken", next)
	}
}

// actionsOf lists the actions of the events about subjects (by policyId or taskId), in
// log order.
func actionsOf(events []map[string]any, key, id string) []string {
	var out []string
	for _, e := range events {
		if str(e, key) == id {
			out = append(out, str(e, "action"))
		}
	}
	return out
}

// walkAudit waits until audit holds every change the policy and task walks made, then
// queries, verifies and exports the log.
func walkAudit(t *testing.T, s *system, policyID string, taskIDs []string) {
	t.Helper()
	wantPolicy := []string{
		"policy.created", "policy.version.created", "policy.version.updated", "policy.version.activated",
		"policy.version.created", "policy.version.retired", "policy.version.activated",
		"policy.version.created", "policy.version.deleted",
	}
	wantTasks := map[string][]string{
		taskIDs[0]: {"task.created", "task.reassigned", "task.completed"},
		taskIDs[1]: {"task.created", "task.completed"},
	}
	var events []map[string]any
	waitFor(t, "policy and task events in audit", func() (bool, string) {
		events = s.auditEvents(t, "ada", nil)
		var policyEvents []string
		for _, e := range events {
			if str(e, "policyId") == policyID {
				policyEvents = append(policyEvents, str(e, "seq")+" "+str(e, "action")+" "+str(e, "subject"))
			}
		}
		state := fmt.Sprintf("%d events; policy %v", len(events), policyEvents)
		ok := slices.Equal(actionsOf(events, "policyId", policyID), wantPolicy)
		for id, want := range wantTasks {
			got := actionsOf(events, "taskId", id)
			state += fmt.Sprintf("; task %s %v", id, got)
			ok = ok && slices.Equal(got, want)
		}
		return ok, state
	})
	seen := map[string]bool{}
	for i, e := range events {
		if seen[str(e, "id")] {
			t.Errorf("event %s stored twice", str(e, "id"))
		}
		seen[str(e, "id")] = true
		if want := fmt.Sprint(i + 1); str(e, "seq") != want {
			t.Fatalf("event %d has seq %s", i+1, str(e, "seq"))
		}
		if i > 0 && str(e, "prevHash") != str(events[i-1], "hash") {
			t.Errorf("event %s does not chain to the one before", str(e, "seq"))
		}
		if str(e, "taskId") == taskIDs[0] || str(e, "policyId") == policyID {
			if str(e, "traceId") == "" || str(e, "actorId") == "" || str(e, "actorId") == "system" {
				t.Errorf("event %s of a REST call lacks its trace or actor: %v", str(e, "action"), e)
			}
		}
	}
	for _, e := range events {
		if str(e, "taskId") == taskIDs[0] && str(e, "action") == "task.completed" {
			if str(e, "actorId") != s.id["ulf"] || str(e, "subject") != "tasks/"+taskIDs[0] || str(e, "service") != "grantflow-task" {
				t.Errorf("task.completed: %v", e)
			}
		}
	}
	head := len(events)

	// Queries, and who sees what: a user sees the events they made.
	byTask := s.auditEvents(t, "ada", url.Values{"subject": {"tasks/" + taskIDs[0]}})
	if got := actionsOf(byTask, "taskId", taskIDs[0]); !slices.Equal(got, wantTasks[taskIDs[0]]) || len(byTask) != 3 {
		t.Errorf("events of subject tasks/%s: %v", taskIDs[0], got)
	}
	if got := actionsOf(s.auditEvents(t, "ulf", url.Values{"subject": {"tasks/" + taskIDs[0]}}), "taskId", taskIDs[0]); !slices.Equal(got, []string{"task.completed"}) {
		t.Errorf("Ulf sees %v of the task, want only what he did", got)
	}
	if got := s.auditEvents(t, "uma", url.Values{"subject": {"tasks/" + taskIDs[0]}}); len(got) != 0 {
		t.Errorf("Uma sees %d events of a task she did nothing on", len(got))
	}
	byAda := s.auditEvents(t, "grace", url.Values{"actorId": {s.id["ada"]}})
	if len(byAda) == 0 || slices.ContainsFunc(byAda, func(e map[string]any) bool { return str(e, "actorId") != s.id["ada"] }) {
		t.Errorf("events by Ada: %d, some by others", len(byAda))
	}
	s.walk(t, []step{
		{"query without credentials", "", "GET", "/v1/auditEvents", nil, 401, nil},
		{"query with a bad page size", "ada", "GET", "/v1/auditEvents?pageSize=501", nil, 400, s.badField(t, "page_size")},
		{"query with a bad time", "ada", "GET", "/v1/auditEvents?since=yesterday", nil, 400, s.grpcCode(t, codes.InvalidArgument)},
		{"query a time window", "ada", "GET", "/v1/auditEvents?since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z", nil, 200, func(b map[string]any) {
			if got := objects(b, "auditEvents"); len(got) != 0 {
				t.Errorf("events in 2000: %d", len(got))
			}
		}},

		{"verify", "ada", "POST", "/v1/auditEvents:verify", map[string]any{}, 200, func(b map[string]any) {
			if through, _ := strconv.Atoi(str(b, "verifiedThrough")); b["ok"] != true || b["firstBadSeq"] != "0" || through < head {
				t.Errorf("verify: %v (head seq %d)", b, head)
			}
		}},
		{"verify from the last checkpoint", "grace", "POST", "/v1/auditEvents:verify", map[string]any{"fromLastCheckpoint": true}, 200, func(b map[string]any) {
			if b["ok"] != true {
				t.Errorf("verify from the last checkpoint: %v", b)
			}
		}},
		{"verify as a user", "uma", "POST", "/v1/auditEvents:verify", map[string]any{}, 403, s.grpcCode(t, codes.PermissionDenied)},
		{"verify without credentials", "", "POST", "/v1/auditEvents:verify", map[string]any{}, 401, nil},
		{"verify with an unknown field", "ada", "POST", "/v1/auditEvents:verify", `{"fromFirst":true}`, 400, nil},

		{"export as a user", "uma", "GET", "/v1/auditEvents:export", nil, 403, s.grpcCode(t, codes.PermissionDenied)},
		{"export without credentials", "", "GET", "/v1/auditEvents:export", nil, 401, nil},
	})

	// Export: JSON lines, one {"result": AuditEvent} each, the whole chain from seq 1.
	res, raw := s.do("ada", "GET", "/v1/auditEvents:export", nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != gateway.ExportContentType {
		t.Fatalf("export: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), raw)
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	var exported []map[string]any
	for sc.Scan() {
		var line struct {
			Result map[string]any `json:"result"`
			Error  map[string]any `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Result == nil {
			t.Fatalf("export line %d is not {\"result\": event}: %s (%v)", len(exported)+1, sc.Text(), err)
		}
		exported = append(exported, line.Result)
	}
	if len(exported) < len(events) {
		t.Fatalf("export has %d events, the query had %d", len(exported), len(events))
	}
	for i, e := range events {
		if str(exported[i], "id") != str(e, "id") || str(exported[i], "hash") != str(e, "hash") {
			t.Fatalf("export line %d differs from the query: %v vs %v", i+1, exported[i], e)
		}
	}
	if got := actionsOf(exported, "policyId", policyID); !slices.Equal(got, wantPolicy) {
		t.Errorf("exported policy events: %v", got)
	}
}

// notOnboarding drops the standalone onboarding tasks that the request service opens for
// every new user (asynchronously, after the demo seeding) from a list of tasks.
func notOnboarding(tasks []map[string]any) []map[string]any {
	var out []map[string]any
	for _, t := range tasks {
		if !strings.HasPrefix(str(t, "action"), "Welcome to Grantflow") {
			out = append(out, t)
		}
	}
	return out
}

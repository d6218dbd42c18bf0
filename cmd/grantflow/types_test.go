package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
)

// TestEveryRequestTypeToDone runs each of the five request types to DONE over REST and
// checks its effect: ADD_APP (the app exists with its owners and permissions),
// GRANT_ACCESS, CHANGE_PERMISSION (the new permission, the old one gone), REMOVE_ACCESS
// submitted by an app owner for someone who is not his report, and ARCHIVE_APP, which is
// whole (every access removed and audited, the app's open requests cancelled with the
// reason, its app and permission policies retired). ADD_APP and ARCHIVE_APP also run
// under policies with people steps: MANAGER is the requester's manager, APP_OWNER of
// ADD_APP the proposed owners without the requester.
func TestEveryRequestTypeToDone(t *testing.T) {
	forEachEngineWith(t, systemOptions{noRateLimit: true}, func(t *testing.T, s *system) {
		// ADD_APP under the system default: the admins review and register it.
		miro := s.submitOK(t, "uma", map[string]any{"type": "ADD_APP", "reason": "whiteboards", "newApp": map[string]any{
			"name": "Miro", "ownerIds": []string{s.id["uma"], s.id["otto"]},
			"permissions": []map[string]any{{"name": "viewer"}, {"name": "editor", "privileged": true}},
		}})
		s.decide(t, miro, "ada", "approve", "ada", "bootstrap-admin")
		s.decide(t, miro, "ada", "complete", "ada", "bootstrap-admin")
		miroID := str(s.waitRequest(t, miro, "DONE"), "appId")
		app := s.must("uma", "GET", "/v1/apps/"+miroID, nil)
		if app["name"] != "Miro" || app["status"] != "ACTIVE" || !sameSet(strs(app["ownerIds"]), []string{s.id["uma"], s.id["otto"]}) {
			t.Errorf("the added app: %v", app)
		}
		var perms []string
		for _, p := range objects(app, "permissions") {
			perms = append(perms, str(p, "name")+map[bool]string{true: "!"}[p["privileged"] == true])
		}
		if !slices.Equal(perms, []string{"viewer", "editor!"}) {
			t.Errorf("the added app's permissions: %v", perms)
		}

		// GRANT_ACCESS, then CHANGE_PERMISSION, under the system defaults.
		grant := s.submitOK(t, "ulf", map[string]any{"type": "GRANT_ACCESS", "appId": miroID, "permission": "viewer"})
		s.decide(t, grant, "mona", "approve", "mona")
		s.decide(t, grant, "otto", "approve", "otto", "uma")
		s.decide(t, grant, "otto", "complete", "otto", "uma")
		s.waitRequest(t, grant, "DONE")
		s.wantAccesses(t, "ulf", miroID, "viewer")
		change := s.submitOK(t, "ulf", map[string]any{"type": "CHANGE_PERMISSION", "appId": miroID, "permission": "editor"})
		s.decide(t, change, "mona", "approve", "mona")
		s.decide(t, change, "uma", "approve", "otto", "uma")
		s.decide(t, change, "uma", "complete", "otto", "uma")
		s.waitRequest(t, change, "DONE")
		s.wantAccesses(t, "ulf", miroID, "editor")

		// An owner manages access to his app for anyone: Otto removes Ulf's (not his
		// report). Otto, the requester, is no assignee: Uma, the other owner, removes it.
		s.walk(t, []step{
			{"a non-owner removes a colleague's access", "sara", "POST", "/v1/requests", map[string]any{"type": "REMOVE_ACCESS", "targetUserId": s.id["ulf"], "appId": miroID}, 403, s.grpcCode(t, codes.PermissionDenied)},
			{"an owner asks for a colleague on an app he does not own", "otto", "POST", "/v1/requests", map[string]any{"type": "GRANT_ACCESS", "targetUserId": s.id["sara"], "appId": s.app["Salesforce"], "permission": "user"}, 403, s.grpcCode(t, codes.PermissionDenied)},
		})
		remove := s.submitOK(t, "otto", map[string]any{"type": "REMOVE_ACCESS", "targetUserId": s.id["ulf"], "appId": miroID})
		s.decide(t, remove, "uma", "complete", "uma")
		s.waitRequest(t, remove, "DONE")
		s.wantAccesses(t, "ulf", miroID)

		// Otto grants Sara (Sam's report) Miro: her manager reviews, then the owners without
		// Otto; and Mona asks for Miro herself, left open for the archive to cancel.
		forSara := s.submitOK(t, "otto", map[string]any{"type": "GRANT_ACCESS", "targetUserId": s.id["sara"], "appId": miroID, "permission": "viewer"})
		s.decide(t, forSara, "sam", "approve", "sam")
		s.decide(t, forSara, "uma", "approve", "uma")
		s.decide(t, forSara, "uma", "complete", "uma")
		s.waitRequest(t, forSara, "DONE")
		s.wantAccesses(t, "sara", miroID, "viewer")
		open := s.submitOK(t, "mona", map[string]any{"type": "GRANT_ACCESS", "appId": miroID, "permission": "viewer"})

		// People steps for ADD_APP and ARCHIVE_APP: global policies.
		s.activePolicy(t, "ADD_APP", workflowWith(map[string]any{"kind": "ADMINS"},
			reviewStep("Manager", "MANAGER", "ANY", nil), reviewStep("Proposed owners", "APP_OWNER", "ANY", nil)))
		s.activePolicy(t, "ARCHIVE_APP", workflowWith(map[string]any{"kind": "APP_OWNER"},
			reviewStep("Manager", "MANAGER", "ANY", nil)))

		notion := s.submitOK(t, "uma", map[string]any{"type": "ADD_APP", "newApp": map[string]any{
			"name": "Notion", "ownerIds": []string{s.id["uma"], s.id["otto"]}, "permissions": []map[string]any{{"name": "member"}},
		}})
		s.decide(t, notion, "mona", "approve", "mona")
		s.decide(t, notion, "otto", "approve", "otto")
		s.decide(t, notion, "ada", "complete", "ada", "bootstrap-admin")
		notionID := str(s.waitRequest(t, notion, "DONE"), "appId")
		if a := s.must("uma", "GET", "/v1/apps/"+notionID, nil); a["name"] != "Notion" {
			t.Errorf("Notion: %v", a)
		}

		// Miro's own policies (app level, permission level), retired by the archive below.
		var miroPolicies []string
		for _, scope := range []map[string]any{{"appId": miroID}, {"appId": miroID, "permissions": []string{"editor"}}} {
			p := s.must("ada", "POST", "/v1/policies", map[string]any{"name": fmt.Sprintf("Miro %v", scope["permissions"]),
				"requestType": "GRANT_ACCESS", "scope": scope, "workflow": workflowWith(map[string]any{"kind": "APP_OWNER"},
					reviewStep("Manager", "MANAGER", "ANY", nil))})
			s.must("ada", "POST", "/v1/policies/"+str(p, "id")+"/versions/1:activate", map[string]any{})
			miroPolicies = append(miroPolicies, str(p, "id"))
		}

		archive := s.submitOK(t, "otto", map[string]any{"type": "ARCHIVE_APP", "appId": miroID, "reason": "we use Notion"})
		s.decide(t, archive, "mona", "approve", "mona")
		s.decide(t, archive, "uma", "complete", "uma")
		s.waitRequest(t, archive, "DONE")
		if a := s.must("ada", "GET", "/v1/apps/"+miroID, nil); a["status"] != "ARCHIVED" {
			t.Errorf("the archived app: %v", a)
		}
		if accs := objects(s.must("ada", "GET", "/v1/accesses?appId="+miroID, nil), "accesses"); len(accs) != 0 {
			t.Errorf("accesses to the archived app remain: %v", accs)
		}
		for _, id := range miroPolicies {
			if p := s.must("ada", "GET", "/v1/policies/"+id, nil); p["activeVersion"] != nil && p["activeVersion"] != "0" {
				t.Errorf("a policy of the archived app is still active: %v", p)
			}
			versions := objects(s.must("ada", "GET", "/v1/policies/"+id+"/versions", nil), "versions")
			if len(versions) != 1 || str(versions[0], "state") != "RETIRED" {
				t.Errorf("the versions of the archived app's policy %s: %v", id, versions)
			}
		}
		cancelled := s.waitRequest(t, open, "CANCELLED")
		if !strings.Contains(str(cancelled, "failureReason"), "archived by request "+archive) {
			t.Errorf("the open request on the archived app: %v", cancelled)
		}
		waitFor(t, "the removal of Sara's access in audit", func() (bool, string) {
			events := objects(s.must("ada", "GET", "/v1/auditEvents?requestId="+archive, nil), "auditEvents")
			var actions []string
			for _, e := range events {
				actions = append(actions, str(e, "action"))
				if str(e, "action") == "access.removed" && strings.Contains(str(e, "subject"), s.id["sara"]) {
					return true, ""
				}
			}
			return false, strings.Join(actions, ",")
		})
	})
}

// submitOK submits a request as person and returns its id.
func (s *system) submitOK(t *testing.T, person string, body map[string]any) string {
	t.Helper()
	r := s.must(person, "POST", "/v1/requests", body)
	if r["status"] != "IN_PROGRESS" {
		t.Fatalf("submitted %v: %v", body, r)
	}
	return str(r, "id")
}

// decide waits for the pending task of request id that person may decide, checks that
// its assignees are exactly want (handles, or raw ids such as "bootstrap-admin", when
// given), and approves or completes it.
func (s *system) decide(t *testing.T, id, person, verb string, want ...string) map[string]any {
	t.Helper()
	var task map[string]any
	waitFor(t, "a pending task of request "+id+" for "+person, func() (bool, string) {
		for _, tk := range objects(s.must("ada", "GET", "/v1/tasks?status=PENDING&requestId="+id, nil), "tasks") {
			if slices.Contains(strs(tk["assigneeIds"]), s.id[person]) {
				task = tk
			}
		}
		if task != nil {
			return true, ""
		}
		r := s.must("ada", "GET", "/v1/requests/"+id, nil)
		if r["status"] != "IN_PROGRESS" {
			t.Fatalf("request %s: no pending task for %s: %v", id, person, r)
		}
		return false, fmt.Sprint(r)
	})
	if want != nil {
		var wantIDs []string
		for _, w := range want {
			if id, ok := s.id[w]; ok {
				w = id
			}
			wantIDs = append(wantIDs, w)
		}
		if got := strs(task["assigneeIds"]); !sameSet(got, wantIDs) {
			t.Errorf("task %q of request %s is assigned to %v, want %v (%v)", str(task, "stepName"), id, got, want, task["history"])
		}
	}
	body := map[string]any{"justification": "ok"}
	if verb == "complete" {
		body = map[string]any{"note": "done"}
	}
	return s.must(person, "POST", "/v1/tasks/"+str(task, "id")+":"+verb, body)
}

// wantAccesses checks person's accesses to app: perms (none or one).
func (s *system) wantAccesses(t *testing.T, person, appID string, perms ...string) {
	t.Helper()
	var got []string
	for _, a := range objects(s.must("ada", "GET", "/v1/accesses?userId="+s.id[person]+"&appId="+appID, nil), "accesses") {
		got = append(got, str(a, "permission"))
	}
	if !slices.Equal(got, perms) {
		t.Errorf("%s's accesses to %s: %v, want %v", person, appID, got, perms)
	}
}

// activePolicy creates a global policy for requestType with workflow and activates it.
func (s *system) activePolicy(t *testing.T, requestType string, workflow map[string]any) string {
	t.Helper()
	p := s.must("ada", "POST", "/v1/policies", map[string]any{"name": "Global " + requestType, "requestType": requestType, "scope": map[string]any{}, "workflow": workflow})
	s.must("ada", "POST", "/v1/policies/"+str(p, "id")+"/versions/1:activate", map[string]any{})
	return str(p, "id")
}

// workflowWith is a workflow with these review steps and the action step's assignee.
func workflowWith(action map[string]any, reviews ...map[string]any) map[string]any {
	return map[string]any{"reviewSteps": reviews, "actionStep": map[string]any{"name": "Act", "assignee": action}}
}

func strs(v any) []string {
	raw, _ := v.([]any)
	out := []string{}
	for _, x := range raw {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestMakerCheckerThroughDelegation reproduces issue 15's finding: Otto asks for GitHub
// write, then makes Uma a co-owner while his request is open. Uma, whom Otto put into the
// owners, is left out of his request's steps (the task's history says so) and the admins
// decide instead; Sara's request on GitHub still goes to both owners.
func TestMakerCheckerThroughDelegation(t *testing.T) {
	forEachEngineWith(t, systemOptions{noRateLimit: true}, func(t *testing.T, s *system) {
		github := s.app["GitHub"]
		req := s.submitOK(t, "otto", map[string]any{"type": "GRANT_ACCESS", "appId": github, "permission": "write"})
		s.must("otto", "PATCH", "/v1/apps/"+github, map[string]any{"ownerIds": []string{s.id["otto"], s.id["uma"]}})
		s.decide(t, req, "mona", "approve", "mona")
		for _, verb := range []string{"approve", "complete"} {
			out := s.decide(t, req, "ada", verb, "ada", "bootstrap-admin")
			task := s.must("ada", "GET", "/v1/tasks/"+str(out, "id"), nil)
			var notes []string
			for _, h := range objects(task, "history") {
				notes = append(notes, str(h, "note"))
			}
			note := strings.Join(notes, " | ")
			if !strings.Contains(note, "left out "+s.id["uma"]) || !strings.Contains(note, "fell back to the admins") {
				t.Errorf("task %q history does not say Uma was left out: %s", str(task, "stepName"), note)
			}
		}
		s.waitRequest(t, req, "DONE")
		s.wantAccesses(t, "otto", github, "write")

		// Uma decides others' requests on GitHub as its co-owner: Ulf withdraws his demo
		// request for GitHub read (waiting for the owner) and asks again.
		for _, r := range s.a.demo.requests {
			if r.who == "ulf" && r.what == "GitHub read" {
				s.must("ulf", "POST", "/v1/requests/"+r.id+":cancel", map[string]any{})
			}
		}
		other := s.submitOK(t, "ulf", map[string]any{"type": "GRANT_ACCESS", "appId": github, "permission": "read"})
		s.decide(t, other, "mona", "approve", "mona")
		s.decide(t, other, "uma", "approve", "otto", "uma")
	})
}

// TestMakerCheckerThroughAddApp: the owners Uma proposes in her ADD_APP were put there by
// her, so when she later asks for access to the app, the co-owner she named is left out of
// the owner step (the admins decide), while a colleague's request goes to that owner.
func TestMakerCheckerThroughAddApp(t *testing.T) {
	forEachEngineWith(t, systemOptions{noRateLimit: true}, func(t *testing.T, s *system) {
		add := s.submitOK(t, "uma", map[string]any{"type": "ADD_APP", "newApp": map[string]any{
			"name": "Loom", "ownerIds": []string{s.id["uma"], s.id["otto"]}, "permissions": []map[string]any{{"name": "creator"}},
		}})
		s.decide(t, add, "ada", "approve", "ada", "bootstrap-admin")
		s.decide(t, add, "ada", "complete", "ada", "bootstrap-admin")
		loom := str(s.waitRequest(t, add, "DONE"), "appId")

		mine := s.submitOK(t, "uma", map[string]any{"type": "GRANT_ACCESS", "appId": loom, "permission": "creator"})
		s.decide(t, mine, "mona", "approve", "mona")
		out := s.decide(t, mine, "ada", "approve", "ada", "bootstrap-admin")
		var notes []string
		for _, h := range objects(s.must("ada", "GET", "/v1/tasks/"+str(out, "id"), nil), "history") {
			notes = append(notes, str(h, "note"))
		}
		if note := strings.Join(notes, " | "); !strings.Contains(note, "left out "+s.id["otto"]) {
			t.Errorf("the owner step of Uma's request does not say Otto was left out: %s", note)
		}

		other := s.submitOK(t, "ulf", map[string]any{"type": "GRANT_ACCESS", "appId": loom, "permission": "creator"})
		s.decide(t, other, "mona", "approve", "mona")
		s.decide(t, other, "otto", "approve", "otto", "uma")
	})
}

// TestNobodyTakesTheGeneralManagersSeat: only the General Manager (or the bootstrap admin)
// changes the GM's role or email or mints the GM's keys; an Admin can neither demote the
// GM, promote herself, move the bootstrap admin under a manager, nor mint a key to act as
// the GM.
func TestNobodyTakesTheGeneralManagersSeat(t *testing.T) {
	forEachEngineWith(t, systemOptions{noRateLimit: true}, func(t *testing.T, s *system) {
		s.key["bootstrap"] = s.a.demo.bootstrapKey
		grace, ada := "/v1/users/"+s.id["grace"], "/v1/users/"+s.id["ada"]
		denied := s.grpcCode(t, codes.PermissionDenied)
		s.walk(t, []step{
			{"an admin demotes the GM", "ada", "PATCH", grace, map[string]any{"role": "ADMIN"}, 403, denied},
			{"an admin promotes herself", "ada", "PATCH", ada, map[string]any{"role": "GENERAL_MANAGER"}, 403, denied},
			{"an admin changes the GM's email", "ada", "PATCH", grace, map[string]any{"email": "ada+gm@demo.grantflow.dev"}, 403, denied},
			{"an admin mints the GM a key", "ada", "POST", grace + "/apiKeys", map[string]any{"displayName": "mine"}, 403, denied},
			{"an admin moves the bootstrap admin", "ada", "PATCH", "/v1/users/bootstrap-admin", map[string]any{"managerId": s.id["ada"]}, 403, denied},
			{"an admin names a second GM", "ada", "POST", "/v1/users", map[string]any{"email": "gm2@demo.grantflow.dev", "displayName": "GM 2", "role": "GENERAL_MANAGER", "managerId": s.id["grace"]}, 400, nil},
			{"the GM mints her own key", "grace", "POST", grace + "/apiKeys", map[string]any{"displayName": "laptop"}, 200, nil},
			{"the bootstrap admin mints the GM a key", "bootstrap", "POST", grace + "/apiKeys", map[string]any{"displayName": "break-glass"}, 200, nil},
			{"the GM changes her email", "grace", "PATCH", grace, map[string]any{"email": "grace@demo.grantflow.dev"}, 200, nil},
		})
		if u := s.must("ada", "GET", grace, nil); u["role"] != "GENERAL_MANAGER" {
			t.Errorf("the GM after the attempts: %v", u)
		}
	})
}

// TestCredentialMintedByRequesterNeverDecides: an Admin mints an API key for a manager and,
// holding it, tries to decide the manager step of a request she made for that manager's
// report: refused (the key's minter is the requester), whatever the key's user may do. The
// manager, with her own key, decides it.
func TestCredentialMintedByRequesterNeverDecides(t *testing.T) {
	forEachEngineWith(t, systemOptions{noRateLimit: true}, func(t *testing.T, s *system) {
		minted := s.must("ada", "POST", "/v1/users/"+s.id["mona"]+"/apiKeys", map[string]any{"displayName": "mona, minted by ada"})
		if key, _ := minted["apiKey"].(map[string]any); str(key, "createdBy") != s.id["ada"] {
			t.Errorf("the minted key does not name Ada as its minter: %v", minted)
		}
		s.key["mona-by-ada"] = str(minted, "secret")
		req := s.submitOK(t, "ada", map[string]any{"type": "GRANT_ACCESS", "targetUserId": s.id["uma"], "appId": s.app["GitHub"], "permission": "read"})
		task := s.pendingTask(t, req, "mona")
		denied := s.grpcCode(t, codes.PermissionDenied)
		s.walk(t, []step{
			{"the requester approves with a key she minted for the manager", "mona-by-ada", "POST", "/v1/tasks/" + task + ":approve", map[string]any{"justification": "as mona"}, 403, denied},
			{"the requester declines with it", "mona-by-ada", "POST", "/v1/tasks/" + task + ":decline", map[string]any{"justification": "as mona"}, 403, denied},
			{"the key still reads what Mona may read", "mona-by-ada", "GET", "/v1/tasks/" + task, nil, 200, nil},
		})
		if tk := s.must("ada", "GET", "/v1/tasks/"+task, nil); tk["status"] != "PENDING" {
			t.Errorf("the task after the refused decisions: %v", tk)
		}
		s.decide(t, req, "mona", "approve", "mona")
	})
}

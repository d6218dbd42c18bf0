package request_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

// TestSeedsExample is the seeds' example: a user asks for Figma; the manager's review
// opens, then the owner's; the owner provisions; the request is DONE and the access exists.
func TestSeedsExample(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		r := h.submit("uma", h.grant("", "Figma", "editor"))
		if r.GetStatus() != requestv1.Request_IN_PROGRESS || r.GetStage() != requestv1.Request_REVIEW {
			t.Fatalf("after submit: %v %v", r.GetStatus(), r.GetStage())
		}
		if r.GetPolicyId() != "system-default-grant-access" || r.GetPolicyVersion() != 1 || r.GetPolicyLevel() != "SYSTEM_DEFAULT" {
			t.Errorf("pinned policy: %s v%d %s", r.GetPolicyId(), r.GetPolicyVersion(), r.GetPolicyLevel())
		}
		if r.GetTargetUserId() != h.ids["uma"] || r.GetRequesterId() != h.ids["uma"] {
			t.Errorf("requester %s target %s", r.GetRequesterId(), r.GetTargetUserId())
		}
		// Step 0: the manager.
		mgr := h.pending(r.GetId(), 0, 1)[0]
		if got := h.assignees(mgr); !slices.Equal(got, []string{"mona"}) {
			t.Fatalf("manager step assignees: %v", got)
		}
		if !slices.Contains(r.GetTaskIds(), mgr.GetId()) {
			t.Errorf("submit's answer lacks the first task: %v", r.GetTaskIds())
		}
		h.approve("mona", mgr.GetId())
		// Step 1: the app owner.
		owner := h.pending(r.GetId(), 1, 1)[0]
		if got := h.assignees(owner); !slices.Equal(got, []string{"otto"}) {
			t.Fatalf("owner step assignees: %v", got)
		}
		h.approve("otto", owner.GetId())
		// Step 2: the action, the owner provisions.
		action := h.pending(r.GetId(), 2, 1)[0]
		if action.GetType() != taskv1.Task_ACTION || !slices.Equal(h.assignees(action), []string{"otto"}) {
			t.Fatalf("action task: %v %v", action.GetType(), h.assignees(action))
		}
		if got := h.get("uma", r.GetId()); got.GetStage() != requestv1.Request_ACTION {
			t.Errorf("stage before the action completes: %v", got.GetStage())
		}
		if h.access("uma", "Figma") != "" {
			t.Fatal("access exists before the action completed")
		}
		h.complete("otto", action.GetId())
		done := h.waitStatus(r.GetId(), requestv1.Request_DONE)
		if done.GetStage() != requestv1.Request_CLOSED {
			t.Errorf("stage: %v", done.GetStage())
		}
		if got := h.access("uma", "Figma"); got != "editor" {
			t.Errorf("access after DONE: %q", got)
		}
		if n := len(done.GetTaskIds()); n != 3 {
			t.Errorf("request lists %d tasks, want 3: %v", n, done.GetTaskIds())
		}
		// The lineage in audit: created, each step, done — in order.
		want := []string{"request.created", "request.step_opened", "request.step_passed", "request.step_opened",
			"request.step_passed", "request.step_opened", "request.action_completed", "request.done"}
		waitActions(t, h, r.GetId(), want)
		// Visibility: requester, manager, owner see it; a colleague does not.
		for _, p := range []string{"uma", "mona", "otto", "gm", "admin"} {
			h.get(p, r.GetId())
		}
		if _, err := h.req.GetRequest(h.as("ulf"), &requestv1.GetRequestRequest{Id: r.GetId()}); code(err) != codes.NotFound {
			t.Errorf("ulf reads uma's request: %v", err)
		}
	})
}

func waitActions(t *testing.T, h *harness, id string, want []string) {
	t.Helper()
	h.audit.Until(t, "audit events "+strings.Join(want, ","), func() (bool, string) {
		got := h.audit.actions(id)
		return slices.Equal(got, want), fmt.Sprintf("have %v", got)
	})
}

func TestDeclineClosesTheRequest(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		r := h.submit("uma", h.grant("", "Figma", "editor"))
		mgr := h.pending(r.GetId(), 0, 1)[0]
		if _, err := h.tasks.DeclineTask(h.as("mona"), &taskv1.DeclineTaskRequest{Id: mgr.GetId(), Justification: "not needed"}); err != nil {
			t.Fatal(err)
		}
		got := h.waitStatus(r.GetId(), requestv1.Request_DECLINED)
		if got.GetStage() != requestv1.Request_CLOSED || !strings.Contains(got.GetFailureReason(), "not needed") {
			t.Errorf("declined request: stage %v reason %q", got.GetStage(), got.GetFailureReason())
		}
		if n := len(h.tasksOf(r.GetId())); n != 1 {
			t.Errorf("%d tasks after a decline at step 0, want 1 (no later step opens)", n)
		}
		if h.access("uma", "Figma") != "" {
			t.Error("a declined request granted access")
		}
	})
}

func TestCancel(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		r := h.submit("uma", h.grant("", "Figma", "editor"))
		mgr := h.pending(r.GetId(), 0, 1)[0]
		if _, err := h.req.CancelRequest(h.as("ulf"), &requestv1.CancelRequestRequest{Id: r.GetId()}); code(err) != codes.NotFound {
			t.Errorf("a stranger cancels: %v, want NOT_FOUND", err)
		}
		if _, err := h.req.CancelRequest(h.as("mona"), &requestv1.CancelRequestRequest{Id: r.GetId()}); code(err) != codes.PermissionDenied {
			t.Errorf("the manager (may see, not cancel) cancels: %v, want PERMISSION_DENIED", err)
		}
		got, err := h.req.CancelRequest(h.as("uma"), &requestv1.CancelRequestRequest{Id: r.GetId(), Reason: "changed my mind"})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetStatus() != requestv1.Request_CANCELLED || got.GetStage() != requestv1.Request_CLOSED {
			t.Errorf("cancelled: %v %v", got.GetStatus(), got.GetStage())
		}
		task, err := h.tasks.GetTask(h.as("admin"), &taskv1.GetTaskRequest{Id: mgr.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if task.GetStatus() != taskv1.Task_CANCELLED {
			t.Errorf("open task after cancel: %v", task.GetStatus())
		}
		if _, err := h.req.CancelRequest(h.as("uma"), &requestv1.CancelRequestRequest{Id: r.GetId()}); code(err) != codes.FailedPrecondition {
			t.Errorf("cancel twice: %v, want FAILED_PRECONDITION", err)
		}
		if _, err := h.tasks.ApproveTask(h.as("mona"), &taskv1.ApproveTaskRequest{Id: mgr.GetId()}); code(err) != codes.FailedPrecondition {
			t.Errorf("approve a cancelled request's task: %v", err)
		}
	})
}

// TestAllApprovals: an ALL step opens a task per assignee and passes only when every one
// approved.
func TestAllApprovals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		h.policy("GitHub admin", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: h.apps["GitHub"], Permissions: []string{"admin"}},
			[]*typev1.Step{stepOf("Every owner", typev1.AssigneeKind_APP_OWNER, typev1.Approval_ALL, 0)},
			stepOf("Owner provisions", typev1.AssigneeKind_APP_OWNER, typev1.Approval_APPROVAL_UNSPECIFIED, 0))
		r := h.submit("uma", h.grant("", "GitHub", "admin"))
		if r.GetPolicyLevel() != "PERMISSION" {
			t.Errorf("level %s, want PERMISSION", r.GetPolicyLevel())
		}
		tasks := h.pending(r.GetId(), 0, 3)
		for i, tk := range tasks[:2] {
			h.approve(h.assignees(tk)[0], tk.GetId())
			if got := h.get("admin", r.GetId()); got.GetStepIndex() != 0 {
				t.Fatalf("step passed after %d of 3 approvals", i+1)
			}
		}
		h.approve(h.assignees(tasks[2])[0], tasks[2].GetId())
		action := h.pending(r.GetId(), 1, 1)[0]
		h.complete(h.assignees(action)[0], action.GetId())
		h.waitStatus(r.GetId(), requestv1.Request_DONE)
		if got := h.access("uma", "GitHub"); got != "admin" {
			t.Errorf("access %q", got)
		}
	})
}

// TestQuorum: a QUORUM step passes at min approvals (the rest cancelled) and fails once
// it can no longer reach them.
func TestQuorum(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		h.policy("GitHub quorum", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: h.apps["GitHub"]},
			[]*typev1.Step{stepOf("Two of the owners", typev1.AssigneeKind_APP_OWNER, typev1.Approval_QUORUM, 2)},
			stepOf("Owner provisions", typev1.AssigneeKind_APP_OWNER, typev1.Approval_APPROVAL_UNSPECIFIED, 0))
		// Passes at two approvals.
		r := h.submit("uma", h.grant("", "GitHub", "write"))
		tasks := h.pending(r.GetId(), 0, 3)
		h.approve(h.assignees(tasks[0])[0], tasks[0].GetId())
		h.approve(h.assignees(tasks[1])[0], tasks[1].GetId())
		h.pending(r.GetId(), 1, 1)
		third, err := h.tasks.GetTask(h.as("admin"), &taskv1.GetTaskRequest{Id: tasks[2].GetId()})
		if err != nil || third.GetStatus() != taskv1.Task_CANCELLED {
			t.Errorf("third quorum task: %v %v, want CANCELLED", third.GetStatus(), err)
		}
		// Fails at two declines (one approval can no longer become two).
		r2 := h.submit("ulf", h.grant("", "GitHub", "read"))
		tasks = h.pending(r2.GetId(), 0, 3)
		for _, tk := range tasks[:2] {
			if _, err := h.tasks.DeclineTask(h.as(h.assignees(tk)[0]), &taskv1.DeclineTaskRequest{Id: tk.GetId(), Justification: "no"}); err != nil {
				t.Fatal(err)
			}
		}
		h.waitStatus(r2.GetId(), requestv1.Request_DECLINED)
	})
}

// TestGeneralManagerSkipsManagerSteps: the GM's manager step is an auto-approved task whose
// history says why, and the request goes on to the owner.
func TestGeneralManagerSkipsManagerSteps(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		r := h.submit("gm", h.grant("", "Figma", "viewer"))
		owner := h.pending(r.GetId(), 1, 1)[0]
		if !slices.Equal(h.assignees(owner), []string{"otto"}) {
			t.Errorf("owner step: %v", h.assignees(owner))
		}
		var auto *taskv1.Task
		for _, tk := range h.tasksOf(r.GetId()) {
			if tk.GetStepIndex() == 0 {
				auto = tk
			}
		}
		if auto == nil || auto.GetStatus() != taskv1.Task_DONE || auto.GetDecision() != taskv1.Task_APPROVE || auto.GetDecidedBy() != "system" {
			t.Fatalf("manager step of the GM: %v", auto)
		}
		found := false
		for _, e := range auto.GetHistory() {
			if e.GetEvent() == "auto_approved" && strings.Contains(e.GetNote(), "General Manager") {
				found = true
			}
		}
		if !found {
			t.Errorf("no auto_approved history entry saying why: %v", auto.GetHistory())
		}
	})
}

// TestNoSelfApproval: requester and target are never assignees of their own request's
// review tasks (an owner asking for their own app falls back to the admins), and nobody,
// not even an Admin, decides a task of their own request.
func TestNoSelfApproval(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		r := h.submit("otto", h.grant("", "Figma", "admin"))
		mgr := h.pending(r.GetId(), 0, 1)[0]
		h.approve("gm", mgr.GetId()) // otto's manager
		owner := h.pending(r.GetId(), 1, 1)[0]
		if got := h.assignees(owner); !slices.Equal(got, []string{"ada", "admin", "bootstrap"}) {
			t.Errorf("owner step of the owner's own request: %v, want the admins", got)
		}
		if !strings.Contains(strings.ToLower(owner.GetHistory()[0].GetNote()), "admin") {
			t.Errorf("history does not say it fell back to the admins: %q", owner.GetHistory()[0].GetNote())
		}
		// An admin's own request: she may not approve it even as an Admin.
		r2 := h.submit("ada", h.grant("", "Figma", "viewer"))
		mgr2 := h.pending(r2.GetId(), 0, 1)[0]
		if _, err := h.tasks.ApproveTask(h.as("ada"), &taskv1.ApproveTaskRequest{Id: mgr2.GetId()}); code(err) != codes.PermissionDenied {
			t.Errorf("approving one's own request: %v, want PERMISSION_DENIED", err)
		}
	})
}

// TestReassign: an Admin moves a task to someone else, who may then see the request and
// decide it.
func TestReassign(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		r := h.submit("uma", h.grant("", "Figma", "editor"))
		mgr := h.pending(r.GetId(), 0, 1)[0]
		if _, err := h.tasks.ReassignTask(h.as("mona"), &taskv1.ReassignTaskRequest{Id: mgr.GetId(), AssigneeIds: h.people("vera")}); code(err) != codes.PermissionDenied {
			t.Errorf("a manager reassigns: %v, want PERMISSION_DENIED", err)
		}
		if _, err := h.tasks.ReassignTask(h.as("admin"), &taskv1.ReassignTaskRequest{Id: mgr.GetId(), AssigneeIds: h.people("vera"), Note: "mona is away"}); err != nil {
			t.Fatal(err)
		}
		h.waitFor(r.GetId(), "vera may see it", func(*requestv1.Request) bool {
			_, err := h.req.GetRequest(h.as("vera"), &requestv1.GetRequestRequest{Id: r.GetId()})
			return err == nil
		})
		h.approve("vera", mgr.GetId())
		h.pending(r.GetId(), 1, 1)
	})
}

// TestPinnedVersion: a request keeps the version it pinned when a new one is activated.
func TestPinnedVersion(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		id := h.policy("Figma v1", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: h.apps["Figma"]},
			[]*typev1.Step{stepOf("Vera reviews", typev1.AssigneeKind_USERS, typev1.Approval_ANY, 0, h.ids["vera"])},
			stepOf("Owner provisions", typev1.AssigneeKind_APP_OWNER, typev1.Approval_APPROVAL_UNSPECIFIED, 0))
		r := h.submit("uma", h.grant("", "Figma", "viewer"))
		if r.GetPolicyId() != id || r.GetPolicyVersion() != 1 {
			t.Fatalf("pinned %s v%d", r.GetPolicyId(), r.GetPolicyVersion())
		}
		v2, err := h.pol.CreatePolicyVersion(h.as("admin"), &policyv1.CreatePolicyVersionRequest{PolicyId: id, Workflow: &typev1.Workflow{
			ReviewSteps: []*typev1.Step{
				stepOf("Walt reviews", typev1.AssigneeKind_USERS, typev1.Approval_ANY, 0, h.ids["walt"]),
				stepOf("Xena reviews", typev1.AssigneeKind_USERS, typev1.Approval_ANY, 0, h.ids["xena"]),
			},
			ActionStep: stepOf("Owner provisions", typev1.AssigneeKind_APP_OWNER, typev1.Approval_APPROVAL_UNSPECIFIED, 0)}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.pol.ActivatePolicyVersion(h.as("admin"), &policyv1.ActivatePolicyVersionRequest{PolicyId: id, Version: v2.GetVersion()}); err != nil {
			t.Fatal(err)
		}
		h.approve("vera", h.pending(r.GetId(), 0, 1)[0].GetId())
		action := h.pending(r.GetId(), 1, 1)[0] // v1: the action follows the one review
		if action.GetType() != taskv1.Task_ACTION || action.GetPolicyVersion() != 1 {
			t.Errorf("after v2 was activated the request follows %v of v%d", action.GetType(), action.GetPolicyVersion())
		}
		if r2 := h.submit("ulf", h.grant("", "Figma", "viewer")); r2.GetPolicyVersion() != 2 {
			t.Errorf("a new request pins v%d, want 2", r2.GetPolicyVersion())
		}
	})
}

// TestBadInput: bad submissions are INVALID_ARGUMENT naming the field and leave nothing.
func TestBadInput(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		// uma holds Figma viewer, for the duplicate grant and the bad removal.
		r := h.submit("uma", h.grant("", "Figma", "viewer"))
		h.approve("mona", h.pending(r.GetId(), 0, 1)[0].GetId())
		h.approve("otto", h.pending(r.GetId(), 1, 1)[0].GetId())
		h.complete("otto", h.pending(r.GetId(), 2, 1)[0].GetId())
		h.waitStatus(r.GetId(), requestv1.Request_DONE)
		before := h.countRequests()
		cases := []struct {
			name  string
			in    *requestv1.SubmitRequestRequest
			field string
		}{
			{"unknown app", &requestv1.SubmitRequestRequest{Type: typev1.RequestType_GRANT_ACCESS, AppId: "no-such-app", Permission: "viewer"}, "app_id"},
			{"permission not on the app", h.grant("", "Figma", "owner"), "permission"},
			{"unknown target", h.grant("", "Figma", "viewer"), "target_user_id"},
			{"duplicate grant", h.grant("", "Figma", "viewer"), "permission"},
			{"missing app", &requestv1.SubmitRequestRequest{Type: typev1.RequestType_GRANT_ACCESS, Permission: "viewer"}, "app_id"},
			{"missing permission", &requestv1.SubmitRequestRequest{Type: typev1.RequestType_GRANT_ACCESS, AppId: h.apps["Figma"]}, "permission"},
			{"missing type", &requestv1.SubmitRequestRequest{AppId: h.apps["Figma"], Permission: "viewer"}, "type"},
			{"bad request id", &requestv1.SubmitRequestRequest{RequestId: "not-a-uuid", Type: typev1.RequestType_GRANT_ACCESS, AppId: h.apps["Figma"], Permission: "editor"}, "request_id"},
			{"remove what is not held", &requestv1.SubmitRequestRequest{Type: typev1.RequestType_REMOVE_ACCESS, AppId: h.apps["GitHub"]}, "app_id"},
			{"change to the same", &requestv1.SubmitRequestRequest{Type: typev1.RequestType_CHANGE_PERMISSION, AppId: h.apps["Figma"], Permission: "viewer"}, "permission"},
			{"add an app that exists", &requestv1.SubmitRequestRequest{Type: typev1.RequestType_ADD_APP, NewApp: &requestv1.NewApp{Name: "Figma"}}, "new_app.name"},
			{"add app without a name", &requestv1.SubmitRequestRequest{Type: typev1.RequestType_ADD_APP, NewApp: &requestv1.NewApp{}}, "new_app.name"},
		}
		cases[2].in.TargetUserId = "no-such-user"
		for _, c := range cases {
			_, err := h.req.SubmitRequest(h.as("uma"), c.in)
			if code(err) != codes.InvalidArgument {
				t.Errorf("%s: %v, want INVALID_ARGUMENT", c.name, err)
				continue
			}
			if f := badField(err); f != c.field {
				t.Errorf("%s: names field %q, want %q (%v)", c.name, f, c.field, err)
			}
		}
		if after := h.countRequests(); after != before {
			t.Errorf("bad submissions left %d requests behind", after-before)
		}
	})
}

func (h *harness) countRequests() int {
	h.t.Helper()
	res, err := h.req.ListRequests(h.as("admin"), &requestv1.ListRequestsRequest{PageSize: 500})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(res.GetRequests())
}

// TestIdempotentSubmit: the same requestId, retried concurrently, makes one request with
// one set of tasks; reused with another body it is ALREADY_EXISTS.
func TestIdempotentSubmit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		in := h.grant("", "Figma", "editor")
		in.RequestId = uuid.NewString()
		var wg sync.WaitGroup
		ids := make([]string, 10)
		errs := make([]error, 10)
		for i := range ids {
			wg.Go(func() {
				r, err := h.req.SubmitRequest(h.as("uma"), in)
				ids[i], errs[i] = r.GetId(), err
			})
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("retry %d: %s %v (first %s)", i, ids[i], errs[i], ids[0])
			}
		}
		h.pending(ids[0], 0, 1)
		if n := len(h.tasksOf(ids[0])); n != 1 {
			t.Errorf("%d tasks after 10 retries, want 1", n)
		}
		if n := h.countRequests(); n != 1 {
			t.Errorf("%d requests after 10 retries, want 1", n)
		}
		other := h.grant("", "Figma", "viewer")
		other.RequestId = in.RequestId
		if _, err := h.req.SubmitRequest(h.as("uma"), other); code(err) != codes.AlreadyExists {
			t.Errorf("same request id, other body: %v, want ALREADY_EXISTS (409)", err)
		}
	})
}

// TestTriggers: a manager submits for a direct report but not for others; onboarding
// opens the new user's task; offboarding opens a removal request per access and a task to
// confirm it.
func TestTriggers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		// On behalf of a direct report, and not of anyone else.
		r := h.submit("mona", h.grant("ulf", "Figma", "viewer"))
		if r.GetRequesterId() != h.ids["mona"] || r.GetTargetUserId() != h.ids["ulf"] {
			t.Errorf("on behalf: requester %s target %s", h.person(r.GetRequesterId()), h.person(r.GetTargetUserId()))
		}
		if _, err := h.req.SubmitRequest(h.as("mona"), h.grant("otto", "Figma", "viewer")); code(err) != codes.PermissionDenied {
			t.Errorf("a manager asks for someone else's report: %v", err)
		}
		if _, err := h.req.SubmitRequest(h.as("uma"), h.grant("ulf", "Figma", "viewer")); code(err) != codes.PermissionDenied {
			t.Errorf("a user asks for a colleague: %v", err)
		}
		h.submit("admin", h.grant("otto", "GitHub", "read")) // Admin for anyone

		// Onboarding: the new user has a standalone task.
		h.onboard("nina", "USER", "mona")
		waitTask(t, h, "nina", func(tk *taskv1.Task) bool { return tk.GetType() == taskv1.Task_STANDALONE })

		// Offboarding ulf (who holds Figma viewer once r is done). The manager asked, so
		// the manager step fell back to the admins.
		mgr := h.pending(r.GetId(), 0, 1)[0]
		if got := h.assignees(mgr); slices.Contains(got, "mona") || !slices.Contains(got, "admin") {
			t.Errorf("manager step of the manager's own request: %v", got)
		}
		h.approve("admin", mgr.GetId())
		h.approve("otto", h.pending(r.GetId(), 1, 1)[0].GetId())
		h.complete("otto", h.pending(r.GetId(), 2, 1)[0].GetId())
		h.waitStatus(r.GetId(), requestv1.Request_DONE)
		if _, err := h.id.OffboardUser(h.as("mona"), &identityv1.OffboardUserRequest{Id: h.ids["ulf"]}); err != nil {
			t.Fatal(err)
		}
		var removal *requestv1.Request
		h.audit.Until(t, "a removal request for ulf", func() (bool, string) {
			res, err := h.req.ListRequests(h.as("admin"), &requestv1.ListRequestsRequest{TargetUserId: h.ids["ulf"], Type: typev1.RequestType_REMOVE_ACCESS})
			if err != nil || len(res.GetRequests()) == 0 {
				return false, fmt.Sprintf("none (%v)", err)
			}
			removal = res.GetRequests()[0]
			return true, ""
		})
		if removal.GetRequesterId() != h.ids["mona"] || removal.GetAppId() != h.apps["Figma"] || removal.GetPermission() != "viewer" {
			t.Errorf("removal request: %v", removal)
		}
		// System default for removals: no review, the owner acts.
		h.complete("otto", h.pending(removal.GetId(), 0, 1)[0].GetId())
		h.waitStatus(removal.GetId(), requestv1.Request_DONE)
		if got := h.access("ulf", "Figma"); got != "" {
			t.Errorf("ulf still holds %q after the offboarding removal", got)
		}
		waitTask(t, h, "mona", func(tk *taskv1.Task) bool {
			return tk.GetType() == taskv1.Task_STANDALONE && strings.Contains(tk.GetAction(), "offboarding")
		})
	})
}

package task_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/auth"
)

func TestOpenStepShapesAndIdempotency(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		reviewers := []string{"otto", "vera", "walt"}
		for _, tc := range []struct {
			approval typev1.Approval
			min      int32
			want     [][]string
		}{
			{typev1.Approval_ANY, 0, [][]string{h.people("otto", "vera", "walt")}},
			{typev1.Approval_APPROVAL_UNSPECIFIED, 0, [][]string{h.people("otto", "vera", "walt")}},
			{typev1.Approval_ALL, 0, [][]string{h.people("otto"), h.people("vera"), h.people("walt")}},
			{typev1.Approval_QUORUM, 2, [][]string{h.people("otto"), h.people("vera"), h.people("walt")}},
		} {
			t.Run(tc.approval.String(), func(t *testing.T) {
				s := step{request: "req-shape-" + tc.approval.String(), index: 1, approval: tc.approval, min: tc.min, assignees: reviewers}
				res, err := h.internal.OpenStep(h.system(), h.openReq(s))
				if err != nil {
					t.Fatal(err)
				}
				if res.GetAlreadyOpened() || res.GetStepOutcome() != taskv1.StepOutcome_OPEN {
					t.Errorf("first call: already_opened %v, outcome %v", res.GetAlreadyOpened(), res.GetStepOutcome())
				}
				var got [][]string
				for _, task := range res.GetTasks() {
					got = append(got, task.GetAssigneeIds())
					if task.GetStatus() != taskv1.Task_PENDING || task.GetType() != taskv1.Task_REVIEW || task.GetStepIndex() != 1 ||
						task.GetPolicyId() != "pol-figma" || task.GetPolicyVersion() != 3 || task.GetAssignee().GetKind() != typev1.AssigneeKind_USERS ||
						task.GetAction() == "" || len(task.GetHistory()) != 1 || task.GetHistory()[0].GetEvent() != "created" {
						t.Errorf("task %+v", task)
					}
				}
				if !slices.EqualFunc(got, tc.want, slices.Equal) {
					t.Fatalf("assignees per task %v, want %v", got, tc.want)
				}
				// Again, even with other assignees: the same tasks, nothing new.
				s.assignees = []string{"xena"}
				again, err := h.internal.OpenStep(h.system(), h.openReq(s))
				if err != nil {
					t.Fatal(err)
				}
				if !again.GetAlreadyOpened() || !slices.Equal(taskIDs(again.GetTasks()), taskIDs(res.GetTasks())) {
					t.Fatalf("second call: already_opened %v, tasks %v, want %v", again.GetAlreadyOpened(), taskIDs(again.GetTasks()), taskIDs(res.GetTasks()))
				}
				list, err := h.pub.ListTasks(h.As("admin"), &taskv1.ListTasksRequest{RequestId: s.request})
				if err != nil || len(list.GetTasks()) != len(tc.want) {
					t.Fatalf("tasks of the request: %d, %v", len(list.GetTasks()), err)
				}
				created := h.eventsOf("audit", len(tc.want), ofRequest(s.request))
				for _, e := range created {
					d := data(t, e)
					if e.GetAction() != "task.created" || e.GetSubject() != "tasks/"+e.GetTaskId() || e.GetPolicyId() != "pol-figma" ||
						e.GetPolicyVersion() != 3 || e.GetService() != "grantflow-task" || d.TaskID != e.GetTaskId() || d.StepIndex != 1 {
						t.Errorf("created event %v %+v", e, d)
					}
				}
			})
		}
		// task.created never goes to the request service.
		for _, e := range h.sinks["request"].snapshot() {
			if e.GetAction() == "task.created" {
				t.Errorf("task.created delivered to request: %v", e)
			}
		}
	})
}

func TestOpenStepConcurrentCallsCreateOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		req := h.openReq(step{request: "req-conc", approval: typev1.Approval_ALL, assignees: []string{"otto", "vera"}})
		results := make([][]string, 6)
		errs := make([]error, 6)
		done := make(chan int)
		for i := range results {
			go func() {
				res, err := h.internal.OpenStep(h.system(), req)
				results[i], errs[i] = taskIDs(res.GetTasks()), err
				done <- i
			}()
		}
		for range results {
			<-done
		}
		for i := range results {
			if errs[i] != nil {
				t.Fatalf("call %d: %v", i, errs[i])
			}
			if !slices.Equal(results[i], results[0]) || len(results[i]) != 2 {
				t.Fatalf("call %d got tasks %v, call 0 %v", i, results[i], results[0])
			}
		}
	})
}

func TestOpenStepRefusesBadInput(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		for _, tc := range []struct {
			name  string
			edit  func(r *taskv1.OpenStepRequest)
			field string
		}{
			{"requester reviews", func(r *taskv1.OpenStepRequest) { r.AssigneeIds = h.people("otto", "uma") }, "assignee_ids"},
			{"target reviews", func(r *taskv1.OpenStepRequest) {
				r.RequesterId, r.TargetUserId, r.AssigneeIds = h.IDs["mona"], h.IDs["ulf"], h.people("ulf")
			}, "assignee_ids"},
			{"nobody", func(r *taskv1.OpenStepRequest) { r.AssigneeIds = nil }, "assignee_ids"},
			{"quorum out of reach", func(r *taskv1.OpenStepRequest) { r.Approval, r.MinApprovals = typev1.Approval_QUORUM, 3 }, "min_approvals"},
			{"quorum without min", func(r *taskv1.OpenStepRequest) { r.Approval = typev1.Approval_QUORUM }, "min_approvals"},
			{"agent reviews", func(r *taskv1.OpenStepRequest) { r.Assignee.Kind, r.AssigneeIds = typev1.AssigneeKind_AGENT, nil }, "assignee.kind"},
			{"action with ALL", func(r *taskv1.OpenStepRequest) { r.Type, r.Approval = taskv1.Task_ACTION, typev1.Approval_ALL }, "approval"},
			{"standalone type", func(r *taskv1.OpenStepRequest) { r.Type = taskv1.Task_STANDALONE }, "type"},
			{"no request id", func(r *taskv1.OpenStepRequest) { r.RequestId = "" }, "request_id"},
			{"no requester", func(r *taskv1.OpenStepRequest) { r.RequesterId = "" }, "requester_id"},
			{"no assignee spec", func(r *taskv1.OpenStepRequest) { r.Assignee = nil }, "assignee"},
			{"repeated assignee", func(r *taskv1.OpenStepRequest) { r.AssigneeIds = h.people("otto", "otto") }, "assignee_ids"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := h.openReq(step{request: "req-bad", approval: typev1.Approval_ALL, assignees: []string{"otto", "vera"}})
				tc.edit(r)
				_, err := h.internal.OpenStep(h.system(), r)
				wantBadField(t, err, tc.field)
			})
		}
		list, err := h.pub.ListTasks(h.As("admin"), &taskv1.ListTasksRequest{})
		if err != nil || len(list.GetTasks()) != 0 {
			t.Fatalf("refused calls left tasks: %v %v", list.GetTasks(), err)
		}
		// The step was never opened: a good call now opens it.
		h.open(step{request: "req-bad", approval: typev1.Approval_ALL, assignees: []string{"otto", "vera"}})
	})
}

func TestInternalCallsRefusePeople(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		req := h.openReq(step{request: "req-x", assignees: []string{"otto"}})
		_, err := h.internal.OpenStep(h.As("admin"), req)
		wantCode(t, err, codes.PermissionDenied)
		_, err = h.internal.CancelTasks(h.As("gm"), &taskv1.CancelTasksRequest{RequestId: "req-x"})
		wantCode(t, err, codes.PermissionDenied)
		_, err = h.internal.CreateStandaloneTask(h.As("admin"), &taskv1.CreateStandaloneTaskRequest{Key: "k", AssigneeIds: h.people("otto"), Action: "x"})
		wantCode(t, err, codes.PermissionDenied)
		_, err = h.internal.OpenStep(t.Context(), req)
		wantCode(t, err, codes.Unauthenticated)
		_, err = h.pub.ListTasks(metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer nope"), &taskv1.ListTasksRequest{})
		wantCode(t, err, codes.Unauthenticated)
	})
}

func TestDecisionRules(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		review := h.open(step{request: "req-rules", assignees: []string{"otto", "vera"}})[0]
		action := h.open(step{request: "req-rules", index: 1, typ: taskv1.Task_ACTION, assignees: []string{"walt"}})[0]

		_, err := h.approve("walt", action.GetId())
		wantCode(t, err, codes.FailedPrecondition) // approve an action task
		_, err = h.pub.CompleteTask(h.As("otto"), &taskv1.CompleteTaskRequest{Id: review.GetId()})
		wantCode(t, err, codes.FailedPrecondition) // complete a review task
		_, err = h.approve("walt", review.GetId())
		wantCode(t, err, codes.NotFound) // not an assignee: cannot even see it
		_, err = h.pub.ApproveTask(h.As("otto"), &taskv1.ApproveTaskRequest{Id: review.GetId(), Etag: `"7"`})
		wantCode(t, err, codes.Aborted) // stale etag
		_, err = h.approve("otto", "no-such-task")
		wantCode(t, err, codes.NotFound)

		got, err := h.pub.ApproveTask(h.As("vera"), &taskv1.ApproveTaskRequest{Id: review.GetId(), Justification: "needed for the launch", Etag: review.GetEtag()})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetStatus() != taskv1.Task_DONE || got.GetDecision() != taskv1.Task_APPROVE || got.GetDecidedBy() != h.IDs["vera"] ||
			got.GetJustification() != "needed for the launch" || got.GetEtag() == review.GetEtag() {
			t.Fatalf("approved task %+v", got)
		}
		last := got.GetHistory()[len(got.GetHistory())-1]
		if last.GetEvent() != "approved" || last.GetActorId() != h.IDs["vera"] || last.GetNote() != "needed for the launch" {
			t.Fatalf("history %+v", got.GetHistory())
		}
		_, err = h.decline("otto", review.GetId())
		wantCode(t, err, codes.FailedPrecondition) // no longer pending
		_, err = h.approve("vera", review.GetId())
		wantCode(t, err, codes.FailedPrecondition)

		done, err := h.pub.CompleteTask(h.As("walt"), &taskv1.CompleteTaskRequest{Id: action.GetId(), Note: "granted in Figma"})
		if err != nil || done.GetStatus() != taskv1.Task_DONE || done.GetDecision() != taskv1.Task_DECISION_UNSPECIFIED || done.GetJustification() != "granted in Figma" {
			t.Fatalf("complete: %+v %v", done, err)
		}
		_, err = h.pub.CompleteTask(h.As("walt"), &taskv1.CompleteTaskRequest{Id: action.GetId()})
		wantCode(t, err, codes.FailedPrecondition)

		// Admin and GM decide tasks they are not assigned to.
		other := h.open(step{request: "req-rules-2", assignees: []string{"otto"}})[0]
		h.must(h.decline("gm", other.GetId()))
		agent := h.open(step{request: "req-rules-2", index: 1, typ: taskv1.Task_ACTION, kind: typev1.AssigneeKind_AGENT})[0]
		if len(agent.GetAssigneeIds()) != 0 {
			t.Fatalf("agent task has people: %v", agent.GetAssigneeIds())
		}
		// The agent's task is completed by the system (the request service, no caller).
		h.must(h.pub.CompleteTask(h.system(), &taskv1.CompleteTaskRequest{Id: agent.GetId()}))
	})
}

func TestNobodyDecidesOwnRequest(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		// The admin asks for access: even an Admin is refused on their own request.
		own := h.open(step{request: "req-admin", requester: "admin", target: "admin", assignees: []string{"otto"}})[0]
		_, err := h.approve("admin", own.GetId())
		wantCode(t, err, codes.PermissionDenied)
		_, err = h.decline("admin", own.GetId())
		wantCode(t, err, codes.PermissionDenied)
		_, err = h.pub.ReassignTask(h.As("admin"), &taskv1.ReassignTaskRequest{Id: own.GetId(), AssigneeIds: h.people("vera")})
		wantCode(t, err, codes.PermissionDenied) // nor hand it to someone else
		// The GM as the target of mona's request.
		gmTask := h.open(step{request: "req-gm", requester: "mona", target: "gm", assignees: []string{"otto"}})[0]
		_, err = h.approve("gm", gmTask.GetId())
		wantCode(t, err, codes.PermissionDenied)
		// A user requester sees their request's task but may not decide it.
		umas := h.open(step{request: "req-uma", assignees: []string{"otto"}})[0]
		h.get("uma", umas.GetId())
		_, err = h.approve("uma", umas.GetId())
		wantCode(t, err, codes.PermissionDenied)
		// The action task too: the requester is never its assignee, nor completes it.
		act := h.open(step{request: "req-admin", index: 1, typ: taskv1.Task_ACTION, requester: "admin", target: "admin", kind: typev1.AssigneeKind_AGENT})[0]
		_, err = h.pub.CompleteTask(h.As("admin"), &taskv1.CompleteTaskRequest{Id: act.GetId()})
		wantCode(t, err, codes.PermissionDenied)
		for _, id := range []string{own.GetId(), gmTask.GetId(), umas.GetId(), act.GetId()} {
			if s := h.get("gm", id); s.GetStatus() != taskv1.Task_PENDING {
				t.Errorf("task %s changed: %v", id, s.GetStatus())
			}
		}
	})
}

func TestOneDecisionPerPersonPerStep(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		ts := h.open(step{request: "req-vote", approval: typev1.Approval_ALL, assignees: []string{"otto", "vera", "walt"}})
		h.must(h.approve("admin", ts[0].GetId()))
		_, err := h.approve("admin", ts[1].GetId())
		wantCode(t, err, codes.PermissionDenied) // the admin does not settle an ALL step alone
		h.must(h.approve("gm", ts[1].GetId()))
		// Reassigning walt's task to the admin would give them a second vote.
		_, err = h.pub.ReassignTask(h.As("gm"), &taskv1.ReassignTaskRequest{Id: ts[2].GetId(), AssigneeIds: h.people("admin")})
		wantBadField(t, err, "assignee_ids")
		h.must(h.approve("walt", ts[2].GetId()))
	})
}

func TestReassign(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		task := h.open(step{request: "req-re", assignees: []string{"otto"}})[0]
		_, err := h.pub.ReassignTask(h.As("otto"), &taskv1.ReassignTaskRequest{Id: task.GetId(), AssigneeIds: h.people("vera")})
		wantCode(t, err, codes.PermissionDenied) // an assignee is not an admin
		_, err = h.pub.ReassignTask(h.As("walt"), &taskv1.ReassignTaskRequest{Id: task.GetId(), AssigneeIds: h.people("vera")})
		wantCode(t, err, codes.NotFound) // someone who cannot see it
		for _, tc := range []struct {
			name string
			to   []string
		}{
			{"to the requester", h.people("uma")},
			{"to nobody known", []string{"ghost"}},
			{"to an offboarded user", h.people("olga")},
			{"none", nil},
		} {
			_, err := h.pub.ReassignTask(h.As("admin"), &taskv1.ReassignTaskRequest{Id: task.GetId(), AssigneeIds: tc.to})
			if wantBadField(t, err, "assignee_ids"); t.Failed() {
				t.Fatalf("%s", tc.name)
			}
		}
		got, err := h.pub.ReassignTask(h.As("admin"), &taskv1.ReassignTaskRequest{Id: task.GetId(), AssigneeIds: h.people("vera", "walt"), Note: "otto is on leave"})
		if err != nil {
			t.Fatal(err)
		}
		last := got.GetHistory()[len(got.GetHistory())-1]
		if !slices.Equal(got.GetAssigneeIds(), h.people("vera", "walt")) || last.GetEvent() != "reassigned" || last.GetActorId() != h.IDs["admin"] || last.GetNote() != "otto is on leave" {
			t.Fatalf("reassigned task %+v", got)
		}
		_, err = h.approve("otto", task.GetId())
		wantCode(t, err, codes.NotFound) // otto no longer sees it
		inbox, err := h.pub.ListTasks(h.As("walt"), &taskv1.ListTasksRequest{Status: taskv1.Task_PENDING})
		if err != nil || !slices.Equal(taskIDs(inbox.GetTasks()), []string{task.GetId()}) {
			t.Fatalf("walt's inbox %v %v", taskIDs(inbox.GetTasks()), err)
		}
		h.must(h.approve("walt", task.GetId()))
		_, err = h.pub.ReassignTask(h.As("admin"), &taskv1.ReassignTaskRequest{Id: task.GetId(), AssigneeIds: h.people("xena")})
		wantCode(t, err, codes.FailedPrecondition) // no longer pending
		evs := h.eventsOf("audit", 3, ofTask(task.GetId()))
		if a := actions(evs); !slices.Equal(a, []string{"task.created", "task.reassigned", "task.approved"}) {
			t.Fatalf("audit events %v", a)
		}
		d := data(t, evs[1])
		if !slices.Equal(d.PreviousAssigneeIDs, h.people("otto")) || !slices.Equal(d.AssigneeIDs, h.people("vera", "walt")) {
			t.Fatalf("reassigned data %+v", d)
		}
		// The request service gets the reassignment (its new assignees may see the request)
		// and the outcome, in that order.
		if a := actions(h.eventsOf("request", 2, ofTask(task.GetId()))); !slices.Equal(a, []string{"task.reassigned", "task.approved"}) {
			t.Errorf("request got %v", a)
		}
	})
}

func TestAutoApprove(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		r := h.openReq(step{request: "req-auto", requester: "gm", target: "gm", approval: typev1.Approval_ALL, autoReason: "the General Manager has no manager: manager step auto-approved"})
		r.AssigneeIds = nil
		r.Assignee = &typev1.Assignee{Kind: typev1.AssigneeKind_MANAGER}
		res, err := h.internal.OpenStep(h.system(), r)
		if err != nil {
			t.Fatal(err)
		}
		if res.GetStepOutcome() != taskv1.StepOutcome_PASSED || len(res.GetTasks()) != 1 {
			t.Fatalf("auto-approved step: %v, %d tasks", res.GetStepOutcome(), len(res.GetTasks()))
		}
		task := res.GetTasks()[0]
		hist := task.GetHistory()
		if task.GetStatus() != taskv1.Task_DONE || task.GetDecision() != taskv1.Task_APPROVE || task.GetDecidedBy() != auth.SystemUserID ||
			len(hist) != 2 || hist[1].GetEvent() != "auto_approved" || !strings.Contains(hist[1].GetNote(), "General Manager") {
			t.Fatalf("auto-approved task %+v", task)
		}
		if a := actions(h.eventsOf("audit", 2, ofTask(task.GetId()))); !slices.Equal(a, []string{"task.created", "task.auto_approved"}) {
			t.Fatalf("audit events %v", a)
		}
		ev := h.eventsOf("request", 1, ofTask(task.GetId()))
		d := data(t, ev[0])
		if ev[0].GetAction() != "task.auto_approved" || ev[0].GetActorId() != auth.SystemUserID || d.StepOutcome != "PASSED" ||
			*d.StepTaskCount != 1 || d.StepApprovals != 1 || d.Decision != "APPROVE" || d.Approval != "ANY" {
			t.Fatalf("request event %v %+v", ev[0], d)
		}
		// Opening it again reports where it stands.
		again, err := h.internal.OpenStep(h.system(), r)
		if err != nil || !again.GetAlreadyOpened() || again.GetStepOutcome() != taskv1.StepOutcome_PASSED {
			t.Fatalf("again: %v %v", again, err)
		}
	})
}

func TestCancelTasks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		first := h.open(step{request: "req-c", approval: typev1.Approval_ALL, assignees: []string{"otto", "vera"}})
		other := h.open(step{request: "req-other", assignees: []string{"otto"}})[0]
		h.must(h.approve("otto", first[0].GetId()))
		res, err := h.internal.CancelTasks(h.system(), &taskv1.CancelTasksRequest{RequestId: "req-c", Reason: "cancelled by the requester"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.GetCancelledTaskIds(), []string{first[1].GetId()}) {
			t.Fatalf("cancelled %v, want [%s]", res.GetCancelledTaskIds(), first[1].GetId())
		}
		got := h.get("admin", first[1].GetId())
		last := got.GetHistory()[len(got.GetHistory())-1]
		if got.GetStatus() != taskv1.Task_CANCELLED || last.GetEvent() != "cancelled" || last.GetNote() != "cancelled by the requester" {
			t.Fatalf("cancelled task %+v", got)
		}
		if s := h.get("admin", first[0].GetId()).GetStatus(); s != taskv1.Task_DONE {
			t.Fatalf("a decided task changed: %v", s)
		}
		if s := h.get("admin", other.GetId()).GetStatus(); s != taskv1.Task_PENDING {
			t.Fatalf("another request's task changed: %v", s)
		}
		_, err = h.decline("vera", first[1].GetId())
		wantCode(t, err, codes.FailedPrecondition)
		again, err := h.internal.CancelTasks(h.system(), &taskv1.CancelTasksRequest{RequestId: "req-c"})
		if err != nil || len(again.GetCancelledTaskIds()) != 0 {
			t.Fatalf("second cancel: %v %v", again, err)
		}
		if _, err := h.internal.CancelTasks(h.system(), &taskv1.CancelTasksRequest{RequestId: "req-never-opened"}); err != nil {
			t.Fatalf("cancel without tasks: %v", err)
		}
		evs := h.eventsOf("audit", 2, ofTask(first[1].GetId()))
		if a := actions(evs); !slices.Equal(a, []string{"task.created", "task.cancelled"}) || data(t, evs[1]).Note != "cancelled by the requester" {
			t.Fatalf("audit events %v", a)
		}
		// Cancellations are not outcomes: the request service, which asked, gets none.
		for _, e := range h.sinks["request"].snapshot() {
			if e.GetAction() == "task.cancelled" {
				t.Errorf("task.cancelled delivered to request: %v", e)
			}
		}
	})
}

// outcomeOf waits for the request service's event about task id and returns its data.
func (h *harness) outcomeOf(id string) (*eventsv1.Event, eventData) {
	h.t.Helper()
	evs := h.eventsOf("request", 1, ofTask(id))
	if len(evs) != 1 {
		h.t.Fatalf("task %s: %d request events, want 1", id, len(evs))
	}
	return evs[0], data(h.t, evs[0])
}

type outcome struct {
	state               string
	approvals, declines int
	cancelled           int
}

func (h *harness) wantOutcome(what, id string, want outcome) eventData {
	h.t.Helper()
	ev, d := h.outcomeOf(id)
	if d.StepOutcome != want.state || d.StepApprovals != want.approvals || d.StepDeclines != want.declines || len(d.CancelledTaskIDs) != want.cancelled {
		h.t.Fatalf("%s: outcome %s %d/%d cancelled %v, want %+v", what, d.StepOutcome, d.StepApprovals, d.StepDeclines, d.CancelledTaskIDs, want)
	}
	if ev.GetRequestId() == "" || ev.GetTaskId() != id || ev.GetPolicyId() != "pol-figma" || ev.GetPolicyVersion() != 3 ||
		d.RequestID != ev.GetRequestId() || d.TaskID != id || d.StepTaskCount == nil {
		h.t.Fatalf("%s: envelope %v data %+v", what, ev, d)
	}
	return d
}

func TestStepOutcomeEvents(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		three := []string{"otto", "vera", "walt"}
		t.Run("ANY", func(t *testing.T) {
			a := h.open(step{request: "o-any", approval: typev1.Approval_ANY, assignees: three})[0]
			h.must(h.approve("vera", a.GetId()))
			d := h.wantOutcome("any", a.GetId(), outcome{state: "PASSED", approvals: 1})
			if d.Approval != "ANY" || *d.StepTaskCount != 1 || d.Decision != "APPROVE" || d.DecidedBy != h.IDs["vera"] || d.Type != "REVIEW" || d.StepIndex != 0 {
				t.Fatalf("data %+v", d)
			}
			b := h.open(step{request: "o-any-2", assignees: three})[0]
			h.must(h.decline("otto", b.GetId()))
			h.wantOutcome("any declined", b.GetId(), outcome{state: "FAILED", declines: 1})
		})
		t.Run("ALL", func(t *testing.T) {
			ts := h.open(step{request: "o-all", approval: typev1.Approval_ALL, assignees: three})
			h.must(h.approve("otto", ts[0].GetId()))
			h.wantOutcome("1st", ts[0].GetId(), outcome{state: "OPEN", approvals: 1})
			h.must(h.approve("vera", ts[1].GetId()))
			h.wantOutcome("2nd", ts[1].GetId(), outcome{state: "OPEN", approvals: 2})
			h.must(h.approve("walt", ts[2].GetId()))
			d := h.wantOutcome("3rd", ts[2].GetId(), outcome{state: "PASSED", approvals: 3})
			if d.Approval != "ALL" || *d.StepTaskCount != 3 {
				t.Fatalf("data %+v", d)
			}
			// One decline fails an ALL step at once and cancels the rest.
			ts = h.open(step{request: "o-all-2", approval: typev1.Approval_ALL, assignees: three})
			h.must(h.approve("otto", ts[0].GetId()))
			h.must(h.decline("vera", ts[1].GetId()))
			d = h.wantOutcome("decline", ts[1].GetId(), outcome{state: "FAILED", approvals: 1, declines: 1, cancelled: 1})
			if d.CancelledTaskIDs[0] != ts[2].GetId() {
				t.Fatalf("cancelled %v", d.CancelledTaskIDs)
			}
			rest := h.get("walt", ts[2].GetId())
			if rest.GetStatus() != taskv1.Task_CANCELLED || !strings.Contains(rest.GetHistory()[1].GetNote(), "failed") {
				t.Fatalf("the rest of the step: %+v", rest)
			}
			_, err := h.approve("walt", ts[2].GetId())
			wantCode(t, err, codes.FailedPrecondition)
		})
		t.Run("QUORUM", func(t *testing.T) {
			four := []string{"otto", "vera", "walt", "xena"}
			ts := h.open(step{request: "o-q", approval: typev1.Approval_QUORUM, min: 2, assignees: four})
			h.must(h.decline("otto", ts[0].GetId()))
			h.wantOutcome("1 decline", ts[0].GetId(), outcome{state: "OPEN", declines: 1})
			h.must(h.approve("vera", ts[1].GetId()))
			h.wantOutcome("1/1", ts[1].GetId(), outcome{state: "OPEN", approvals: 1, declines: 1})
			h.must(h.approve("walt", ts[2].GetId()))
			d := h.wantOutcome("quorum", ts[2].GetId(), outcome{state: "PASSED", approvals: 2, declines: 1, cancelled: 1})
			if d.Approval != "QUORUM" || d.MinApprovals != 2 || *d.StepTaskCount != 4 {
				t.Fatalf("data %+v", d)
			}
			// 3 of 4 fails as soon as two decline: at most 2 approvals remain possible.
			ts = h.open(step{request: "o-q-2", approval: typev1.Approval_QUORUM, min: 3, assignees: four})
			h.must(h.decline("otto", ts[0].GetId()))
			h.wantOutcome("1 decline", ts[0].GetId(), outcome{state: "OPEN", declines: 1})
			h.must(h.decline("vera", ts[1].GetId()))
			h.wantOutcome("out of reach", ts[1].GetId(), outcome{state: "FAILED", declines: 2, cancelled: 2})
			for _, rest := range ts[2:] {
				if s := h.get("admin", rest.GetId()).GetStatus(); s != taskv1.Task_CANCELLED {
					t.Fatalf("task %s %v", rest.GetId(), s)
				}
			}
		})
		t.Run("ACTION", func(t *testing.T) {
			a := h.open(step{request: "o-act", index: 2, typ: taskv1.Task_ACTION, assignees: []string{"walt"}})[0]
			h.must(h.pub.CompleteTask(h.As("walt"), &taskv1.CompleteTaskRequest{Id: a.GetId(), Note: "done"}))
			d := h.wantOutcome("action", a.GetId(), outcome{state: "PASSED"})
			if d.Type != "ACTION" || d.StepIndex != 2 || d.Status != "DONE" || d.DecidedBy != h.IDs["walt"] {
				t.Fatalf("data %+v", d)
			}
		})
		t.Run("standalone goes to audit only", func(t *testing.T) {
			s, err := h.internal.CreateStandaloneTask(h.system(), &taskv1.CreateStandaloneTaskRequest{Key: "onboarding/x", AssigneeIds: h.people("uma"), Action: "Install the extension"})
			if err != nil {
				t.Fatal(err)
			}
			h.must(h.pub.CompleteTask(h.As("uma"), &taskv1.CompleteTaskRequest{Id: s.GetId()}))
			if a := actions(h.eventsOf("audit", 2, ofTask(s.GetId()))); !slices.Equal(a, []string{"task.created", "task.completed"}) {
				t.Fatalf("audit %v", a)
			}
			// A barrier: the request relay delivers in outbox order, so once a later outcome
			// arrived, a request event of the standalone task would have arrived before it.
			b := h.open(step{request: "o-barrier", assignees: []string{"otto"}})[0]
			h.must(h.approve("otto", b.GetId()))
			h.outcomeOf(b.GetId())
			for _, e := range h.sinks["request"].snapshot() {
				if e.GetTaskId() == s.GetId() {
					t.Fatalf("standalone event to request: %v", e)
				}
			}
		})
		// Every event to request is an outcome of a request's task; audit has everything.
		for _, e := range h.sinks["request"].snapshot() {
			if !slices.Contains([]string{"task.approved", "task.declined", "task.completed", "task.auto_approved"}, e.GetAction()) || e.GetRequestId() == "" {
				t.Errorf("request got %s for request %q", e.GetAction(), e.GetRequestId())
			}
		}
	})
}

func TestVisibility(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		ottos := h.open(step{request: "req-v1", assignees: []string{"otto"}})[0]                                   // uma's request
		veras := h.open(step{request: "req-v2", requester: "mona", target: "ulf", assignees: []string{"vera"}})[0] // mona's, about ulf
		both := h.open(step{request: "req-v3", approval: typev1.Approval_ALL, assignees: []string{"otto", "vera"}})

		for _, tc := range []struct {
			person string
			id     string
			sees   bool
		}{
			{"otto", ottos.GetId(), true},
			{"vera", ottos.GetId(), false}, // BOLA: another user's task
			{"walt", ottos.GetId(), false},
			{"uma", ottos.GetId(), true},  // requester
			{"mona", veras.GetId(), true}, // requester
			{"ulf", veras.GetId(), false}, // target user: not in API.md's Get column
			{"otto", both[1].GetId(), false},
			{"admin", veras.GetId(), true},
			{"gm", veras.GetId(), true},
		} {
			_, err := h.pub.GetTask(h.As(tc.person), &taskv1.GetTaskRequest{Id: tc.id})
			switch {
			case tc.sees && err != nil:
				t.Errorf("%s GetTask %s: %v", tc.person, tc.id, err)
			case !tc.sees:
				wantCode(t, err, codes.NotFound)
			}
		}
		list := func(person string, r *taskv1.ListTasksRequest) []string {
			t.Helper()
			res, err := h.pub.ListTasks(h.As(person), r)
			if err != nil {
				t.Fatalf("%s ListTasks: %v", person, err)
			}
			return taskIDs(res.GetTasks())
		}
		if got := list("otto", &taskv1.ListTasksRequest{}); !slices.Equal(got, []string{ottos.GetId(), both[0].GetId()}) {
			t.Errorf("otto's inbox %v", got)
		}
		if got := list("vera", &taskv1.ListTasksRequest{AssigneeId: h.IDs["vera"]}); slices.Contains(got, ottos.GetId()) || len(got) != 2 {
			t.Errorf("vera's inbox %v", got)
		}
		if got := list("uma", &taskv1.ListTasksRequest{RequestId: "req-v1"}); len(got) != 0 {
			t.Errorf("uma lists only her own tasks, got %v", got)
		}
		_, err := h.pub.ListTasks(h.As("vera"), &taskv1.ListTasksRequest{AssigneeId: h.IDs["otto"]})
		wantCode(t, err, codes.PermissionDenied)
		if got := list("admin", &taskv1.ListTasksRequest{}); len(got) != 4 {
			t.Errorf("admin sees %d tasks, want 4", len(got))
		}
		if got := list("gm", &taskv1.ListTasksRequest{AssigneeId: h.IDs["otto"]}); len(got) != 2 {
			t.Errorf("gm lists otto's: %v", got)
		}
		if got := list("admin", &taskv1.ListTasksRequest{RequestId: "req-v3"}); !slices.Equal(got, taskIDs(both)) {
			t.Errorf("by request %v", got)
		}
		h.must(h.approve("otto", ottos.GetId()))
		if got := list("otto", &taskv1.ListTasksRequest{Status: taskv1.Task_PENDING}); !slices.Equal(got, []string{both[0].GetId()}) {
			t.Errorf("otto's pending %v", got)
		}
		if got := list("admin", &taskv1.ListTasksRequest{Status: taskv1.Task_DONE}); !slices.Equal(got, []string{ottos.GetId()}) {
			t.Errorf("done %v", got)
		}
	})
}

func TestListPaging(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		var want []string
		for i := range 7 {
			want = append(want, h.open(step{request: "req-p", index: int32(i), assignees: []string{"otto"}})[0].GetId())
		}
		for _, person := range []string{"otto", "admin"} {
			var got []string
			tok := ""
			for pages := 0; ; pages++ {
				res, err := h.pub.ListTasks(h.As(person), &taskv1.ListTasksRequest{PageSize: 3, PageToken: tok})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, taskIDs(res.GetTasks())...)
				if tok = res.GetNextPageToken(); tok == "" {
					break
				}
				if pages > 5 {
					t.Fatal("paging does not end")
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s pages %v, want %v", person, got, want)
			}
		}
		res, err := h.pub.ListTasks(h.As("otto"), &taskv1.ListTasksRequest{})
		if err != nil || len(res.GetTasks()) != 7 || res.GetNextPageToken() != "" {
			t.Fatalf("default page: %d %q %v", len(res.GetTasks()), res.GetNextPageToken(), err)
		}
	})
}

func TestBadInputNamesTheField(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		task := h.open(step{request: "req-in", assignees: []string{"otto"}})[0]
		long := strings.Repeat("x", 2001)
		for _, tc := range []struct {
			name  string
			call  func() error
			field string
		}{
			{"page size over 500", func() error {
				_, err := h.pub.ListTasks(h.As("otto"), &taskv1.ListTasksRequest{PageSize: 501})
				return err
			}, "page_size"},
			{"bad page token", func() error {
				_, err := h.pub.ListTasks(h.As("otto"), &taskv1.ListTasksRequest{PageToken: "!!"})
				return err
			}, "page_token"},
			{"unknown status", func() error {
				_, err := h.pub.ListTasks(h.As("otto"), &taskv1.ListTasksRequest{Status: 42})
				return err
			}, "status"},
			{"no id", func() error {
				_, err := h.pub.GetTask(h.As("otto"), &taskv1.GetTaskRequest{})
				return err
			}, "id"},
			{"long justification", func() error {
				_, err := h.pub.ApproveTask(h.As("otto"), &taskv1.ApproveTaskRequest{Id: task.GetId(), Justification: long})
				return err
			}, "justification"},
			{"long note", func() error {
				_, err := h.pub.CompleteTask(h.As("otto"), &taskv1.CompleteTaskRequest{Id: task.GetId(), Note: long})
				return err
			}, "note"},
			{"reassign to nobody", func() error {
				_, err := h.pub.ReassignTask(h.As("admin"), &taskv1.ReassignTaskRequest{Id: task.GetId()})
				return err
			}, "assignee_ids"},
			{"create without action", func() error {
				_, err := h.pub.CreateTask(h.As("admin"), &taskv1.CreateTaskRequest{AssigneeIds: h.people("otto")})
				return err
			}, "action"},
			{"create for a ghost", func() error {
				_, err := h.pub.CreateTask(h.As("admin"), &taskv1.CreateTaskRequest{AssigneeIds: []string{"ghost"}, Action: "x"})
				return err
			}, "assignee_ids"},
			{"standalone without key", func() error {
				_, err := h.internal.CreateStandaloneTask(h.system(), &taskv1.CreateStandaloneTaskRequest{AssigneeIds: h.people("otto"), Action: "x"})
				return err
			}, "key"},
		} {
			t.Run(tc.name, func(t *testing.T) { wantBadField(t, tc.call(), tc.field) })
		}
		if got := h.get("otto", task.GetId()); got.GetStatus() != taskv1.Task_PENDING || len(got.GetHistory()) != 1 {
			t.Fatalf("bad input changed the task: %+v", got)
		}
	})
}

func TestStandaloneTasks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		req := &taskv1.CreateStandaloneTaskRequest{Key: "onboarding/" + h.IDs["ulf"], AssigneeIds: h.people("ulf"), Action: "Install the browser extension", Note: "welcome"}
		first, err := h.internal.CreateStandaloneTask(h.system(), req)
		if err != nil {
			t.Fatal(err)
		}
		if first.GetType() != taskv1.Task_STANDALONE || first.GetRequestId() != "" || first.GetHistory()[0].GetNote() != "welcome" {
			t.Fatalf("standalone %+v", first)
		}
		again, err := h.internal.CreateStandaloneTask(h.system(), req)
		if err != nil || again.GetId() != first.GetId() {
			t.Fatalf("same key again: %v %v", again.GetId(), err)
		}
		_, err = h.approve("ulf", first.GetId())
		wantCode(t, err, codes.FailedPrecondition)
		_, err = h.pub.GetTask(h.As("uma"), &taskv1.GetTaskRequest{Id: first.GetId()})
		wantCode(t, err, codes.NotFound)
		h.must(h.pub.CompleteTask(h.As("ulf"), &taskv1.CompleteTaskRequest{Id: first.GetId()}))

		_, err = h.pub.CreateTask(h.As("mona"), &taskv1.CreateTaskRequest{AssigneeIds: h.people("uma"), Action: "x"})
		wantCode(t, err, codes.PermissionDenied)
		_, err = h.pub.CreateTask(h.As("admin"), &taskv1.CreateTaskRequest{AssigneeIds: h.people("olga"), Action: "x"})
		wantBadField(t, err, "assignee_ids")
		mine, err := h.pub.CreateTask(h.As("gm"), &taskv1.CreateTaskRequest{AssigneeIds: h.people("mona"), Action: "Confirm the offboarding of olga"})
		if err != nil || mine.GetType() != taskv1.Task_STANDALONE || mine.GetHistory()[0].GetActorId() != h.IDs["gm"] {
			t.Fatalf("CreateTask: %+v %v", mine, err)
		}
		h.must(h.pub.CompleteTask(h.As("admin"), &taskv1.CompleteTaskRequest{Id: mine.GetId()}))
	})
}

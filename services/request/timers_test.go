package request_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/servicetest"
)

// fire fires the task and request services' due timers (by the harness's clock).
func (h *harness) fire() int {
	h.t.Helper()
	n := 0
	for _, f := range []func() (int, error){
		func() (int, error) { return h.taskSvc.FireDueTimers(h.t.Context()) },
		func() (int, error) { return h.reqSvc.FireDueTimers(h.t.Context()) },
	} {
		k, err := f()
		if err != nil {
			h.t.Fatalf("FireDueTimers: %v", err)
		}
		n += k
	}
	return n
}

// auditEvents waits until the audit sink holds n events matching keep, and returns them.
func (h *harness) auditEvents(n int, what string, keep func(*eventsv1.Event) bool) []*eventsv1.Event {
	h.t.Helper()
	return h.audit.Await(h.t, n, what+" audit", keep)
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("code %v, want InvalidArgument (%v)", status.Code(err), err)
	}
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == field {
					return
				}
			}
		}
	}
	t.Fatalf("no violation of %s in %v", field, err)
}

// TestExpiringAccess: a grant with an accessDuration expires through a REMOVE_ACCESS request
// with origin {expiry: true}; the holder is told 72 hours before; the cap of the policy
// version holds.
func TestExpiringAccess(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		agent := stepOf("The agent", typev1.AssigneeKind_AGENT, typev1.Approval_APPROVAL_UNSPECIFIED, 0)
		p, err := h.pol.CreatePolicy(h.as("admin"), &policyv1.CreatePolicyRequest{Name: "Vault grants", RequestType: typev1.RequestType_GRANT_ACCESS,
			Scope: &policyv1.Scope{AppId: h.apps["Vault"]}, Workflow: &typev1.Workflow{ActionStep: agent, MaxAccessDuration: durationpb.New(200 * time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.pol.ActivatePolicyVersion(h.as("admin"), &policyv1.ActivatePolicyVersionRequest{PolicyId: p.GetId(), Version: 1}); err != nil {
			t.Fatal(err)
		}
		h.policy("Vault removals", typev1.RequestType_REMOVE_ACCESS, &policyv1.Scope{AppId: h.apps["Vault"]}, nil, agent)

		in := h.grant("uma", "Vault", "read")
		in.AccessDuration = durationpb.New(201 * time.Hour)
		_, err = h.req.SubmitRequest(h.as("uma"), in)
		wantField(t, err, "access_duration")
		in.AccessDuration = durationpb.New(100 * time.Hour)
		in.Origin = &requestv1.Origin{Expiry: true}
		_, err = h.req.SubmitRequest(h.as("uma"), in)
		wantField(t, err, "origin.expiry")
		in.Origin = nil

		granted := h.clock.Now()
		r := h.waitStatus(h.submit("uma", in).GetId(), requestv1.Request_DONE)
		wantExpire := granted.Add(100 * time.Hour).UTC().Truncate(time.Microsecond)
		if !r.GetExpireTime().AsTime().Equal(wantExpire) || r.GetAccessDuration().AsDuration() != 100*time.Hour {
			t.Fatalf("request expire_time %v, access_duration %v; want %v, 100h", r.GetExpireTime().AsTime(), r.GetAccessDuration().AsDuration(), wantExpire)
		}
		acc, err := h.id.ListAccesses(h.as("admin"), &identityv1.ListAccessesRequest{UserId: h.ids["uma"], AppId: h.apps["Vault"]})
		if err != nil || len(acc.GetAccesses()) != 1 || !acc.GetAccesses()[0].GetExpireTime().AsTime().Equal(wantExpire) {
			t.Fatalf("access %v (%v), want expire_time %v", acc.GetAccesses(), err, wantExpire)
		}
		grantedEv := h.auditEvents(1, "access.granted", func(e *eventsv1.Event) bool { return e.GetAction() == "access.granted" })[0]
		if !grantedEv.GetAccessChanged().GetExpireTime().AsTime().Equal(wantExpire) {
			t.Fatalf("access.granted expire_time %v", grantedEv.GetAccessChanged().GetExpireTime())
		}

		// 72 hours before: the notice, once.
		servicetest.Tick(t, h.clock, 27*time.Hour, h.fire, 0, "73 h before the expiry")
		servicetest.Tick(t, h.clock, time.Hour, h.fire, 1, "72 h before the expiry")
		notice := h.auditEvents(1, "access.expiring", func(e *eventsv1.Event) bool { return e.GetAction() == "access.expiring" })[0].GetAccessChanged()
		if notice.GetUserId() != h.ids["uma"] || notice.GetAppId() != h.apps["Vault"] || notice.GetPermission() != "read" ||
			!notice.GetExpireTime().AsTime().Equal(wantExpire) {
			t.Fatalf("access.expiring payload %v", notice)
		}

		// At the expiry: a REMOVE_ACCESS request with origin {expiry: true}, which removes it.
		servicetest.Tick(t, h.clock, 72*time.Hour, h.fire, 1, "at the expiry")
		var removal *requestv1.Request
		h.audit.Until(t, "a REMOVE_ACCESS request after the expiry", func() (bool, string) {
			list, err := h.req.ListRequests(h.as("admin"), &requestv1.ListRequestsRequest{TargetUserId: h.ids["uma"], Type: typev1.RequestType_REMOVE_ACCESS})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.GetRequests()) > 0 {
				removal = list.GetRequests()[0]
			}
			return removal != nil, "none yet"
		})
		removal = h.waitStatus(removal.GetId(), requestv1.Request_DONE)
		if !removal.GetOrigin().GetExpiry() || removal.GetAppId() != h.apps["Vault"] {
			t.Fatalf("removal %v", removal)
		}
		if got := h.access("uma", "Vault"); got != "" {
			t.Fatalf("uma still holds %q on Vault", got)
		}
		servicetest.Tick(t, h.clock, 1000*time.Hour, h.fire, 0, "after everything")
	})
}

// TestLaterGrantReplacesTheExpiry: a change of the access without a duration removes the
// expiry, so nothing fires.
func TestLaterGrantReplacesTheExpiry(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		agent := stepOf("The agent", typev1.AssigneeKind_AGENT, typev1.Approval_APPROVAL_UNSPECIFIED, 0)
		h.policy("GitHub grants", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: h.apps["GitHub"]}, nil, agent)
		h.policy("GitHub changes", typev1.RequestType_CHANGE_PERMISSION, &policyv1.Scope{AppId: h.apps["GitHub"]}, nil, agent)
		in := h.grant("uma", "GitHub", "read")
		in.AccessDuration = durationpb.New(time.Hour) // shorter than the notice: told at once
		h.waitStatus(h.submit("uma", in).GetId(), requestv1.Request_DONE)
		if n := h.fire(); n != 1 {
			t.Fatalf("%d fired at once, want the notice", n)
		}
		change := &requestv1.SubmitRequestRequest{Type: typev1.RequestType_CHANGE_PERMISSION, AppId: h.apps["GitHub"], Permission: "write", Reason: "more"}
		h.waitStatus(h.submit("uma", change).GetId(), requestv1.Request_DONE)
		servicetest.Tick(t, h.clock, 2*time.Hour, h.fire, 0, "after the change without a duration")
		if got := h.access("uma", "GitHub"); got != "write" {
			t.Fatalf("uma holds %q, want write", got)
		}
	})
}

// TestReminderThenEscalationThroughAPolicy: a review step with dueAfter and an escalation
// to the assignee's manager: the reminder, then the manager joins the task (the requester
// never does), and the request's viewers follow.
func TestReminderThenEscalationThroughAPolicy(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		review := stepOf("Vera reviews", typev1.AssigneeKind_USERS, typev1.Approval_ANY, 0, h.ids["vera"])
		review.DueAfter = durationpb.New(24 * time.Hour)
		review.Escalation = &typev1.Escalation{After: durationpb.New(24 * time.Hour), To: typev1.Escalation_MANAGER_OF_ASSIGNEE}
		bad := stepOf("Bad", typev1.AssigneeKind_USERS, typev1.Approval_ANY, 0, h.ids["vera"])
		bad.DueAfter = durationpb.New(time.Hour)
		bad.Escalation = &typev1.Escalation{After: durationpb.New(time.Hour), To: typev1.Escalation_USERS}
		_, err := h.pol.CreatePolicy(h.as("admin"), &policyv1.CreatePolicyRequest{Name: "bad", RequestType: typev1.RequestType_GRANT_ACCESS,
			Scope: &policyv1.Scope{AppId: h.apps["Figma"]}, Workflow: &typev1.Workflow{ReviewSteps: []*typev1.Step{bad},
				ActionStep: stepOf("The agent", typev1.AssigneeKind_AGENT, typev1.Approval_APPROVAL_UNSPECIFIED, 0)}})
		wantField(t, err, "workflow.review_steps[0].escalation.user_ids")

		h.policy("Figma with a due date", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: h.apps["Figma"]},
			[]*typev1.Step{review}, stepOf("The agent", typev1.AssigneeKind_AGENT, typev1.Approval_APPROVAL_UNSPECIFIED, 0))
		r := h.submit("uma", h.grant("uma", "Figma", "viewer"))
		task := h.pending(r.GetId(), 0, 1)[0]
		if task.GetDueTime() == nil || task.GetEscalateTime() == nil {
			t.Fatalf("task without due or escalation time: %v", task)
		}
		servicetest.Tick(t, h.clock, 24*time.Hour, h.fire, 1, "at the due time")
		h.auditEvents(1, "task.due", func(e *eventsv1.Event) bool { return e.GetAction() == "task.due" && e.GetTaskId() == task.GetId() })
		servicetest.Tick(t, h.clock, 24*time.Hour, h.fire, 1, "at the escalation")
		got, err := h.tasks.GetTask(h.as("gm"), &taskv1.GetTaskRequest{Id: task.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.GetAssigneeIds(), h.people("vera", "gm")) {
			t.Fatalf("assignees after escalation %v, want vera and her manager gm", got.GetAssigneeIds())
		}
		// The manager who joined sees the request and decides it.
		h.waitFor(r.GetId(), "gm may see it", func(*requestv1.Request) bool {
			_, err := h.req.GetRequest(h.as("gm"), &requestv1.GetRequestRequest{Id: r.GetId()})
			return err == nil
		})
		h.approve("gm", task.GetId())
		h.waitStatus(r.GetId(), requestv1.Request_DONE)
	})
}

// TestOffboardingReroutesPendingTasks: the pending tasks of an offboarded person go to
// their manager, with the reason in the history.
func TestOffboardingReroutesPendingTasks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		h.policy("Figma by Ulf", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: h.apps["Figma"]},
			[]*typev1.Step{stepOf("Ulf reviews", typev1.AssigneeKind_USERS, typev1.Approval_ANY, 0, h.ids["ulf"])},
			stepOf("The agent", typev1.AssigneeKind_AGENT, typev1.Approval_APPROVAL_UNSPECIFIED, 0))
		r := h.submit("vera", h.grant("vera", "Figma", "viewer"))
		task := h.pending(r.GetId(), 0, 1)[0]
		if _, err := h.id.OffboardUser(h.as("admin"), &identityv1.OffboardUserRequest{Id: h.ids["ulf"]}); err != nil {
			t.Fatal(err)
		}
		h.audit.Until(t, "the task reassigned to ulf's manager mona", func() (bool, string) {
			got, err := h.tasks.GetTask(h.as("admin"), &taskv1.GetTaskRequest{Id: task.GetId()})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.GetAssigneeIds(), h.people("mona")) {
				return false, fmt.Sprintf("task assignees %v", got.GetAssigneeIds())
			}
			if last := got.GetHistory()[len(got.GetHistory())-1]; last.GetEvent() != "reassigned" || last.GetNote() == "" {
				t.Fatalf("history %v", got.GetHistory())
			}
			return true, ""
		})
		h.approve("mona", task.GetId())
		h.waitStatus(r.GetId(), requestv1.Request_DONE)
	})
}

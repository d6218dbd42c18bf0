package task_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/servicetest"
)

// fire fires the timers due by the harness's clock and returns how many fired.
func (h *harness) fire() int {
	h.t.Helper()
	n, err := h.svc.FireDueTimers(h.t.Context())
	if err != nil {
		h.t.Fatalf("FireDueTimers: %v", err)
	}
	return n
}

func lastEvent(t *taskv1.Task) string {
	hist := t.GetHistory()
	return hist[len(hist)-1].GetEvent()
}

func TestDueReminderThenEscalation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		opened := h.clock.Now()
		in := h.openReq(step{request: "req-due", assignees: []string{"otto"}})
		in.DueAfter, in.EscalateAfter = durationpb.New(time.Hour), durationpb.New(30*time.Minute)
		// The requester (uma) among the escalation's people never joins: maker-checker.
		in.EscalationUserIds, in.EscalationNote = h.people("mona", "uma"), "the manager of each assignee"
		res, err := h.internal.OpenStep(h.system(), in)
		if err != nil {
			t.Fatal(err)
		}
		task := res.GetTasks()[0]
		if due := task.GetDueTime().AsTime(); !due.Equal(opened.Add(time.Hour).UTC().Truncate(time.Microsecond)) {
			t.Fatalf("due_time %v, want opened + 1h (%v)", due, opened.Add(time.Hour))
		}
		if esc := task.GetEscalateTime().AsTime(); !esc.Equal(task.GetDueTime().AsTime().Add(30 * time.Minute)) {
			t.Fatalf("escalate_time %v, want due + 30m", esc)
		}

		servicetest.Tick(t, h.clock, 59*time.Minute, h.fire, 0, "before the due time")
		servicetest.Tick(t, h.clock, time.Minute, h.fire, 1, "at the due time")
		got := h.get("otto", task.GetId())
		if lastEvent(got) != "due" || !slices.Equal(got.GetAssigneeIds(), h.people("otto")) {
			t.Fatalf("after the due time: history %v, assignees %v", got.GetHistory(), got.GetAssigneeIds())
		}
		due := h.eventsOf("audit", 1, func(e *eventsv1.Event) bool { return e.GetAction() == "task.due" })[0]
		if p := due.GetTaskChanged(); p.GetTaskId() != task.GetId() || !slices.Equal(p.GetAssigneeIds(), h.people("otto")) ||
			!p.GetDueTime().AsTime().Equal(task.GetDueTime().AsTime()) {
			t.Fatalf("task.due payload %v", p)
		}

		servicetest.Tick(t, h.clock, 30*time.Minute, h.fire, 1, "at the escalation time")
		got = h.get("mona", task.GetId())
		if lastEvent(got) != "escalated" || !slices.Equal(got.GetAssigneeIds(), h.people("otto", "mona")) {
			t.Fatalf("after escalation: history %v, assignees %v", got.GetHistory(), got.GetAssigneeIds())
		}
		for _, sink := range []string{"audit", "request"} {
			esc := h.eventsOf(sink, 1, func(e *eventsv1.Event) bool { return e.GetAction() == "task.escalated" })[0]
			if p := esc.GetTaskChanged(); !slices.Equal(p.GetAssigneeIds(), h.people("otto", "mona")) ||
				!slices.Equal(p.GetPreviousAssigneeIds(), h.people("otto")) || esc.GetActorId() != "system" {
				t.Fatalf("task.escalated to %s: actor %s, payload %v", sink, esc.GetActorId(), p)
			}
		}
		// The new assignee decides; nothing fires again.
		h.must(h.approve("mona", task.GetId()))
		servicetest.Tick(t, h.clock, 24*time.Hour, h.fire, 0, "again")
	})
}

func TestDecidedTaskIsNeitherDueNorEscalated(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		in := h.openReq(step{request: "req-done", assignees: []string{"otto"}})
		in.DueAfter, in.EscalateAfter, in.EscalationUserIds = durationpb.New(time.Hour), durationpb.New(time.Hour), h.people("mona")
		res, err := h.internal.OpenStep(h.system(), in)
		if err != nil {
			t.Fatal(err)
		}
		id := res.GetTasks()[0].GetId()
		h.must(h.approve("otto", id))
		h.clock.Advance(3 * time.Hour)
		h.fire() // the timers fire and find nothing to do
		got := h.get("admin", id)
		if lastEvent(got) != "approved" || !slices.Equal(got.GetAssigneeIds(), h.people("otto")) {
			t.Fatalf("a decided task changed: history %v, assignees %v", got.GetHistory(), got.GetAssigneeIds())
		}
		for _, e := range h.sinks["audit"].snapshot() {
			if e.GetTaskId() == id && (e.GetAction() == "task.due" || e.GetAction() == "task.escalated") {
				t.Fatalf("event %s for a decided task", e.GetAction())
			}
		}
	})
}

func TestDueAfterOnlyOnReviewSteps(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		in := h.openReq(step{request: "req-bad-due", typ: taskv1.Task_ACTION, assignees: []string{"otto"}})
		in.DueAfter = durationpb.New(time.Hour)
		_, err := h.internal.OpenStep(h.system(), in)
		wantBadField(t, err, "due_after")
		in = h.openReq(step{request: "req-bad-esc", assignees: []string{"otto"}})
		in.EscalateAfter = durationpb.New(time.Hour)
		_, err = h.internal.OpenStep(h.system(), in)
		wantBadField(t, err, "escalate_after")
		in.EscalateAfter = durationpb.New(-time.Hour)
		_, err = h.internal.OpenStep(h.system(), in)
		wantBadField(t, err, "escalate_after")
	})
}

func TestRerouteTasksOfSomeoneWhoLeft(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		shared := h.open(step{request: "req-rr", assignees: []string{"otto", "vera"}})[0]
		solo := h.open(step{request: "req-rr2", assignees: []string{"otto"}})[0]
		other := h.open(step{request: "req-rr3", assignees: []string{"walt"}})[0]
		reason := "otto was offboarded: his pending tasks go to his manager"
		res, err := h.internal.RerouteTasks(h.system(), &taskv1.RerouteTasksRequest{UserId: h.IDs["otto"], ToUserIds: h.people("mona"), Reason: reason})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.GetTaskIds()) != 2 {
			t.Fatalf("moved %v, want 2 tasks", res.GetTaskIds())
		}
		for id, want := range map[string][]string{shared.GetId(): h.people("vera", "mona"), solo.GetId(): h.people("mona"), other.GetId(): h.people("walt")} {
			got := h.get("admin", id)
			if !slices.Equal(got.GetAssigneeIds(), want) {
				t.Errorf("task %s assignees %v, want %v", id, got.GetAssigneeIds(), want)
			}
			if id != other.GetId() && (lastEvent(got) != "reassigned" || got.GetHistory()[len(got.GetHistory())-1].GetNote() != reason) {
				t.Errorf("task %s history %v", id, got.GetHistory())
			}
		}
		again, err := h.internal.RerouteTasks(h.system(), &taskv1.RerouteTasksRequest{UserId: h.IDs["otto"], ToUserIds: h.people("mona"), Reason: reason})
		if err != nil || len(again.GetTaskIds()) != 0 {
			t.Fatalf("again: %v, %v; want nothing moved", again.GetTaskIds(), err)
		}
		evs := h.eventsOf("request", 2, func(e *eventsv1.Event) bool { return e.GetAction() == "task.reassigned" })
		if p := evs[0].GetTaskChanged(); p.GetNote() != reason || len(p.GetPreviousAssigneeIds()) == 0 {
			t.Fatalf("task.reassigned payload %v", p)
		}
		_, err = h.internal.RerouteTasks(h.As("admin"), &taskv1.RerouteTasksRequest{UserId: h.IDs["vera"], ToUserIds: h.people("mona"), Reason: reason})
		wantCode(t, err, codes.PermissionDenied) // internal only
	})
}

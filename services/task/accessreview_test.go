package task_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"

	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
)

// TestAccessReviewTasks: one task per reviewer per campaign, created once however often
// asked; never approved, declined, completed or reassigned through the task API; DONE for
// the reviewers named, CANCELLED for the rest when the campaign closes; audited.
func TestAccessReviewTasks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		open := &taskv1.OpenAccessReviewTasksRequest{AccessReviewId: "ar-1", ReviewerIds: h.people("otto", "vera"), Action: `Review the accesses of access review "Q4"`}
		first, err := h.internal.OpenAccessReviewTasks(h.system(), open)
		if err != nil {
			t.Fatal(err)
		}
		if len(first.GetTasks()) != 2 {
			t.Fatalf("tasks %v", first.GetTasks())
		}
		otto, vera := first.GetTasks()[0], first.GetTasks()[1]
		if otto.GetType() != taskv1.Task_ACCESS_REVIEW || otto.GetAccessReviewId() != "ar-1" || !slices.Equal(otto.GetAssigneeIds(), h.people("otto")) ||
			otto.GetStatus() != taskv1.Task_PENDING || vera.GetAssigneeIds()[0] != h.IDs["vera"] {
			t.Fatalf("task %+v", otto)
		}
		// A retry (with one more reviewer) creates only the new one.
		open.ReviewerIds = h.people("vera", "walt", "otto")
		again, err := h.internal.OpenAccessReviewTasks(h.system(), open)
		if err != nil {
			t.Fatal(err)
		}
		if ids := taskIDs(again.GetTasks()); ids[0] != vera.GetId() || ids[2] != otto.GetId() || ids[1] == otto.GetId() || ids[1] == vera.GetId() {
			t.Fatalf("retry %v", ids)
		}
		walt := again.GetTasks()[1]
		list := h.must2(h.pub.ListTasks(h.As("otto"), &taskv1.ListTasksRequest{}))
		if ids := taskIDs(list.GetTasks()); !slices.Equal(ids, []string{otto.GetId()}) {
			t.Fatalf("otto's inbox %v", ids)
		}

		_, err = h.approve("otto", otto.GetId())
		wantCode(t, err, codes.FailedPrecondition)
		_, err = h.decline("admin", otto.GetId())
		wantCode(t, err, codes.FailedPrecondition)
		_, err = h.pub.CompleteTask(h.As("otto"), &taskv1.CompleteTaskRequest{Id: otto.GetId()})
		wantCode(t, err, codes.FailedPrecondition)
		_, err = h.pub.ReassignTask(h.As("admin"), &taskv1.ReassignTaskRequest{Id: otto.GetId(), AssigneeIds: h.people("xena")})
		wantCode(t, err, codes.FailedPrecondition)
		_, err = h.approve("vera", otto.GetId())
		wantCode(t, err, codes.NotFound)

		// Otto finished: DONE (twice is a no-op).
		for range 2 {
			done, err := h.internal.CloseAccessReviewTasks(h.system(), &taskv1.CloseAccessReviewTasksRequest{
				AccessReviewId: "ar-1", ReviewerIds: h.people("otto"), Status: taskv1.Task_DONE, Reason: "every item decided"})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(done.GetClosedTaskIds()); n > 1 {
				t.Fatalf("closed %v", done.GetClosedTaskIds())
			}
		}
		if got := h.get("otto", otto.GetId()); got.GetStatus() != taskv1.Task_DONE {
			t.Fatalf("otto's task %v", got.GetStatus())
		}
		// The campaign closes: the others are cancelled, otto's stays DONE.
		closed, err := h.internal.CloseAccessReviewTasks(h.system(), &taskv1.CloseAccessReviewTasksRequest{
			AccessReviewId: "ar-1", Status: taskv1.Task_CANCELLED, Reason: "the access review closed"})
		if err != nil {
			t.Fatal(err)
		}
		if got := closed.GetClosedTaskIds(); !slices.Equal(got, []string{vera.GetId(), walt.GetId()}) && !slices.Equal(got, []string{walt.GetId(), vera.GetId()}) {
			t.Fatalf("cancelled %v", got)
		}
		if got := h.get("vera", vera.GetId()); got.GetStatus() != taskv1.Task_CANCELLED || got.GetHistory()[1].GetNote() != "the access review closed" {
			t.Fatalf("vera's task %+v", got)
		}
		if a := actions(h.eventsOf("audit", 2, ofTask(otto.GetId()))); !slices.Equal(a, []string{"task.created", "task.completed"}) {
			t.Fatalf("audit %v", a)
		}
		if a := actions(h.eventsOf("audit", 2, ofTask(vera.GetId()))); !slices.Equal(a, []string{"task.created", "task.cancelled"}) {
			t.Fatalf("audit %v", a)
		}

		_, err = h.internal.OpenAccessReviewTasks(h.As("admin"), open)
		wantCode(t, err, codes.PermissionDenied)
		_, err = h.internal.CloseAccessReviewTasks(h.system(), &taskv1.CloseAccessReviewTasksRequest{AccessReviewId: "ar-1"})
		wantBadField(t, err, "status")
		_, err = h.internal.OpenAccessReviewTasks(h.system(), &taskv1.OpenAccessReviewTasksRequest{AccessReviewId: "ar-2", Action: "x"})
		wantBadField(t, err, "reviewer_ids")
	})
}

func (h *harness) must2(r *taskv1.ListTasksResponse, err error) *taskv1.ListTasksResponse {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

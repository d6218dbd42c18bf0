package request_test

import (
	"sync"
	"testing"

	"google.golang.org/grpc/codes"

	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
)

// TestConcurrentDecisionsAgreeWithRequests: on many requests at once, the manager approves
// while an admin declines the same task. Exactly one decision wins each task, and each
// request ends where its task's decision says: DECLINED, or on to the owner's step.
func TestConcurrentDecisionsAgreeWithRequests(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		const n = 20
		ids := make([]string, n)
		tasks := make([]string, n)
		for i := range n {
			ids[i] = h.submit("uma", h.grant("", "Figma", "viewer")).GetId()
			tasks[i] = h.pending(ids[i], 0, 1)[0].GetId()
		}
		type result struct{ approveErr, declineErr error }
		results := make([]result, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, results[i].approveErr = h.tasks.ApproveTask(h.as("mona"), &taskv1.ApproveTaskRequest{Id: tasks[i]})
			})
			wg.Go(func() {
				_, results[i].declineErr = h.tasks.DeclineTask(h.as("admin"), &taskv1.DeclineTaskRequest{Id: tasks[i], Justification: "race"})
			})
		}
		wg.Wait()
		approved, declined := 0, 0
		for i, r := range results {
			lost := func(err error) bool {
				c := code(err)
				return c == codes.Aborted || c == codes.FailedPrecondition
			}
			switch {
			case r.approveErr == nil && lost(r.declineErr):
				approved++
				h.waitFor(ids[i], "the owner's step", func(req *requestv1.Request) bool { return req.GetStepIndex() == 1 })
				if got := h.get("admin", ids[i]); got.GetStatus() != requestv1.Request_IN_PROGRESS {
					t.Errorf("request %d: approved task, request %v", i, got.GetStatus())
				}
			case r.declineErr == nil && lost(r.approveErr):
				declined++
				h.waitStatus(ids[i], requestv1.Request_DECLINED)
			default:
				t.Errorf("task %d: approve %v, decline %v: want exactly one winner", i, r.approveErr, r.declineErr)
			}
		}
		t.Logf("%d races: %d approvals won, %d declines won", n, approved, declined)
	})
}

package task_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

const racePairs = 50

// TestConcurrentDecisionsExactlyOneWins races, for each of 50 tasks at once, an approval
// against a decline by its two assignees. Per task exactly one call succeeds, the other gets
// ABORTED or FAILED_PRECONDITION, the task ends in the winner's state with one decision in
// its history, and exactly one outcome event reaches the request service.
func TestConcurrentDecisionsExactlyOneWins(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		tasks := make([]*taskv1.Task, racePairs)
		for i := range tasks {
			tasks[i] = h.open(step{request: fmt.Sprintf("race-%02d", i), assignees: []string{"otto", "vera"}})[0]
		}
		type result struct {
			approveErr, declineErr error
		}
		results := make([]result, racePairs)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, task := range tasks {
			wg.Go(func() {
				<-start
				_, results[i].approveErr = h.approve("otto", task.GetId())
			})
			wg.Go(func() {
				<-start
				_, results[i].declineErr = h.decline("vera", task.GetId())
			})
		}
		close(start)
		wg.Wait()

		approvals := 0
		for i, r := range results {
			var wantStatus taskv1.Task_Status
			var loser error
			switch {
			case r.approveErr == nil && r.declineErr != nil:
				wantStatus, loser = taskv1.Task_DONE, r.declineErr
				approvals++
			case r.declineErr == nil && r.approveErr != nil:
				wantStatus, loser = taskv1.Task_DECLINED, r.approveErr
			default:
				t.Fatalf("pair %d: approve %v, decline %v: want exactly one success", i, r.approveErr, r.declineErr)
			}
			if c := status.Code(loser); c != codes.Aborted && c != codes.FailedPrecondition {
				t.Fatalf("pair %d: the loser got %v, want ABORTED or FAILED_PRECONDITION", i, loser)
			}
			got := h.get("admin", tasks[i].GetId())
			decisions := 0
			for _, e := range got.GetHistory() {
				if e.GetEvent() == "approved" || e.GetEvent() == "declined" {
					decisions++
				}
			}
			if got.GetStatus() != wantStatus || decisions != 1 {
				t.Fatalf("pair %d: task %v with %d decisions in its history, want %v with 1", i, got.GetStatus(), decisions, wantStatus)
			}
		}
		// Exactly one outcome event per task, saying what the winner decided.
		evs := h.eventsOf("request", racePairs, func(e *eventsv1.Event) bool { return strings.HasPrefix(e.GetRequestId(), "race-") })
		perTask := map[string]int{}
		for _, e := range evs {
			perTask[e.GetTaskId()]++
			d := data(t, e)
			if (d.Decision == "APPROVE") != (d.StepOutcome == "PASSED") || (d.Decision == "DECLINE") != (d.StepOutcome == "FAILED") {
				t.Errorf("event %s: decision %s, outcome %s", e.GetAction(), d.Decision, d.StepOutcome)
			}
		}
		for _, task := range tasks {
			if perTask[task.GetId()] != 1 {
				t.Errorf("task %s: %d outcome events, want 1", task.GetId(), perTask[task.GetId()])
			}
		}
		t.Logf("%d approvals won, %d declines", approvals, racePairs-approvals)
	})
}

// TestConcurrentApprovalsSettleAStepOnce races the two approvals of each of 20 ALL steps:
// both succeed, and because every decision of a step holds the step's lock, exactly one of
// the two events reports the step PASSED (the other OPEN with one approval), never two OPEN.
func TestConcurrentApprovalsSettleAStepOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		const steps = 20
		var all [][]*taskv1.Task
		for i := range steps {
			all = append(all, h.open(step{request: fmt.Sprintf("all-race-%02d", i), approval: typev1.Approval_ALL, assignees: []string{"otto", "vera"}}))
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 2*steps)
		for _, ts := range all {
			for j, person := range []string{"otto", "vera"} {
				wg.Go(func() {
					<-start
					if _, err := h.approve(person, ts[j].GetId()); err != nil {
						errs <- err
					}
				})
			}
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("approval: %v", err)
		}
		for i, ts := range all {
			passed, open := 0, 0
			for _, task := range ts {
				_, d := h.outcomeOf(task.GetId())
				switch {
				case d.StepOutcome == "PASSED" && d.StepApprovals == 2:
					passed++
				case d.StepOutcome == "OPEN" && d.StepApprovals == 1:
					open++
				default:
					t.Errorf("step %d: event %+v", i, d)
				}
			}
			if passed != 1 || open != 1 {
				t.Errorf("step %d: %d PASSED and %d OPEN events, want 1 and 1", i, passed, open)
			}
		}
	})
}

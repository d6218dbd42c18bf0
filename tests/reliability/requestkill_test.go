package reliability_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

// TestRequestServiceKilledWhileTasksAreDecided: the hand-off from task to request is
// lossless. Requests stand at each of their three steps; the request service is killed with
// kill -9, and meanwhile people approve or complete every request's current task through the
// task service. Those calls succeed: the request service is not on their path, their outcomes
// wait in task's outbox. Nothing moves while request is down. Request is started again and
// every request advances by exactly one step. Three rounds of this carry every request to
// DONE, every decision taken while the request service was dead; its whole trail is in audit.
func TestRequestServiceKilledWhileTasksAreDecided(t *testing.T) {
	began := time.Now()
	const (
		requesters, apps = 6, 5
		perStage         = 10 // requests standing at each of the three steps at the first kill
		advanceTimeout   = 30 * time.Second
	)
	c := newCluster(t, requesters, apps)
	o := c.org
	n := 3 * perStage
	lcs := make([]*lifecycle, n)
	// Each request is submitted, then moved to its starting step: perStage stand at the
	// manager's review, perStage at the owner's, perStage at the action.
	parallel(t, n, func(i int) error {
		lc, _, err := c.submit(i, "kill test")
		lcs[i] = lc
		if err != nil {
			return err
		}
		for step := range i / perStage {
			tk, err := c.pendingTask(lc, int32(step), advanceTimeout)
			if err != nil {
				return err
			}
			if err := c.decide(lc, tk); err != nil {
				return err
			}
		}
		return nil
	})

	type roundFigures struct {
		decided, waiting int64
		recovery         time.Duration
	}
	var rounds []roundFigures
	for round := 0; len(rounds) < 3; round++ {
		// Every open request shows its current task.
		current := make([]*taskv1.Task, n)
		parallel(t, n, func(i int) error {
			if i/perStage+round > 2 { // already DONE
				return nil
			}
			var err error
			current[i], err = c.pendingTask(lcs[i], int32(i/perStage+round), advanceTimeout)
			return err
		})
		before := c.snapshot()

		c.procs["request"].Kill9()
		var decided int64
		var mu sync.Mutex
		parallel(t, n, func(i int) error {
			if current[i] == nil {
				return nil
			}
			if err := c.decide(lcs[i], current[i]); err != nil {
				return fmt.Errorf("with the request service down: %w", err)
			}
			mu.Lock()
			decided++
			mu.Unlock()
			return nil
		})
		// The outcomes wait in task's outbox; nothing moved.
		waiting := c.scalar("SELECT count(*) FROM task.outbox WHERE sink = 'request'")
		if waiting < decided {
			t.Errorf("round %d: %d decisions taken with request down, but only %d events wait in task's outbox for request", round+1, decided, waiting)
		}
		if _, err := c.requests.GetRequest(c.as(o.admin.key), &requestv1.GetRequestRequest{Id: lcs[0].id()}); status.Code(err) != codes.Unavailable {
			t.Errorf("round %d: GetRequest with the request service down: %v, want UNAVAILABLE", round+1, err)
		}
		during := c.snapshot()
		for _, lc := range lcs {
			b, d := before.requests[lc.clientID], during.requests[lc.clientID]
			if b.Status != d.Status || b.StepIndex != d.StepIndex {
				t.Errorf("round %d: request %s moved from %s/%d to %s/%d while the request service was down", round+1, b.ID, b.Status, b.StepIndex, d.Status, d.StepIndex)
			}
		}

		restarted := time.Now()
		c.procs["request"].Start()
		c.waitServing("request")
		// Every decided request advances exactly one step: to the next step's task, or DONE.
		c.poll(advanceTimeout, fmt.Sprintf("round %d: every decided request to advance", round+1), func() (bool, string) {
			s := c.snapshot()
			behind := 0
			for i, lc := range lcs {
				if current[i] == nil {
					continue
				}
				r := s.requests[lc.clientID]
				want := i/perStage + round + 1
				if (want == 3 && r.Status != "DONE") || (want < 3 && (r.StepIndex != want || !r.StepOpened)) {
					behind++
				}
			}
			return behind == 0, fmt.Sprintf("%d of %d requests have not advanced", behind, decided)
		})
		rounds = append(rounds, roundFigures{decided: decided, waiting: waiting, recovery: time.Since(restarted)})
	}

	doneN, events := checkFinal(t, c, lcs)
	var figures string
	for i, r := range rounds {
		figures += fmt.Sprintf("round %d: %d decisions with request down (%d events waited in task's outbox), all advanced %s after the restart; ",
			i+1, r.decided, r.waiting, r.recovery.Round(time.Millisecond))
	}
	t.Logf("figures: %d requests, %d at each step at the first kill; %d kill -9 of request; %s%d requests DONE, %d audit events; test took %s",
		n, perStage, len(rounds), figures, doneN, events, time.Since(began).Round(time.Millisecond))
}

// submit submits the request of lifecycle i: its pair's requester asks for read on the
// pair's app, under a fresh client id.
func (c *cluster) submit(i int, reason string) (*lifecycle, *requestv1.Request, error) {
	lc := &lifecycle{i: i, pair: c.org.pair(i), clientID: uuid.NewString()}
	r, err := c.requests.SubmitRequest(c.as(lc.pair.requester.key), &requestv1.SubmitRequestRequest{
		RequestId: lc.clientID, Type: typev1.RequestType_GRANT_ACCESS, AppId: lc.pair.app, Permission: "read", Reason: reason,
	})
	if err != nil {
		return lc, nil, fmt.Errorf("submit %d: %w", i, err)
	}
	lc.requestID.Store(r.GetId())
	return lc, r, nil
}

// pendingTask waits until the request of lc has a pending task at step, watching the
// inbox of that step's assignee (WatchTasks, narrowed to the request: first the watch,
// then the list, so that the task comes in one or the other), bounded by timeout.
func (c *cluster) pendingTask(lc *lifecycle, step int32, timeout time.Duration) (*taskv1.Task, error) {
	who := c.assignee(lc, step)
	ctx, cancel := context.WithTimeout(c.as(who.key), timeout)
	defer cancel()
	watch, err := c.tasks.WatchTasks(ctx, &taskv1.WatchTasksRequest{RequestId: lc.id()})
	if err == nil {
		_, err = watch.Recv() // the cursor: the watch stands from now
	}
	if err != nil {
		return nil, fmt.Errorf("request %s: watch %s's inbox: %w", lc.id(), who.name, err)
	}
	res, err := c.tasks.ListTasks(ctx, &taskv1.ListTasksRequest{RequestId: lc.id(), Status: taskv1.Task_PENDING})
	if err != nil {
		return nil, fmt.Errorf("request %s: list its tasks: %w", lc.id(), err)
	}
	pending := func(tk *taskv1.Task) bool { return tk.GetStepIndex() == step && tk.GetStatus() == taskv1.Task_PENDING }
	for _, tk := range res.GetTasks() {
		if pending(tk) {
			return tk, nil
		}
	}
	for {
		change, err := watch.Recv()
		if err != nil {
			if aerr := c.alive(); aerr != nil {
				err = aerr
			}
			return nil, fmt.Errorf("request %s: no pending task at step %d for %s (pending: %v): %w", lc.id(), step, who.name, res.GetTasks(), err)
		}
		if tk := change.GetTask(); tk != nil && pending(tk) {
			return tk, nil
		}
	}
}

// assignee is who holds the task of lc's request at step: the manager the review of step
// 0, the app's owner the later review and the action.
func (c *cluster) assignee(lc *lifecycle, step int32) *person {
	if step == 0 {
		return c.org.mgr
	}
	return lc.pair.owner
}

// decide approves a review task as its assignee (the manager, or the owner) or completes
// the action task as the owner.
func (c *cluster) decide(lc *lifecycle, tk *taskv1.Task) error {
	who := c.assignee(lc, tk.GetStepIndex())
	var err error
	if tk.GetType() == taskv1.Task_ACTION {
		_, err = c.tasks.CompleteTask(c.as(who.key), &taskv1.CompleteTaskRequest{Id: tk.GetId(), Note: "done"})
	} else {
		_, err = c.tasks.ApproveTask(c.as(who.key), &taskv1.ApproveTaskRequest{Id: tk.GetId(), Justification: "ok"})
	}
	if err != nil {
		return fmt.Errorf("request %s: %s decides task %s of step %d: %w", lc.id(), who.name, tk.GetId(), tk.GetStepIndex(), err)
	}
	return nil
}

// parallel runs fn(0..n-1), a few at a time, and fails the test with every error.
func parallel(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	sem := make(chan struct{}, 8)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = fn(i)
		})
	}
	wg.Wait()
	if failed := reportErrors(t, errs); failed > 0 {
		t.Fatalf("%d of %d failed", failed, n)
	}
}

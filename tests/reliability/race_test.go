package reliability_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
)

// TestApproveDeclineRaces: on PostgreSQL, 1,000 requests each wait for their manager's
// review; for every one of them the manager approves while an admin declines the same task,
// all 2,000 calls released at once. Exactly one decision wins each task: one call succeeds,
// the other gets ABORTED or FAILED_PRECONDITION; the task holds exactly that decision, once
// in its history; and each request agrees with its task: DECLINED if and only if the decline
// won, else on to the owner's review.
func TestApproveDeclineRaces(t *testing.T) {
	began := time.Now()
	const (
		requesters, apps = 40, 25
		n                = 1000 // requests, races
	)
	c := newCluster(t, requesters, apps)
	o := c.org

	seedBegan := time.Now()
	lcs := make([]*lifecycle, n)
	first := make([]string, n) // the manager's task of each request
	parallel(t, n, func(i int) error {
		lc, r, err := c.submit(i, "race")
		lcs[i] = lc
		if err != nil {
			return err
		}
		if len(r.GetTaskIds()) == 1 { // submit opened the first step inline
			first[i] = r.GetTaskIds()[0]
			return nil
		}
		tk, err := c.pendingTask(lc, 0, progressTimeout)
		if err != nil {
			return err
		}
		first[i] = tk.GetId()
		return nil
	})
	seeding := time.Since(seedBegan)

	// The races: every call released at once.
	type result struct{ approve, decline error }
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, results[i].approve = c.tasks.ApproveTask(c.as(o.mgr.key), &taskv1.ApproveTaskRequest{Id: first[i], Justification: "race"})
		})
		wg.Go(func() {
			<-start
			_, results[i].decline = c.tasks.DeclineTask(c.as(o.admin.key), &taskv1.DeclineTaskRequest{Id: first[i], Justification: "race"})
		})
	}
	raceBegan := time.Now()
	close(start)
	wg.Wait()
	raceTime := time.Since(raceBegan)

	rep := newReporter(t)
	lostCodes := map[codes.Code]int{}
	approved, declined := map[string]bool{}, map[string]bool{}
	lost := func(err error) bool {
		code := status.Code(err)
		if code == codes.Aborted || code == codes.FailedPrecondition {
			lostCodes[code]++
			return true
		}
		return false
	}
	for i, r := range results {
		switch {
		case r.approve == nil && lost(r.decline):
			approved[lcs[i].id()] = true
		case r.decline == nil && lost(r.approve):
			declined[lcs[i].id()] = true
		default:
			rep.errorf("not exactly one winner", "task %s: approve %v, decline %v; want exactly one success, the other ABORTED or FAILED_PRECONDITION", first[i], r.approve, r.decline)
		}
	}

	// Each task holds the winner's decision, once in its history.
	historyRows, err := c.db.Query(t.Context(), `SELECT t.id, t.request_id, t.status, t.decision, t.decided_by,
			(SELECT count(*) FROM jsonb_array_elements(t.history) h WHERE h->>'event' IN ('approved', 'declined'))
		FROM task.tasks t WHERE t.step_index = 0`)
	if err != nil {
		t.Fatal(err)
	}
	var id, reqID, st, decision, decidedBy string
	var decisions int64
	checked := 0
	for historyRows.Next() {
		if err := historyRows.Scan(&id, &reqID, &st, &decision, &decidedBy, &decisions); err != nil {
			t.Fatal(err)
		}
		checked++
		switch {
		case approved[reqID] && (st != "DONE" || decision != "APPROVE" || decidedBy != o.mgr.id):
			rep.errorf("a task disagrees with the winner", "task %s: the approval won, the task is %s/%s by %s", id, st, decision, decidedBy)
		case declined[reqID] && (st != "DECLINED" || decision != "DECLINE" || decidedBy != o.admin.id):
			rep.errorf("a task disagrees with the winner", "task %s: the decline won, the task is %s/%s by %s", id, st, decision, decidedBy)
		}
		if decisions != 1 {
			rep.errorf("a task's history holds several decisions", "task %s: %d decisions in its history, want 1", id, decisions)
		}
	}
	if err := historyRows.Err(); err != nil {
		t.Fatal(err)
	}
	if checked != n {
		t.Errorf("%d first-step tasks stored for %d requests", checked, n)
	}

	if t.Failed() {
		rep.summary()
		t.FailNow() // the requests cannot agree with races that had no single winner
	}

	// Each request agrees with its task: DECLINED iff the decline won, else at the owner's
	// review with its task pending. The outcomes travel through task's outbox.
	agreeBegan := time.Now()
	c.poll(time.Minute, "every request to follow its task's decision", func() (bool, string) {
		nDeclined := c.scalar("SELECT count(*) FROM request.requests WHERE status = 'DECLINED'")
		nMoved := c.scalar("SELECT count(*) FROM request.requests WHERE status = 'IN_PROGRESS' AND step_index = 1 AND step_opened")
		// The request records a step's opening before the task service makes its tasks (the
		// opening's work item asks for them): wait for those too.
		nOwners := c.scalar("SELECT count(*) FROM task.tasks WHERE step_index = 1")
		return nDeclined == int64(len(declined)) && nMoved == int64(len(approved)) && nOwners == int64(len(approved)),
			fmt.Sprintf("%d DECLINED, %d at the owner's review with %d owner's tasks; the races had %d declines and %d approvals win", nDeclined, nMoved, nOwners, len(declined), len(approved))
	})
	s := c.snapshot()
	for _, lc := range lcs {
		r := s.requests[lc.clientID]
		if !(declined[r.ID] && r.Status == "DECLINED") && !(approved[r.ID] && r.Status == "IN_PROGRESS" && r.StepIndex == 1 && r.StepOpened) {
			rep.errorf("a request disagrees with its task", "request %s: %s at step %d, the approval won: %v", r.ID, r.Status, r.StepIndex, approved[r.ID])
		}
	}
	agree := time.Since(agreeBegan)
	for _, lc := range lcs {
		r := s.requests[lc.clientID]
		tasks := s.tasks[r.ID]
		switch {
		case declined[r.ID] && len(tasks) != 1:
			rep.errorf("a declined request opened a later step", "request %s (DECLINED): tasks %+v, want only the declined one", r.ID, tasks)
		case approved[r.ID] && (len(tasks) != 2 || tasks[1].StepIndex != 1 || tasks[1].Status != "PENDING"):
			rep.errorf("an approved request has no pending owner's task", "request %s: tasks %+v, want the approved one and the owner's pending", r.ID, tasks)
		}
	}
	// And the API says the same.
	apiDeclined, apiOpen := c.countRequests(requestv1.Request_DECLINED), c.countRequests(requestv1.Request_IN_PROGRESS)
	if apiDeclined != len(declined) || apiOpen != len(approved) {
		t.Errorf("the request log lists %d DECLINED and %d IN_PROGRESS requests; the races had %d declines and %d approvals win",
			apiDeclined, apiOpen, len(declined), len(approved))
	}
	rep.summary()
	t.Logf("figures: %d requests seeded in %s; %d approve/decline pairs (%d calls) released at once, done in %s: approvals won %d, declines won %d; "+
		"losers: ABORTED %d, FAILED_PRECONDITION %d; every task holds one decision; every request agreed with its task %s later; test took %s",
		n, seeding.Round(time.Millisecond), n, 2*n, raceTime.Round(time.Millisecond), len(approved), len(declined),
		lostCodes[codes.Aborted], lostCodes[codes.FailedPrecondition], agree.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

// countRequests counts the requests in status through the request log (as the admin).
func (c *cluster) countRequests(st requestv1.Request_Status) int {
	c.t.Helper()
	n, token := 0, ""
	for {
		res, err := c.requests.ListRequests(c.as(c.org.admin.key), &requestv1.ListRequestsRequest{Status: st, PageSize: 500, PageToken: token})
		if err != nil {
			c.t.Fatal(err)
		}
		n += len(res.GetRequests())
		if token = res.GetNextPageToken(); token == "" {
			return n
		}
	}
}

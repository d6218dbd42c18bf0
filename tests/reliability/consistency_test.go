package reliability_test

// What the services stored, read straight from their schemas (read-only), to check the
// state the APIs report against the state underneath, and the audit log against both.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// drainTimeout bounds how long the outboxes may take to empty once the load has stopped.
const drainTimeout = 30 * time.Second

type dbRequest struct {
	ID, ClientID, Status, Stage string
	RequesterID, AppID          string
	StepIndex                   int
	StepOpened, Applying        bool
	TaskIDs                     []string
}

type dbTask struct {
	ID, RequestID, Type, Status, Decision, DecidedBy string
	StepIndex                                        int
}

type dbAccess struct {
	Permission, RequestID string
}

// snapshot is the stored state of every request, task and access.
type snapshot struct {
	requests map[string]dbRequest   // by client id ("" ids are not expected in these tests)
	byID     map[string]dbRequest   // by request id
	tasks    map[string][]dbTask    // by request id, in (step, id) order
	steps    map[string][]string    // request id -> outcome per step index
	accesses map[[2]string]dbAccess // (user, app) -> access
}

func (c *cluster) snapshot() *snapshot {
	c.t.Helper()
	ctx := c.t.Context()
	s := &snapshot{requests: map[string]dbRequest{}, byID: map[string]dbRequest{}, tasks: map[string][]dbTask{},
		steps: map[string][]string{}, accesses: map[[2]string]dbAccess{}}
	rows, err := c.db.Query(ctx, `SELECT id, coalesce(client_id, ''), status, stage, requester_id, app_id, step_index, step_opened, applying, task_ids
		FROM request.requests`)
	if err != nil {
		c.t.Fatal(err)
	}
	reqs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[dbRequest])
	if err != nil {
		c.t.Fatal(err)
	}
	for _, r := range reqs {
		s.requests[r.ClientID] = r
		s.byID[r.ID] = r
	}
	rows, err = c.db.Query(ctx, `SELECT id, request_id, type, status, decision, decided_by, step_index
		FROM task.tasks WHERE request_id IS NOT NULL ORDER BY request_id, step_index, id`)
	if err != nil {
		c.t.Fatal(err)
	}
	tasks, err := pgx.CollectRows(rows, pgx.RowToStructByPos[dbTask])
	if err != nil {
		c.t.Fatal(err)
	}
	for _, tk := range tasks {
		s.tasks[tk.RequestID] = append(s.tasks[tk.RequestID], tk)
	}
	rows, err = c.db.Query(ctx, `SELECT request_id, outcome FROM task.steps ORDER BY request_id, step_index`)
	if err != nil {
		c.t.Fatal(err)
	}
	var reqID, outcome string
	if _, err := pgx.ForEachRow(rows, []any{&reqID, &outcome}, func() error {
		s.steps[reqID] = append(s.steps[reqID], outcome)
		return nil
	}); err != nil {
		c.t.Fatal(err)
	}
	rows, err = c.db.Query(ctx, `SELECT user_id, app_id, permission, coalesce(request_id, '') FROM identity.accesses`)
	if err != nil {
		c.t.Fatal(err)
	}
	var user, app, perm, by string
	if _, err := pgx.ForEachRow(rows, []any{&user, &app, &perm, &by}, func() error {
		s.accesses[[2]string{user, app}] = dbAccess{Permission: perm, RequestID: by}
		return nil
	}); err != nil {
		c.t.Fatal(err)
	}
	return s
}

// checkLifecycles checks the stored state of the load's requests. Every request must be
// whole: DONE with its three tasks done, its three steps passed and its access granted by it;
// or, unless final, IN_PROGRESS with the tasks of its earlier steps done, exactly one task
// PENDING at its current step (so someone can move it on) and no access yet. No request may
// exist that the load did not submit, nor two for one client id.
func checkLifecycles(t errorReporter, s *snapshot, lcs []*lifecycle, final bool) (done, inProgress int) {
	t.Helper()
	rep := newReporter(t)
	defer rep.summary()
	known := map[string]bool{}
	for _, lc := range lcs {
		known[lc.clientID] = true
		r, ok := s.requests[lc.clientID]
		if !ok {
			if final || lc.id() != "" {
				rep.errorf("a submitted request is not stored", "lifecycle %d (client id %s, request %q): no request stored", lc.i, lc.clientID, lc.id())
			}
			continue
		}
		if lc.id() != "" && lc.id() != r.ID {
			rep.errorf("a client id names two requests", "lifecycle %d: submit answered request %s, the store holds %s for client id %s", lc.i, lc.id(), r.ID, lc.clientID)
		}
		if r.RequesterID != lc.pair.requester.id || r.AppID != lc.pair.app {
			rep.errorf("a request holds another body", "request %s: requester %s app %s, want %s %s", r.ID, r.RequesterID, r.AppID, lc.pair.requester.id, lc.pair.app)
		}
		tasks := s.tasks[r.ID]
		ids := make([]string, len(tasks))
		for i, tk := range tasks {
			ids[i] = tk.ID
		}
		if got := slices.Sorted(slices.Values(r.TaskIDs)); !slices.Equal(got, slices.Sorted(slices.Values(ids))) {
			rep.errorf("a request's task ids differ from its tasks", "request %s lists tasks %v, the task service holds %v", r.ID, r.TaskIDs, ids)
		}
		access, granted := s.accesses[[2]string{lc.pair.requester.id, lc.pair.app}]
		switch {
		case r.Status == "DONE":
			done++
			if r.Stage != "CLOSED" {
				rep.errorf("a DONE request is not CLOSED", "request %s: DONE at stage %s", r.ID, r.Stage)
			}
			if problem := wholeSteps(tasks, s.steps[r.ID], 3); problem != "" {
				rep.errorf("a DONE request's tasks are not whole", "request %s (DONE): %s", r.ID, problem)
			}
			if !granted || access.Permission != "read" || access.RequestID != r.ID {
				rep.errorf("a DONE request has no access", "request %s (DONE): access %+v (granted %v)", r.ID, access, granted)
			}
		case r.Status == "IN_PROGRESS" && !final:
			inProgress++
			if !r.StepOpened {
				rep.errorf("a request waits with its step not opened", "request %s: step %d not opened, though every outbox is empty", r.ID, r.StepIndex)
			}
			if problem := wholeSteps(tasks, s.steps[r.ID], r.StepIndex); problem != "" {
				rep.errorf("an open request's earlier tasks are not whole", "request %s (IN_PROGRESS at step %d): %s", r.ID, r.StepIndex, problem)
			}
			var current []dbTask
			for _, tk := range tasks {
				if tk.StepIndex == r.StepIndex {
					current = append(current, tk)
				} else if tk.StepIndex > r.StepIndex {
					rep.errorf("a later step opened early", "request %s at step %d has task %s of step %d", r.ID, r.StepIndex, tk.ID, tk.StepIndex)
				}
			}
			if len(current) != 1 || current[0].Status != "PENDING" {
				rep.errorf("an open request has no pending task", "request %s (IN_PROGRESS at step %d, applying %v): tasks of the step %+v, want one PENDING",
					r.ID, r.StepIndex, r.Applying, current)
			}
			if granted {
				rep.errorf("an open request's access exists", "request %s (IN_PROGRESS): the access %+v exists already", r.ID, access)
			}
		default:
			rep.errorf("a request is neither DONE nor waiting for someone", "request %s: %s at stage %s step %d (opened %v, applying %v), tasks %+v",
				r.ID, r.Status, r.Stage, r.StepIndex, r.StepOpened, r.Applying, tasks)
		}
	}
	for clientID, r := range s.requests {
		if !known[clientID] {
			rep.errorf("a request nobody submitted exists", "request %s (client id %q) was stored but never submitted by the load", r.ID, clientID)
		}
	}
	return done, inProgress
}

// wholeSteps checks that steps 0..n-1 of a request each have exactly one task, DONE (the
// review ones approved), and a PASSED step.
func wholeSteps(tasks []dbTask, outcomes []string, n int) string {
	var problems []string
	for step := range n {
		var of []dbTask
		for _, tk := range tasks {
			if tk.StepIndex == step {
				of = append(of, tk)
			}
		}
		if len(of) != 1 || of[0].Status != "DONE" || (of[0].Type == "REVIEW" && of[0].Decision != "APPROVE") {
			problems = append(problems, fmt.Sprintf("step %d: tasks %+v, want one DONE", step, of))
		}
		if step >= len(outcomes) || outcomes[step] != "PASSED" {
			problems = append(problems, fmt.Sprintf("step %d: outcomes %v, want PASSED", step, outcomes))
		}
	}
	if n == 3 && len(tasks) != 3 {
		problems = append(problems, fmt.Sprintf("%d tasks, want 3", len(tasks)))
	}
	return strings.Join(problems, "; ")
}

// pendingEvents counts the events still waiting in the services' outboxes, per
// "schema/sink".
func (c *cluster) pendingEvents() (map[string]int64, int64) {
	c.t.Helper()
	out := map[string]int64{}
	var total int64
	for _, schema := range []string{"identity", "policy", "task", "request"} {
		rows, err := c.db.Query(c.t.Context(), "SELECT sink, count(*) FROM "+schema+".outbox GROUP BY sink")
		if err != nil {
			c.t.Fatal(err)
		}
		var sink string
		var n int64
		if _, err := pgx.ForEachRow(rows, []any{&sink, &n}, func() error {
			out[schema+"/"+sink] = n
			total += n
			return nil
		}); err != nil {
			c.t.Fatal(err)
		}
	}
	return out, total
}

// waitDrained waits until every outbox is empty: every event has reached audit and every
// hand-off (task outcomes to request, request's own work queue) has been carried out.
func (c *cluster) waitDrained() time.Duration {
	c.t.Helper()
	began := time.Now()
	c.poll(drainTimeout, "every outbox to drain", func() (bool, string) {
		byName, total := c.pendingEvents()
		return total == 0, fmt.Sprint(byName)
	})
	return time.Since(began)
}

// auditActions returns the actions audit holds per subject, in log order, and checks that
// the log's seqs have no gap.
func (c *cluster) auditActions() map[string][]string {
	c.t.Helper()
	rows, err := c.db.Query(c.t.Context(), "SELECT seq, subject, action FROM audit.events ORDER BY seq")
	if err != nil {
		c.t.Fatal(err)
	}
	out := map[string][]string{}
	var seq, want int64
	var subject, action string
	if _, err := pgx.ForEachRow(rows, []any{&seq, &subject, &action}, func() error {
		want++
		if seq != want {
			return fmt.Errorf("audit seq %d at position %d: the log has a gap", seq, want)
		}
		out[subject] = append(out[subject], action)
		return nil
	}); err != nil {
		c.t.Fatal(err)
	}
	return out
}

// lifecycleActions is what audit must hold about a request that went from submit to DONE.
var lifecycleActions = []string{"request.created", "request.step_opened", "request.step_passed", "request.step_opened",
	"request.step_passed", "request.step_opened", "request.action_completed", "request.done"}

// checkAudit waits for every outbox to drain, then checks that audit holds, exactly once
// and in order, every event of each DONE request and of each of its tasks.
func checkAudit(t *testing.T, c *cluster, s *snapshot, lcs []*lifecycle) (events int) {
	t.Helper()
	c.waitDrained()
	bySubject := c.auditActions()
	rep := newReporter(t)
	defer rep.summary()
	for _, lc := range lcs {
		r, ok := s.requests[lc.clientID]
		if !ok || r.Status != "DONE" {
			continue
		}
		if got := bySubject["requests/"+r.ID]; !slices.Equal(got, lifecycleActions) {
			rep.errorf("a request's audit trail is wrong", "request %s: audit holds %v, want %v", r.ID, got, lifecycleActions)
		}
		for _, tk := range s.tasks[r.ID] {
			want := []string{"task.created", "task.approved"}
			if tk.Type == "ACTION" {
				want = []string{"task.created", "task.completed"}
			}
			if got := bySubject["tasks/"+tk.ID]; !slices.Equal(got, want) {
				rep.errorf("a task's audit trail is wrong", "task %s (request %s step %d): audit holds %v, want %v", tk.ID, r.ID, tk.StepIndex, got, want)
			}
		}
	}
	for _, actions := range bySubject {
		events += len(actions)
	}
	return events
}

// checkFinal checks, once every lifecycle of lcs should be DONE, each one in the store
// (checkLifecycles) and in audit (checkAudit, which waits for every outbox to drain); it
// returns how many requests the store holds DONE and how many events audit holds.
func checkFinal(t *testing.T, c *cluster, lcs []*lifecycle) (done, events int) {
	t.Helper()
	s := c.snapshot()
	done, _ = checkLifecycles(t, s, lcs, true)
	return done, checkAudit(t, c, s, lcs)
}

// errorReporter is the part of testing.T the checks report through.
type errorReporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// reporter reports the first maxReports errors of each kind, then how many there were.
type reporter struct {
	t errorReporter
	n map[string]int
}

func newReporter(t errorReporter) *reporter { return &reporter{t: t, n: map[string]int{}} }

// errorf reports "kind: message".
func (r *reporter) errorf(kind, format string, args ...any) {
	r.t.Helper()
	if r.n[kind]++; r.n[kind] <= maxReports {
		r.t.Errorf("%s: %s", kind, fmt.Sprintf(format, args...))
	}
}

func (r *reporter) summary() {
	r.t.Helper()
	for kind, n := range r.n {
		if n > maxReports {
			r.t.Errorf("%d times in all: %s", n, kind)
		}
	}
}

// reportErrors fails t with each of the first maxReports errors of errs (nil: none), and
// returns how many there are.
func reportErrors(t *testing.T, errs []error) (failed int) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			if failed++; failed <= maxReports {
				t.Error(err)
			}
		}
	}
	return failed
}

// scalar runs a query returning one int64.
func (c *cluster) scalar(q string, args ...any) int64 {
	c.t.Helper()
	var n int64
	ctx, cancel := context.WithTimeout(c.t.Context(), 30*time.Second)
	defer cancel()
	if err := c.db.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		c.t.Fatalf("%s: %v", q, err)
	}
	return n
}

package reliability_test

import (
	"context"
	"fmt"
	mathrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

// TestRetriedCallsHaveOneEffect: a client that does not know whether its call took effect
// sends it again, maybe several times at once. Every mutating call that carries a client
// id has exactly one effect however often, and however concurrently, it is retried:
//
//   - SubmitRequest's request_id (public): 20 goroutines x 50 ids, every call answered with
//     the same request, and exactly one request and one first-step task per id, one
//     request.created in audit. The same id with another body (another reason, permission
//     or requester) is ALREADY_EXISTS; a fresh id raced with 20 different bodies is taken
//     by exactly one of them.
//   - The internal calls the request service retries from its work queue (20 goroutines x
//     20 ids each): task's OpenStep (request_id, step_index) and CreateStandaloneTask (key),
//     identity's ApplyAccessChange and AddApp (request_id).
func TestRetriedCallsHaveOneEffect(t *testing.T) {
	began := time.Now()
	const (
		goroutines       = 20
		ids              = 50
		internalIDs      = 20
		requesters, apps = 10, 7 // 70 pairs: 50 for submits, 20 for ApplyAccessChange
	)
	c := newCluster(t, requesters, apps)
	o := c.org

	// --- SubmitRequest, the same 50 ids from 20 goroutines at once ---
	clientIDs := make([]string, ids)
	for i := range clientIDs {
		clientIDs[i] = uuid.NewString()
	}
	submit := func(i int, by *person, permission, reason string) (*requestv1.Request, error) {
		p := o.pair(i)
		return c.requests.SubmitRequest(c.as(by.key), &requestv1.SubmitRequestRequest{
			RequestId: clientIDs[i], Type: typev1.RequestType_GRANT_ACCESS, AppId: p.app, Permission: permission, Reason: reason,
		})
	}
	answers := make([][]string, ids) // id -> request ids answered
	var mu sync.Mutex
	callsBegan := time.Now()
	if failed := runConcurrently(t, goroutines, func(g int) error {
		for _, i := range mathrand.Perm(ids) {
			r, err := submit(i, o.pair(i).requester, "read", "retried")
			if err != nil {
				return fmt.Errorf("goroutine %d: submit id %d: %w", g, i, err)
			}
			mu.Lock()
			answers[i] = append(answers[i], r.GetId())
			mu.Unlock()
		}
		return nil
	}); failed > 0 {
		t.FailNow()
	}
	submitTime := time.Since(callsBegan)
	rep := newReporter(t)
	defer rep.summary()
	lcs := make([]*lifecycle, ids)
	for i, got := range answers {
		if named := len(slices.Compact(slices.Sorted(slices.Values(got)))); named != 1 || len(got) != goroutines {
			rep.errorf("retries answered with several requests", "id %d: %d answers naming %d requests, want %d answers naming one", i, len(got), named, goroutines)
		}
		lcs[i] = &lifecycle{i: i, pair: o.pair(i), clientID: clientIDs[i]}
		lcs[i].requestID.Store(got[0])
	}
	c.waitDrained()
	s := c.snapshot()
	if len(s.requests) != ids {
		t.Errorf("%d requests stored for %d client ids", len(s.requests), ids)
	}
	audit := c.auditActions()
	for _, lc := range lcs {
		r, ok := s.requests[lc.clientID]
		if !ok {
			rep.errorf("no request stored", "id %d: no request stored", lc.i)
			continue
		}
		if r.ID != lc.id() {
			rep.errorf("answered another request than stored", "id %d: answered request %s, stored %s", lc.i, lc.id(), r.ID)
		}
		if tasks := s.tasks[r.ID]; len(tasks) != 1 || tasks[0].StepIndex != 0 || tasks[0].Status != "PENDING" || len(s.steps[r.ID]) != 1 {
			rep.errorf("not one first-step task", "request %s: tasks %+v, steps %v; want one pending task of step 0", r.ID, tasks, s.steps[r.ID])
		}
		if got, want := audit["requests/"+r.ID], []string{"request.created", "request.step_opened"}; !slices.Equal(got, want) {
			rep.errorf("not one request.created", "request %s: audit holds %v, want %v", r.ID, got, want)
		}
	}

	// --- the same id with another body ---
	refused := 0
	for i := range ids {
		other := o.pair((i + 1) % ids).requester
		for _, try := range []struct {
			what string
			call func() (*requestv1.Request, error)
		}{
			{"another reason", func() (*requestv1.Request, error) { return submit(i, o.pair(i).requester, "read", "another reason") }},
			{"another permission", func() (*requestv1.Request, error) { return submit(i, o.pair(i).requester, "write", "retried") }},
			{"another requester", func() (*requestv1.Request, error) { return submit(i, other, "read", "retried") }},
		} {
			if _, err := try.call(); status.Code(err) != codes.AlreadyExists {
				rep.errorf("another body was not refused", "id %d with %s: %v, want ALREADY_EXISTS", i, try.what, err)
			} else {
				refused++
			}
		}
	}
	// A fresh id raced with different bodies: one takes it. (The pairs of ids 0..9 are
	// already asked for; their requesters ask for write on an app they do not hold yet
	// through their pending request, which submit allows.)
	const raced = 10
	racedWon := 0
	for k := range raced {
		id := uuid.NewString()
		p := o.pair(ids - raced + k) // a pair whose request is pending: its grant is not held
		var won, lost int
		var winner string
		_ = runConcurrently(t, goroutines, func(g int) error {
			r, err := c.requests.SubmitRequest(c.as(p.requester.key), &requestv1.SubmitRequestRequest{
				RequestId: id, Type: typev1.RequestType_GRANT_ACCESS, AppId: p.app, Permission: "write", Reason: fmt.Sprintf("body %d", g),
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
				winner = r.GetReason()
			case status.Code(err) == codes.AlreadyExists:
				lost++
			default:
				return fmt.Errorf("raced id %d, body %d: %w", k, g, err)
			}
			return nil
		})
		if won != 1 || lost != goroutines-1 {
			t.Errorf("fresh id %d raced with %d bodies: %d took it, %d ALREADY_EXISTS; want 1 and %d", k, goroutines, won, lost, goroutines-1)
		} else {
			racedWon++
		}
		if n := c.scalar("SELECT count(*) FROM request.requests WHERE client_id = $1", id); n != 1 {
			t.Errorf("fresh id %d: %d requests stored", k, n)
		}
		if r, err := c.requests.SubmitRequest(c.as(p.requester.key), &requestv1.SubmitRequestRequest{
			RequestId: id, Type: typev1.RequestType_GRANT_ACCESS, AppId: p.app, Permission: "write", Reason: winner,
		}); err != nil || r.GetReason() != winner {
			t.Errorf("fresh id %d: retrying the winner's body: %v %v", k, r.GetReason(), err)
		}
	}

	// --- the internal calls the request service retries ---
	internalCalls := c.internalRetries(t, goroutines, internalIDs, ids)

	t.Logf("figures: SubmitRequest: %d goroutines x %d ids = %d calls in %s, all answered, %d requests and %d first-step tasks stored; "+
		"%d resubmits with another body refused ALREADY_EXISTS; %d fresh ids each raced by %d bodies, each taken by exactly one; "+
		"internal retries: %s; test took %s",
		goroutines, ids, goroutines*ids, submitTime.Round(time.Millisecond), len(s.requests), len(s.tasks),
		refused, racedWon, goroutines, internalCalls, time.Since(began).Round(time.Millisecond))
}

// internalRetries calls each internal call with an idempotency key from goroutines at once,
// for n keys each, and checks that each key had one effect. firstPair is the first pair of
// the organization no request uses.
func (c *cluster) internalRetries(t *testing.T, goroutines, n, firstPair int) string {
	t.Helper()
	o := c.org
	// The internal clients mint a token of the system for a context without a caller.
	ctx := context.Background()
	type keyed struct {
		name   string
		call   func(k int) (string, error) // what the call answered: the same for every retry
		effect func(k int) string          // "" when key k had exactly one effect, else what it had
	}
	count := func(what string, q string, args ...any) string {
		if n := c.scalar(q, args...); n != 1 {
			return fmt.Sprintf("%d %s", n, what)
		}
		return ""
	}
	// Each call gets its own request ids: a request has one effect in identity (access or app).
	stepIDs, grantIDs, addIDs := make([]string, n), make([]string, n), make([]string, n)
	keys, appNames := make([]string, n), make([]string, n)
	for k := range n {
		stepIDs[k], grantIDs[k], addIDs[k] = uuid.NewString(), uuid.NewString(), uuid.NewString()
		keys[k], appNames[k] = "reliability/"+uuid.NewString(), "Retried app "+uuid.NewString()[:8]
	}
	calls := []keyed{
		{
			name: "OpenStep",
			call: func(k int) (string, error) {
				res, err := c.taskInternal.OpenStep(ctx, &taskv1.OpenStepRequest{
					RequestId: stepIDs[k], PolicyId: "reliability", PolicyVersion: 1, StepIndex: 0, StepName: "Manager approval",
					Type: taskv1.Task_REVIEW, Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_USERS, UserIds: []string{o.mgr.id}},
					Approval: typev1.Approval_ANY, AssigneeIds: []string{o.mgr.id}, RequesterId: o.requesters[0].id, Action: "retried",
				})
				if err != nil || len(res.GetTasks()) != 1 {
					return "", fmt.Errorf("OpenStep: %d tasks, %w", len(res.GetTasks()), err)
				}
				return res.GetTasks()[0].GetId(), nil
			},
			effect: func(k int) string {
				return count("tasks", "SELECT count(*) FROM task.tasks WHERE request_id = $1", stepIDs[k]) +
					count("steps", "SELECT count(*) FROM task.steps WHERE request_id = $1", stepIDs[k])
			},
		},
		{
			name: "CreateStandaloneTask",
			call: func(k int) (string, error) {
				tk, err := c.taskInternal.CreateStandaloneTask(ctx, &taskv1.CreateStandaloneTaskRequest{
					Key: keys[k], AssigneeIds: []string{o.requesters[k%len(o.requesters)].id}, Action: "retried",
				})
				return tk.GetId(), err
			},
			effect: func(k int) string {
				return count("tasks", "SELECT count(*) FROM task.tasks WHERE standalone_key = $1", keys[k])
			},
		},
		{
			name: "ApplyAccessChange",
			call: func(k int) (string, error) {
				p := o.pair(firstPair + k)
				res, err := c.identityInternal.ApplyAccessChange(ctx, &identityv1.ApplyAccessChangeRequest{
					RequestId: grantIDs[k], Change: identityv1.AccessChange_GRANT, UserId: p.requester.id, AppId: p.app, Permission: "write",
				})
				a := res.GetAccess()
				return a.GetUserId() + "/" + a.GetAppId() + "/" + a.GetPermission(), err
			},
			effect: func(k int) string {
				p := o.pair(firstPair + k)
				return count("accesses", "SELECT count(*) FROM identity.accesses WHERE user_id = $1 AND app_id = $2 AND permission = 'write' AND request_id = $3",
					p.requester.id, p.app, grantIDs[k])
			},
		},
		{
			name: "AddApp",
			call: func(k int) (string, error) {
				res, err := c.identityInternal.AddApp(ctx, &identityv1.AddAppRequest{
					RequestId: addIDs[k], Name: appNames[k], OwnerIds: []string{o.owners[0].id},
					Permissions: []*identityv1.Permission{{Name: "read"}},
				})
				return res.GetApp().GetId(), err
			},
			effect: func(k int) string {
				return count("apps", "SELECT count(*) FROM identity.apps WHERE name = $1", appNames[k])
			},
		},
	}
	var figures string
	for _, kc := range calls {
		answers := make([][]string, n)
		var mu sync.Mutex
		aborted := 0
		began := time.Now()
		if failed := runConcurrently(t, goroutines, func(g int) error {
			for _, k := range mathrand.Perm(n) {
				got, err := kc.call(k)
				// A duplicate that ran at the same moment as the first may lose the race
				// with ABORTED, which the request service's work queue retries: so does
				// the test, and the retry must then give the first call's answer.
				for try := 0; status.Code(err) == codes.Aborted && try < 10; try++ {
					mu.Lock()
					aborted++
					mu.Unlock()
					got, err = kc.call(k)
				}
				if err != nil {
					return fmt.Errorf("%s, goroutine %d, key %d: %w", kc.name, g, k, err)
				}
				mu.Lock()
				answers[k] = append(answers[k], got)
				mu.Unlock()
			}
			return nil
		}); failed > 0 {
			figures += fmt.Sprintf("%s FAILED (%d of %d goroutines); ", kc.name, failed, goroutines)
			continue // the other calls are still checked
		}
		for k := range n {
			if distinct := slices.Compact(slices.Sorted(slices.Values(answers[k]))); len(distinct) != 1 || distinct[0] == "" {
				t.Errorf("%s key %d: %d retries answered %v, want one same answer", kc.name, k, len(answers[k]), distinct)
			}
			if e := kc.effect(k); e != "" {
				t.Errorf("%s key %d: %s, want exactly one", kc.name, k, e)
			}
		}
		figures += fmt.Sprintf("%s: %d calls in %s (%d lost a race with ABORTED and were retried), %d effects; ",
			kc.name, goroutines*n, time.Since(began).Round(time.Millisecond), aborted, n)
	}
	return strings.TrimSuffix(figures, "; ")
}

// runConcurrently runs fn(0..n-1) at once (released together), reports every error (the
// first maxReports one by one) and returns how many goroutines failed.
func runConcurrently(t *testing.T, n int, fn func(g int) error) int {
	t.Helper()
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for g := range n {
		wg.Go(func() {
			<-start
			errs[g] = fn(g)
		})
	}
	close(start)
	wg.Wait()
	failed := reportErrors(t, errs)
	if failed > maxReports {
		t.Errorf("%d of %d goroutines failed in all", failed, n)
	}
	return failed
}

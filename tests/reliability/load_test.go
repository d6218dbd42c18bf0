package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/proctest"
)

const (
	// progressTimeout bounds each wait of a lifecycle for the system to move (the next task
	// to open, the request to close).
	progressTimeout = 30 * time.Second
	// retryBudget bounds how long one call is retried after failures.
	retryBudget = 30 * time.Second
	// retryEvery is the pause between two attempts of a failed call.
	retryEvery = 20 * time.Millisecond
	// maxReports caps the failures of one kind reported one by one.
	maxReports = 5
)

// load drives full request lifecycles from several goroutines, as the people of the
// organization would: the requester submits GRANT_ACCESS; the manager approves; the owner
// approves, then completes the action task; the request is DONE and the access exists.
//
// Every call is counted, per phase of the test and per status code. A failed call is tried
// again until it succeeds (SubmitRequest with the same request_id); failures whose code is not
// in allowed are reported as test errors. A decision whose earlier attempt failed but had in
// fact committed is recognized on the retry (FAILED_PRECONDITION, and the task shows the
// decision by the same person) and counted as ambiguous.
type load struct {
	t       *testing.T
	c       *cluster
	allowed map[codes.Code]bool
	// failFast gives up a call at its first disallowed failure (the lifecycle then fails
	// and the load stops); otherwise the call is retried like an allowed failure, so that
	// the test also sees what the failures left behind.
	failFast bool

	// gate is held for reading by every mutating call; pause takes it for writing, so that
	// while paused no mutation is in flight.
	gate sync.RWMutex

	phase     atomic.Int32
	phases    []string
	calls     []atomic.Int64 // successful or not, per phase
	succeeded atomic.Int64   // successful calls, all phases
	mutated   atomic.Int64   // successful mutating calls (submit, approve, complete), all phases
	done      atomic.Int64   // lifecycles that reached DONE

	mu        sync.Mutex
	codes     map[string]map[codes.Code]int // phase -> code -> failed calls
	reported  map[string]int                // kind -> reports
	kept      map[string][]string           // kind -> the first maxReports disallowed failures
	ambiguous int
	retried   int // calls that needed more than one attempt
	all       []*lifecycle

	wg        sync.WaitGroup
	active    atomic.Int64 // workers running
	stopped   atomic.Bool  // a lifecycle failed: the load ends
	finishing atomic.Bool  // no new lifecycle starts
}

// lifecycle is one request, driven by one worker.
type lifecycle struct {
	i         int
	pair      pair
	clientID  string
	requestID atomic.Value // string, once submitted
	took      time.Duration
}

func (lc *lifecycle) id() string {
	s, _ := lc.requestID.Load().(string)
	return s
}

func newLoad(t *testing.T, c *cluster, phases []string, allowed ...codes.Code) *load {
	l := &load{t: t, c: c, allowed: map[codes.Code]bool{}, phases: phases, calls: make([]atomic.Int64, len(phases)),
		codes: map[string]map[codes.Code]int{}, reported: map[string]int{}, kept: map[string][]string{}}
	for _, code := range allowed {
		l.allowed[code] = true
	}
	return l
}

// start starts workers goroutines that run lifecycles first, first+1, ... between them,
// at most limit of them, until finish is called.
func (l *load) start(workers, first, limit int) {
	var next atomic.Int64
	l.finishing.Store(false)
	l.active.Add(int64(workers))
	for range workers {
		l.wg.Go(func() {
			defer l.active.Add(-1)
			for !l.stopped.Load() && !l.finishing.Load() {
				i := int(next.Add(1)) - 1
				if i >= limit {
					return
				}
				lc := &lifecycle{i: first + i, pair: l.c.org.pair(first + i), clientID: uuid.NewString()}
				l.mu.Lock()
				l.all = append(l.all, lc)
				l.mu.Unlock()
				began := time.Now()
				if err := l.run(lc); err != nil {
					l.problem("a lifecycle did not finish", "lifecycle %d (request %s, client id %s): %v", lc.i, lc.id(), lc.clientID, err)
					l.stopped.Store(true) // the test has failed: end the load soon
					return
				}
				lc.took = time.Since(began)
				l.done.Add(1)
			}
		})
	}
}

// finish lets the running lifecycles end and starts no new one.
func (l *load) finish() { l.finishing.Store(true) }

// ended reports why the load can no longer make the progress a test waits for: it failed
// (stopped) or ran out of lifecycles.
func (l *load) ended() string {
	switch {
	case l.stopped.Load():
		return "the load stopped: see the errors above"
	case l.active.Load() == 0:
		return "the load ran out of lifecycles: the organization needs more requesters x apps"
	}
	return ""
}

// wait waits for the workers.
func (l *load) wait() { l.wg.Wait() }

// setPhase starts phase i: the calls from now on count for it.
func (l *load) setPhase(i int) { l.phase.Store(int32(i)) }

// pause waits until no mutating call is in flight and keeps new ones from starting; resume
// lets them go on.
func (l *load) pause()  { l.gate.Lock() }
func (l *load) resume() { l.gate.Unlock() }

// run drives one lifecycle to DONE.
func (l *load) run(lc *lifecycle) error {
	p, o := lc.pair, l.c.org
	var req *requestv1.Request
	err := l.call("SubmitRequest", true, func(ctx context.Context, _ int) (err error) {
		req, err = l.c.requests.SubmitRequest(asCtx(ctx, p.requester.key), &requestv1.SubmitRequestRequest{
			RequestId: lc.clientID, Type: typev1.RequestType_GRANT_ACCESS, AppId: p.app, Permission: "read",
			Reason: fmt.Sprintf("reliability lifecycle %d", lc.i),
		})
		return err
	})
	if err != nil {
		return err
	}
	lc.requestID.Store(req.GetId())
	steps := []struct {
		who      *person
		complete bool
	}{{o.mgr, false}, {p.owner, false}, {p.owner, true}}
	for step, s := range steps {
		task, err := l.waitTask(lc, s.who, int32(step))
		if err != nil {
			return err
		}
		if err := l.decide(task, s.who, s.complete); err != nil {
			return err
		}
	}
	if err := l.waitDone(lc); err != nil {
		return err
	}
	var acc *identityv1.ListAccessesResponse
	if err := l.call("ListAccesses", false, func(ctx context.Context, _ int) (err error) {
		acc, err = l.c.identity.ListAccesses(asCtx(ctx, p.requester.key), &identityv1.ListAccessesRequest{UserId: p.requester.id, AppId: p.app})
		return err
	}); err != nil {
		return err
	}
	if len(acc.GetAccesses()) != 1 || acc.GetAccesses()[0].GetPermission() != "read" {
		return fmt.Errorf("request DONE, but the requester's accesses on the app are %v", acc.GetAccesses())
	}
	return nil
}

// decide approves (or, for the action task, completes) task as who.
func (l *load) decide(task *taskv1.Task, who *person, complete bool) error {
	name := "ApproveTask"
	if complete {
		name = "CompleteTask"
	}
	return l.call(name, true, func(ctx context.Context, attempt int) error {
		var err error
		if complete {
			_, err = l.c.tasks.CompleteTask(asCtx(ctx, who.key), &taskv1.CompleteTaskRequest{Id: task.GetId(), Note: "done by " + who.name})
		} else {
			_, err = l.c.tasks.ApproveTask(asCtx(ctx, who.key), &taskv1.ApproveTaskRequest{Id: task.GetId(), Justification: "ok by " + who.name})
		}
		if attempt == 0 || status.Code(err) != codes.FailedPrecondition {
			return err
		}
		// An earlier attempt failed: did it commit before the failure?
		got, gerr := l.c.tasks.GetTask(asCtx(ctx, who.key), &taskv1.GetTaskRequest{Id: task.GetId()})
		if gerr != nil {
			return gerr
		}
		if got.GetStatus() == taskv1.Task_DONE && got.GetDecidedBy() == who.id {
			l.mu.Lock()
			l.ambiguous++
			l.mu.Unlock()
			return nil
		}
		return fmt.Errorf("%w (task %s is %s, decided by %q)", err, task.GetId(), got.GetStatus(), got.GetDecidedBy())
	})
}

// waitTask polls who's pending tasks of the lifecycle's request until the one of step opens.
func (l *load) waitTask(lc *lifecycle, who *person, step int32) (*taskv1.Task, error) {
	deadline := time.Now().Add(progressTimeout)
	for {
		var res *taskv1.ListTasksResponse
		if err := l.call("ListTasks", false, func(ctx context.Context, _ int) (err error) {
			res, err = l.c.tasks.ListTasks(asCtx(ctx, who.key), &taskv1.ListTasksRequest{RequestId: lc.id(), Status: taskv1.Task_PENDING})
			return err
		}); err != nil {
			return nil, err
		}
		for _, task := range res.GetTasks() {
			if task.GetStepIndex() == step {
				return task, nil
			}
		}
		if err := l.keepWaiting(deadline); err != nil {
			return nil, fmt.Errorf("the task of step %d for %s never opened: %w", step, who.name, err)
		}
	}
}

// waitDone polls the request (as its requester) until it is DONE.
func (l *load) waitDone(lc *lifecycle) error {
	deadline := time.Now().Add(progressTimeout)
	for {
		var r *requestv1.Request
		if err := l.call("GetRequest", false, func(ctx context.Context, _ int) (err error) {
			r, err = l.c.requests.GetRequest(asCtx(ctx, lc.pair.requester.key), &requestv1.GetRequestRequest{Id: lc.id()})
			return err
		}); err != nil {
			return err
		}
		switch r.GetStatus() {
		case requestv1.Request_DONE:
			return nil
		case requestv1.Request_IN_PROGRESS:
		default:
			return fmt.Errorf("the request closed %s: %s", r.GetStatus(), r.GetFailureReason())
		}
		if err := l.keepWaiting(deadline); err != nil {
			return fmt.Errorf("never DONE (stage %s, step %d): %w", r.GetStage(), r.GetStepIndex(), err)
		}
	}
}

// keepWaiting waits proctest.PollEvery before the next look, or says why waiting is over.
func (l *load) keepWaiting(deadline time.Time) error {
	if err := l.c.alive(); err != nil {
		return err
	}
	if l.stopped.Load() {
		return errors.New("the load was stopped")
	}
	if time.Now().After(deadline) {
		return fmt.Errorf("timed out after %s", progressTimeout)
	}
	time.Sleep(proctest.PollEvery) // polling interval, not synchronization: the loop checks the state
	return nil
}

// call runs fn until it succeeds, counting every attempt; attempt numbers the tries from 0.
func (l *load) call(name string, mutating bool, fn func(ctx context.Context, attempt int) error) error {
	deadline := time.Now().Add(retryBudget)
	for attempt := 0; ; attempt++ {
		if mutating {
			l.gate.RLock()
		}
		phase := l.phase.Load()
		err := fn(context.Background(), attempt)
		if mutating {
			l.gate.RUnlock()
		}
		l.calls[phase].Add(1)
		if err == nil {
			l.succeeded.Add(1)
			if mutating {
				l.mutated.Add(1)
			}
			if attempt > 0 {
				l.mu.Lock()
				l.retried++
				l.mu.Unlock()
			}
			return nil
		}
		code := status.Code(err)
		l.mu.Lock()
		byCode := l.codes[l.phases[phase]]
		if byCode == nil {
			byCode = map[codes.Code]int{}
			l.codes[l.phases[phase]] = byCode
		}
		byCode[code]++
		l.mu.Unlock()
		if !l.allowed[code] {
			l.keep(fmt.Sprintf("%s failed with %s", name, code), fmt.Sprintf("%s (phase %q, attempt %d) failed with %s, which the contract does not allow here: %v",
				name, l.phases[phase], attempt+1, code, err))
		}
		if err := l.c.alive(); err != nil {
			return err
		}
		if (l.failFast && !l.allowed[code]) || l.stopped.Load() || time.Now().After(deadline) {
			return fmt.Errorf("%s: still failing after %d attempts: %w", name, attempt+1, err)
		}
		time.Sleep(retryEvery) // the client's backoff before a retry
	}
}

// problem reports a test error, the first maxReports of each kind one by one.
func (l *load) problem(kind, format string, args ...any) {
	l.mu.Lock()
	l.reported[kind]++
	n := l.reported[kind]
	l.mu.Unlock()
	if n <= maxReports {
		l.t.Errorf(format, args...)
	}
}

// keep records a disallowed failure, reported by summary: the load goes on (the call is
// retried), so that the test sees the whole picture, and what the failures left behind.
func (l *load) keep(kind, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reported[kind]++
	if len(l.kept[kind]) < maxReports {
		l.kept[kind] = append(l.kept[kind], msg)
	}
}

// summary reports the disallowed failures, and how many problems of each kind there were
// in all.
func (l *load) summary() {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	kinds := slices.Sorted(maps.Keys(l.reported))
	for _, kind := range kinds {
		for _, msg := range l.kept[kind] {
			l.t.Error(msg)
		}
		if n := l.reported[kind]; n > maxReports {
			l.t.Errorf("%d times in all: %s", n, kind)
		}
		delete(l.kept, kind)
		delete(l.reported, kind)
	}
}

// failures returns the failed calls of phase per code ("UNAVAILABLE 12, ABORTED 1"), and
// their number.
func (l *load) failures(phase string) (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var parts []string
	total := 0
	for code, n := range l.codes[phase] {
		parts = append(parts, fmt.Sprintf("%s %d", code, n))
		total += n
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "none", 0
	}
	return strings.Join(parts, ", "), total
}

// lifecycles returns the lifecycles started so far.
func (l *load) lifecycles() []*lifecycle {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.all)
}

// durations returns the median and the longest lifecycle among the finished ones.
func (l *load) durations() (median, longest time.Duration) {
	var ds []time.Duration
	for _, lc := range l.lifecycles() {
		if lc.took > 0 {
			ds = append(ds, lc.took)
		}
	}
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2].Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond)
}

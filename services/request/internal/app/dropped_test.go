package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
	"github.com/grantflow/grantflow/services/request/internal/store/memory"
)

// standaloneTasks is a task service whose CreateStandaloneTask answers fail[key] (nil: the
// task is made) and records the keys it made.
type standaloneTasks struct {
	taskv1.TaskInternalServiceClient
	mu    sync.Mutex
	fail  map[string]error
	made  []string
	calls int
}

func (f *standaloneTasks) CreateStandaloneTask(_ context.Context, in *taskv1.CreateStandaloneTaskRequest, _ ...grpc.CallOption) (*taskv1.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if err := f.fail[in.GetKey()]; err != nil {
		return nil, err
	}
	f.made = append(f.made, in.GetKey())
	return &taskv1.Task{}, nil
}

// lockFails is a request store whose LockRequest of request id fails with a local error (a
// corrupt row, say).
type lockFails struct {
	*memory.Store
	id string
}

func (s lockFails) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return s.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return fn(ctx, lockFailsTx{tx, s.id}) })
}

type lockFailsTx struct {
	store.Tx
	id string
}

func (tx lockFailsTx) LockRequest(ctx context.Context, id string) (domain.Request, error) {
	if id == tx.id {
		return domain.Request{}, errors.New("corrupt row")
	}
	return tx.Tx.LockRequest(ctx, id)
}

type giveUpFixture struct {
	svc   *Service
	st    *memory.Store
	tasks *standaloneTasks
	clock *timer.ManualClock
	ctx   context.Context
}

func newGiveUpFixture(t *testing.T, failLockOf string) *giveUpFixture {
	st := memory.New()
	t.Cleanup(st.Close)
	f := &giveUpFixture{st: st, tasks: &standaloneTasks{fail: map[string]error{}}, clock: timer.NewManualClock(time.Now()),
		ctx: auth.WithPrincipal(context.Background(), auth.Principal{UserID: auth.SystemUserID, Internal: true})}
	var s store.Store = st
	if failLockOf != "" {
		s = lockFails{st, failLockOf}
	}
	f.svc = New(Options{Store: s, Tasks: f.tasks, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: f.clock.Now,
		IngestAttempts: 3, IngestWindow: time.Minute})
	return f
}

func onboarded(id, user string) *eventsv1.Event {
	return &eventsv1.Event{Id: id, Service: "grantflow-identity", Action: "user.onboarded", Subject: "users/" + user,
		Payload: &eventsv1.Event_UserChanged{UserChanged: &eventsv1.UserChanged{UserId: user, Email: user + "@example.com"}}}
}

// deliver delivers evs as the relay does, and reports whether the delivery was accepted.
func (f *giveUpFixture) deliver(t *testing.T, evs ...*eventsv1.Event) bool {
	t.Helper()
	n, err := f.svc.Ingest(f.ctx, evs)
	if err == nil && n != len(evs) {
		t.Fatalf("Ingest accepted %d of %d", n, len(evs))
	}
	return err == nil
}

// dropped returns the request.event_dropped records waiting for audit, by the subject.
func (f *giveUpFixture) dropped(t *testing.T) map[string]*eventsv1.Event {
	t.Helper()
	evs, err := f.st.Pending(context.Background(), SinkAudit, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*eventsv1.Event{}
	for _, ev := range evs {
		if ev.GetAction() == actionDropped {
			out[ev.GetSubject()] = ev
		}
	}
	return out
}

func (f *giveUpFixture) processed(t *testing.T, id string) bool {
	t.Helper()
	seen := false
	err := f.st.InTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		isNew, err := tx.MarkProcessed(ctx, id)
		seen = !isNew
		if err == nil {
			err = errors.New("roll back")
		}
		return err
	})
	if err == nil || err.Error() != "roll back" {
		t.Fatal(err)
	}
	return seen
}

// TestIngestGivesUpOnAnEventThatKeepsFailing: an event whose handling keeps failing with an
// error that is not a dependency being down (INTERNAL from the task service) is refused, so
// the sender delivers it again, until it failed IngestAttempts times over IngestWindow; then
// the delivery is accepted, the event recorded as processed with an audit record, and the
// events queued behind it are handled. Before, the sender delivered it for ever and every
// event behind it waited.
func TestIngestGivesUpOnAnEventThatKeepsFailing(t *testing.T) {
	f := newGiveUpFixture(t, "")
	f.tasks.fail["onboarding/bad"] = status.Error(codes.Internal, "internal error (id 1234abcd)")
	batch := []*eventsv1.Event{onboarded("e1", "good1"), onboarded("e2", "bad"), onboarded("e3", "good2")}
	for attempt := 1; attempt <= 3; attempt++ { // 3 attempts, but within the window
		if f.deliver(t, batch...) {
			t.Fatalf("attempt %d accepted before the window passed", attempt)
		}
	}
	f.clock.Advance(time.Minute)
	if !f.deliver(t, batch...) { // the 4th attempt, a minute after the first
		t.Fatal("the delivery is still refused after 4 attempts over the window")
	}
	if want := []string{"onboarding/good1", "onboarding/good2"}; !slices.Equal(slices.Compact(slices.Sorted(slices.Values(f.tasks.made))), want) {
		t.Errorf("tasks made %v, want %v", f.tasks.made, want)
	}
	rec := f.dropped(t)["events/e2"]
	if rec == nil {
		t.Fatalf("no %s record for e2 in the audit outbox: %v", actionDropped, f.dropped(t))
	}
	if rec.GetUserChanged().GetUserId() != "bad" || rec.GetService() != ServiceName {
		t.Errorf("record %v: want the lost event's payload, from %s", rec, ServiceName)
	}
	if !f.processed(t, "e2") {
		t.Error("e2 is not recorded as processed")
	}
	// A later delivery of the same batch (an ack that failed) is accepted and records nothing
	// twice.
	f.tasks.fail["onboarding/bad"] = nil
	if !f.deliver(t, batch...) || len(f.dropped(t)) != 1 {
		t.Errorf("redelivery: dropped records %v", f.dropped(t))
	}
}

// TestIngestWaitsForAnUnavailableDependency: a dependency that is down is waited for however
// long it takes: the event is never given up on.
func TestIngestWaitsForAnUnavailableDependency(t *testing.T) {
	f := newGiveUpFixture(t, "")
	f.tasks.fail["onboarding/u"] = status.Error(codes.Unavailable, "down")
	for range 10 {
		if f.deliver(t, onboarded("e1", "u")) {
			t.Fatal("an event was given up on while its dependency was unavailable")
		}
		f.clock.Advance(time.Hour)
	}
	if len(f.dropped(t)) != 0 || f.processed(t, "e1") {
		t.Fatal("an event was recorded as dropped while its dependency was unavailable")
	}
	f.tasks.fail["onboarding/u"] = nil
	if !f.deliver(t, onboarded("e1", "u")) {
		t.Fatal("refused once the dependency is back")
	}
}

// TestIngestGivesUpOnOneTaskOutcomeOfARun: task outcomes are handled a run per transaction;
// when one of them keeps failing, only that one is given up on (the run is taken apart), and
// its request is failed rather than left waiting for an outcome it will never take.
func TestIngestGivesUpOnOneTaskOutcomeOfARun(t *testing.T) {
	f := newGiveUpFixture(t, "r-bad")
	outcome := func(id, request string) *eventsv1.Event {
		return &eventsv1.Event{Id: id, Service: "grantflow-task", Action: "task.approved", Subject: "tasks/t-" + id,
			Payload: &eventsv1.Event_TaskChanged{TaskChanged: &eventsv1.TaskChanged{TaskId: "t-" + id, RequestId: request, StepOutcome: "PASSED"}}}
	}
	batch := []*eventsv1.Event{outcome("o1", "r-gone1"), outcome("o2", "r-bad"), outcome("o3", "r-gone2")}
	for range 3 {
		if f.deliver(t, batch...) {
			t.Fatal("accepted before the window passed")
		}
	}
	if !f.processed(t, "o1") || f.processed(t, "o2") || f.processed(t, "o3") {
		t.Fatal("the outcome before the failing one should be handled, the failing one and those behind it not")
	}
	f.clock.Advance(time.Minute)
	if !f.deliver(t, batch...) {
		t.Fatal("still refused after the attempts over the window")
	}
	if !f.processed(t, "o2") || !f.processed(t, "o3") {
		t.Fatal("the failing outcome and the one behind it should be processed")
	}
	if rec := f.dropped(t); len(rec) != 1 || rec["events/o2"].GetRequestId() != "r-bad" || rec["events/o2"].GetTaskId() != "t-o2" {
		t.Fatalf("dropped records %v, want one for o2 naming its request and task", rec)
	}
}

package outboxtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/servicetest"
)

// waitTimeout bounds every wait for a condition; reaching it fails the test.
const waitTimeout = 30 * time.Second

var errRollback = errors.New("outboxtest: roll back")

func newEvent(subject string, n int) *eventsv1.Event {
	return &eventsv1.Event{
		Service: "grantflow-outboxtest",
		Action:  "thing.changed",
		Subject: subject,
		Payload: &eventsv1.Event_RequestWork{RequestWork: &eventsv1.RequestWork{Reason: fmt.Sprint(n)}},
	}
}

// appendEach appends each event for sinks in a transaction of its own.
func appendEach(t *testing.T, e Engine, sinks []string, events ...*eventsv1.Event) {
	t.Helper()
	for _, ev := range events {
		if err := e.InTx(t.Context(), func(tx Tx) error { return tx.Append(sinks, ev) }); err != nil {
			t.Fatalf("append %s: %v", ev.GetSubject(), err)
		}
	}
}

func newEvents(n int) []*eventsv1.Event {
	out := make([]*eventsv1.Event, n)
	for i := range out {
		out[i] = newEvent(fmt.Sprintf("things/%d", i), i)
	}
	return out
}

func pending(t *testing.T, e Engine, sink string, limit int) []*eventsv1.Event {
	t.Helper()
	events, err := e.Store.Pending(t.Context(), sink, limit)
	if err != nil {
		t.Fatalf("Pending(%s): %v", sink, err)
	}
	return events
}

func ids(events []*eventsv1.Event) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.GetId()
	}
	return out
}

func checkAscending(t *testing.T, events []*eventsv1.Event) {
	t.Helper()
	for i := 1; i < len(events); i++ {
		if events[i].GetSourceSeq() <= events[i-1].GetSourceSeq() {
			t.Errorf("source_seq not ascending at %d: %d then %d", i, events[i-1].GetSourceSeq(), events[i].GetSourceSeq())
		}
	}
	for _, ev := range events {
		if ev.GetSourceSeq() <= 0 {
			t.Errorf("event %s has source_seq %d, want a positive position", ev.GetId(), ev.GetSourceSeq())
		}
	}
}

// eventually waits until cond holds, bounded by a deadline that only stops a hang.
var eventually = servicetest.Eventually

// receive waits for a value on ch, failing t after waitTimeout.
func receive[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func newRelay(t *testing.T, e Engine, opts outbox.RelayOptions) *outbox.Relay {
	t.Helper()
	if opts.Store == nil {
		opts.Store = e.Store
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	r, err := outbox.NewRelay(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Start runs r until the returned stop is called; stop cancels Run, waits for it to return
// and checks that it returned nil. The test's cleanup stops it too.
func Start(t *testing.T, r *outbox.Relay) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := receive(t, "Relay.Run to return after cancel", done); err != nil {
				t.Errorf("Run returned %v after cancel, want nil", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// recorder is a sink that keeps what it accepted and fails when told to.
type recorder struct {
	mu       sync.Mutex
	got      []*eventsv1.Event
	calls    int
	failWhen func(call int, events []*eventsv1.Event) bool
	changed  chan struct{}
}

func newRecorder(failWhen func(call int, events []*eventsv1.Event) bool) *recorder {
	return &recorder{failWhen: failWhen, changed: make(chan struct{}, 1)}
}

func (r *recorder) DeliverEvents(_ context.Context, events []*eventsv1.Event) error {
	r.mu.Lock()
	r.calls++
	call := r.calls
	fail := r.failWhen != nil && r.failWhen(call, events)
	if !fail {
		r.got = append(r.got, events...)
	}
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
	if fail {
		return fmt.Errorf("outboxtest: sink refuses call %d", call)
	}
	return nil
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return ids(r.got)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// idleStore signals each time the relay reads less than a batch: after that step it goes
// idle until a wake-up (or its poll).
type idleStore struct {
	outbox.Store
	idle chan struct{}
}

func (s idleStore) Pending(ctx context.Context, sink string, limit int) ([]*eventsv1.Event, error) {
	events, err := s.Store.Pending(ctx, sink, limit)
	if err == nil && len(events) < limit { // the relay goes idle after this step
		select {
		case s.idle <- struct{}{}:
		default:
		}
	}
	return events, err
}

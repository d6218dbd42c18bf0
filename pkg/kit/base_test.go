package kit

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/grantflow/grantflow/pkg/timer"
)

type fakeStore struct{ closed atomic.Bool }

func (f *fakeStore) Ping(context.Context) error { return nil }
func (f *fakeStore) Close()                     { f.closed.Store(true) }

type fakeTimers struct{ ran, fired atomic.Int32 }

func (f *fakeTimers) Run(ctx context.Context) { f.ran.Add(1); <-ctx.Done() }
func (f *fakeTimers) FireDue(context.Context) (int, error) {
	f.fired.Add(1)
	return 1, nil
}

// Run does the timers and every loop until ctx ends, and returns only when all stopped.
func TestBaseRunsTimersAndLoopsUntilCanceled(t *testing.T) {
	timers := &fakeTimers{}
	var loops atomic.Int32
	stopped := make(chan struct{}, 2)
	loop := func(ctx context.Context) { loops.Add(1); <-ctx.Done(); stopped <- struct{}{} }
	st := &fakeStore{}
	b := &Base{Store: st, Timers: timers, Loops: []func(context.Context){loop, loop}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after ctx ended")
	}
	if len(stopped) != 2 || loops.Load() != 2 || timers.ran.Load() != 1 {
		t.Fatalf("loops run %d, stopped %d, timers run %d", loops.Load(), len(stopped), timers.ran.Load())
	}
	if n, err := b.FireDueTimers(context.Background()); n != 1 || err != nil {
		t.Fatalf("FireDueTimers = %d, %v", n, err)
	}
	b.Notify() // no relays: nothing to wake, no panic
	b.Close()
	if !st.closed.Load() {
		t.Fatal("Close did not close the store")
	}
	if n, err := (&Base{}).FireDueTimers(context.Background()); n != 0 || err != nil {
		t.Fatalf("FireDueTimers without timers = %d, %v", n, err)
	}
}

type fakeModule struct{ Base }

func (*fakeModule) Register(grpc.ServiceRegistrar) {}

// A failed dial stops the assembly before the constructor runs, with the dial's error.
func TestAssembleStopsAtAFailedDial(t *testing.T) {
	dialErr := errors.New("no route")
	env := &Env{Name: "grantflow-x", dial: func(from, to string) (*grpc.ClientConn, error) {
		if to == "audit" {
			return nil, dialErr
		}
		return nil, nil
	}}
	built := false
	newX := Assemble(func(env *Env, d *Deps) int {
		d.Conn("identity")
		d.Sink("audit")
		d.Conn("task")
		return 1
	}, func(context.Context, int) (*fakeModule, error) { built = true; return &fakeModule{}, nil })
	if m, err := newX(context.Background(), env); !errors.Is(err, dialErr) || m != nil || built {
		t.Fatalf("Assemble after a failed dial: module %v, error %v, constructor ran %v", m, err, built)
	}
	failing := Assemble(func(*Env, *Deps) int { return 1 }, func(context.Context, int) (*fakeModule, error) { return nil, errors.New("boom") })
	if m, err := failing(context.Background(), env); err == nil || m != nil {
		t.Fatalf("a failed constructor: module %v (want a nil interface), error %v", m, err)
	}
}

// Now is the clock's time as the stores keep it.
func TestNowIsUTCToTheMicrosecond(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6789, time.FixedZone("x", 3600))
	got := Now(timer.NewManualClock(at))()
	if got.Location() != time.UTC || !got.Equal(at.Truncate(time.Microsecond)) {
		t.Fatalf("Now = %v", got)
	}
}

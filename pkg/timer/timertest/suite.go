// Package timertest is the contract suite every timer engine runs (package timer's Memory,
// pgtimer), through a small store that holds nothing but timers.
package timertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/pkg/timer"
)

// Harness is a store of timers only. Handlers reach its transactions as a timer.Scheduler,
// so the suite can check that a handler's work commits or rolls back with the firing.
type Harness interface {
	timer.Store[timer.Scheduler]
	// InTx runs fn in one transaction: its timers commit, or none when fn fails.
	InTx(ctx context.Context, fn func(tx timer.Scheduler) error) error
	// Get returns the timer key, if set.
	Get(ctx context.Context, key string) (timer.Timer, bool, error)
}

// Run runs the suite; newHarness gives each subtest an empty store.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	storetestkit.Table(t, newHarness, map[string]func(t *testing.T, h Harness){
		"FiresOnceWhenDue":                  firesOnceWhenDue,
		"ScheduleReplacesItsKey":            scheduleReplaces,
		"CancelRemoves":                     cancelRemoves,
		"RolledBackScheduleLeavesNothing":   rolledBack,
		"EarliestFirstWithinTheLimit":       earliestFirst,
		"FailedWorkRollsBackAndIsPostponed": failedWork,
		"HandlerWorkCommitsWithTheFiring":   handlerWork,
		"ConcurrentRunnersFireEachOnce":     concurrentRunners,
		"InvalidTimerRefused":               invalid,
	})
}

var t0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

func schedule(t *testing.T, h Harness, ts ...timer.Timer) {
	t.Helper()
	if err := h.InTx(t.Context(), func(tx timer.Scheduler) error {
		for _, tm := range ts {
			if err := tx.Schedule(t.Context(), tm); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("schedule: %v", err)
	}
}

// recorder is a runner whose handler for kind "k" records the keys it fired.
func recorder(h Harness, clock timer.Clock) (*timer.Runner[timer.Scheduler], func() []string) {
	var mu sync.Mutex
	var fired []string
	r := timer.NewRunner(h, timer.Options{Clock: clock, Batch: 3})
	r.Handle("k", func(_ context.Context, _ timer.Scheduler, tm timer.Timer) error {
		mu.Lock()
		defer mu.Unlock()
		fired = append(fired, tm.Key)
		return nil
	})
	return r, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), fired...)
	}
}

func fireDue(t *testing.T, r *timer.Runner[timer.Scheduler]) int {
	t.Helper()
	n, err := r.FireDue(t.Context())
	if err != nil {
		t.Fatalf("FireDue: %v", err)
	}
	return n
}

func firesOnceWhenDue(t *testing.T, h Harness) {
	clock := timer.NewManualClock(t0)
	schedule(t, h, timer.Timer{Key: "a", Kind: "k", FireAt: t0.Add(time.Minute), Payload: []byte("p")})
	r, fired := recorder(h, clock)
	if n := fireDue(t, r); n != 0 {
		t.Fatalf("fired %d before due", n)
	}
	clock.Advance(time.Minute)
	if n := fireDue(t, r); n != 1 {
		t.Fatalf("fired %d at due time, want 1", n)
	}
	clock.Advance(time.Hour)
	if n := fireDue(t, r); n != 0 {
		t.Fatalf("fired %d more after firing", n)
	}
	if got := fired(); len(got) != 1 || got[0] != "a" {
		t.Fatalf("fired %v, want [a]", got)
	}
	if _, ok, err := h.Get(t.Context(), "a"); err != nil || ok {
		t.Fatalf("timer still there after firing (ok=%v, err=%v)", ok, err)
	}
}

func scheduleReplaces(t *testing.T, h Harness) {
	clock := timer.NewManualClock(t0)
	schedule(t, h, timer.Timer{Key: "a", Kind: "k", FireAt: t0.Add(time.Minute)})
	schedule(t, h, timer.Timer{Key: "a", Kind: "k", FireAt: t0.Add(time.Hour), Payload: []byte("2")})
	got, ok, err := h.Get(t.Context(), "a")
	if err != nil || !ok || !got.FireAt.Equal(t0.Add(time.Hour)) || string(got.Payload) != "2" {
		t.Fatalf("Get after replace = %+v, %v, %v", got, ok, err)
	}
	r, fired := recorder(h, clock)
	clock.Advance(time.Minute)
	if n := fireDue(t, r); n != 0 {
		t.Fatalf("the replaced time fired (%d)", n)
	}
	clock.Advance(time.Hour)
	if n := fireDue(t, r); n != 1 || len(fired()) != 1 {
		t.Fatalf("fired %d (%v), want the replacement once", n, fired())
	}
}

func cancelRemoves(t *testing.T, h Harness) {
	clock := timer.NewManualClock(t0)
	schedule(t, h, timer.Timer{Key: "a", Kind: "k", FireAt: t0}, timer.Timer{Key: "b", Kind: "k", FireAt: t0})
	if err := h.InTx(t.Context(), func(tx timer.Scheduler) error {
		if err := tx.Cancel(t.Context(), "a"); err != nil {
			return err
		}
		return tx.Cancel(t.Context(), "never-set")
	}); err != nil {
		t.Fatal(err)
	}
	r, fired := recorder(h, clock)
	fireDue(t, r)
	if got := fired(); len(got) != 1 || got[0] != "b" {
		t.Fatalf("fired %v, want [b]", got)
	}
}

func rolledBack(t *testing.T, h Harness) {
	boom := errors.New("boom")
	err := h.InTx(t.Context(), func(tx timer.Scheduler) error {
		if err := tx.Schedule(t.Context(), timer.Timer{Key: "a", Kind: "k", FireAt: t0}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	if _, ok, err := h.Get(t.Context(), "a"); err != nil || ok {
		t.Fatalf("a rolled-back timer exists (ok=%v, err=%v)", ok, err)
	}
}

func earliestFirst(t *testing.T, h Harness) {
	var ts []timer.Timer
	for i := 9; i >= 0; i-- {
		ts = append(ts, timer.Timer{Key: fmt.Sprintf("t%d", i), Kind: "k", FireAt: t0.Add(time.Duration(i) * time.Second)})
	}
	schedule(t, h, ts...)
	var got []string
	n, err := h.FireDue(t.Context(), t0.Add(5*time.Second), 4, func(_ context.Context, _ timer.Scheduler, tm timer.Timer) error {
		got = append(got, tm.Key)
		return nil
	})
	if err != nil || n != 4 {
		t.Fatalf("FireDue = %d, %v; want 4", n, err)
	}
	if fmt.Sprint(got) != "[t0 t1 t2 t3]" {
		t.Fatalf("fired %v, want [t0 t1 t2 t3]", got)
	}
	// The Runner fires the rest that are due, batch after batch, and only those.
	r, fired := recorder(h, timer.NewManualClock(t0.Add(5*time.Second)))
	if n := fireDue(t, r); n != 2 || fmt.Sprint(fired()) != "[t4 t5]" {
		t.Fatalf("runner fired %d %v, want [t4 t5]", n, fired())
	}
}

func failedWork(t *testing.T, h Harness) {
	clock := timer.NewManualClock(t0)
	schedule(t, h, timer.Timer{Key: "bad", Kind: "k", FireAt: t0}, timer.Timer{Key: "good", Kind: "k", FireAt: t0.Add(time.Millisecond)})
	failing := true
	var done []string
	r := timer.NewRunner(h, timer.Options{Clock: clock})
	r.Handle("k", func(ctx context.Context, tx timer.Scheduler, tm timer.Timer) error {
		// The work: a timer of its own, which must vanish with a failure.
		if err := tx.Schedule(ctx, timer.Timer{Key: "work:" + tm.Key, Kind: "w", FireAt: t0.Add(24 * time.Hour)}); err != nil {
			return err
		}
		if tm.Key == "bad" && failing {
			return errors.New("handler failed")
		}
		done = append(done, tm.Key)
		return nil
	})
	clock.Advance(time.Millisecond)
	fireDue(t, r)
	if fmt.Sprint(done) != "[good]" {
		t.Fatalf("done %v, want [good]", done)
	}
	if _, ok, _ := h.Get(t.Context(), "work:bad"); ok {
		t.Fatal("the failed handler's work committed")
	}
	bad, ok, err := h.Get(t.Context(), "bad")
	if err != nil || !ok {
		t.Fatalf("the failed timer is gone (ok=%v, err=%v)", ok, err)
	}
	if bad.Attempts != 1 || !bad.FireAt.After(t0.Add(time.Millisecond)) {
		t.Fatalf("failed timer = %+v; want attempts 1, postponed", bad)
	}
	// Not again before its backoff, then once.
	if n := fireDue(t, r); n != 0 {
		t.Fatalf("fired %d during the backoff", n)
	}
	failing = false
	clock.Set(bad.FireAt)
	if n := fireDue(t, r); n != 1 || fmt.Sprint(done) != "[good bad]" {
		t.Fatalf("after the backoff fired %d, done %v", n, done)
	}
	if _, ok, _ := h.Get(t.Context(), "work:bad"); !ok {
		t.Fatal("the retried handler's work is missing")
	}
	// A timer whose kind has no handler is postponed, not lost.
	schedule(t, h, timer.Timer{Key: "orphan", Kind: "unknown", FireAt: clock.Now()})
	fireDue(t, r)
	if o, ok, _ := h.Get(t.Context(), "orphan"); !ok || o.Attempts != 1 {
		t.Fatalf("orphan = %+v, %v; want postponed", o, ok)
	}
}

func handlerWork(t *testing.T, h Harness) {
	// A reminder that sets the escalation: the chain the task service builds.
	clock := timer.NewManualClock(t0)
	schedule(t, h, timer.Timer{Key: "remind", Kind: "remind", FireAt: t0.Add(time.Hour)})
	var order []string
	r := timer.NewRunner(h, timer.Options{Clock: clock})
	r.Handle("remind", func(ctx context.Context, tx timer.Scheduler, tm timer.Timer) error {
		order = append(order, tm.Key)
		return tx.Schedule(ctx, timer.Timer{Key: "escalate", Kind: "escalate", FireAt: tm.FireAt.Add(time.Hour)})
	})
	r.Handle("escalate", func(_ context.Context, _ timer.Scheduler, tm timer.Timer) error {
		order = append(order, tm.Key)
		return nil
	})
	clock.Advance(time.Hour)
	fireDue(t, r)
	if fmt.Sprint(order) != "[remind]" {
		t.Fatalf("order %v after the first hour", order)
	}
	clock.Advance(time.Hour)
	fireDue(t, r)
	if fmt.Sprint(order) != "[remind escalate]" {
		t.Fatalf("order %v after the second hour", order)
	}
}

func concurrentRunners(t *testing.T, h Harness) {
	const timers, runners = 60, 4
	var ts []timer.Timer
	for i := range timers {
		ts = append(ts, timer.Timer{Key: fmt.Sprintf("c%02d", i), Kind: "k", FireAt: t0})
	}
	schedule(t, h, ts...)
	var mu sync.Mutex
	count := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, runners)
	for range runners {
		r := timer.NewRunner(h, timer.Options{Clock: timer.NewManualClock(t0), Batch: 5})
		r.Handle("k", func(ctx context.Context, tx timer.Scheduler, tm timer.Timer) error {
			mu.Lock()
			count[tm.Key]++
			mu.Unlock()
			return tx.Schedule(ctx, timer.Timer{Key: "work:" + tm.Key, Kind: "w", FireAt: t0.Add(time.Hour)})
		})
		wg.Go(func() {
			if _, err := r.FireDue(context.Background()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(count) != timers {
		t.Fatalf("%d timers fired, want %d", len(count), timers)
	}
	for k, n := range count {
		if n != 1 {
			t.Errorf("%s fired %d times", k, n)
		}
		if _, ok, _ := h.Get(t.Context(), "work:"+k); !ok {
			t.Errorf("the work of %s is missing", k)
		}
	}
}

func invalid(t *testing.T, h Harness) {
	for _, tm := range []timer.Timer{
		{Kind: "k", FireAt: t0},
		{Key: "a", FireAt: t0},
		{Key: "a", Kind: "k"},
	} {
		err := h.InTx(t.Context(), func(tx timer.Scheduler) error { return tx.Schedule(t.Context(), tm) })
		if err == nil {
			t.Errorf("Schedule(%+v) = nil, want an error", tm)
		}
	}
}

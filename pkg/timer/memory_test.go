package timer_test

import (
	"context"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/memstore"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/pkg/timer/timertest"
)

// memHarness is a memory engine holding timers only.
type memHarness struct {
	e *memstore.Engine[state]
}

type state struct{ timers *timer.Memory }

type memTx struct {
	st *state
	tx *memstore.Tx
}

func (t memTx) Schedule(_ context.Context, tm timer.Timer) error {
	return t.st.timers.Schedule(t.tx, tm)
}
func (t memTx) Cancel(_ context.Context, key string) error {
	t.st.timers.Cancel(t.tx, key)
	return nil
}

func timersOf(st *state) *timer.Memory                { return st.timers }
func wrap(st *state, tx *memstore.Tx) timer.Scheduler { return memTx{st, tx} }

func (h memHarness) FireDue(ctx context.Context, now time.Time, limit int, fire func(context.Context, timer.Scheduler, timer.Timer) error) (int, error) {
	return timer.FireDue(ctx, h.e, timersOf, wrap, now, limit, fire)
}

func (h memHarness) Postpone(_ context.Context, key string, dueAt, at time.Time) error {
	return timer.Postpone(h.e, timersOf, key, dueAt, at)
}

func (h memHarness) InTx(_ context.Context, fn func(timer.Scheduler) error) error {
	return h.e.Write(func(st *state, tx *memstore.Tx) error { return fn(memTx{st, tx}) })
}

func (h memHarness) Get(_ context.Context, key string) (timer.Timer, bool, error) {
	st, done := h.e.Read()
	defer done()
	tm, ok := st.timers.Get(key)
	return tm, ok, nil
}

func TestMemory(t *testing.T) {
	timertest.Run(t, func(*testing.T) timertest.Harness {
		return memHarness{memstore.New(state{timers: timer.NewMemory()})}
	})
}

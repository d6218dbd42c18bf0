package timer

import (
	"context"
	"slices"
	"time"

	"github.com/grantflow/grantflow/pkg/memstore"
)

// Memory holds timers inside a memstore engine's state: the memory engine of a service puts
// one in its state and reaches it from its transactions, whose undo log it writes.
type Memory struct {
	byKey map[string]Timer
}

// NewMemory is an empty set of timers.
func NewMemory() *Memory { return &Memory{byKey: map[string]Timer{}} }

// Schedule sets t in tx, replacing the timer with its key.
func (m *Memory) Schedule(tx *memstore.Tx, t Timer) error {
	if err := t.Validate(); err != nil {
		return err
	}
	memstore.Remember(tx, m.byKey, t.Key)
	t.Payload = slices.Clone(t.Payload)
	t.Attempts = 0
	m.byKey[t.Key] = t
	return nil
}

// Cancel removes the timer key in tx.
func (m *Memory) Cancel(tx *memstore.Tx, key string) {
	if _, ok := m.byKey[key]; !ok {
		return
	}
	memstore.Remember(tx, m.byKey, key)
	delete(m.byKey, key)
}

// Get returns the timer key, if set.
func (m *Memory) Get(key string) (Timer, bool) {
	t, ok := m.byKey[key]
	return t, ok
}

// Len is how many timers are set.
func (m *Memory) Len() int { return len(m.byKey) }

// anyDue reports whether a timer is due at now.
func (m *Memory) anyDue(now time.Time) bool {
	for _, t := range m.byKey {
		if !t.FireAt.After(now) {
			return true
		}
	}
	return false
}

// take removes and returns up to limit timers due at now, earliest first (then by key).
func (m *Memory) take(tx *memstore.Tx, now time.Time, limit int) []Timer {
	var due []Timer
	for _, t := range m.byKey {
		if !t.FireAt.After(now) {
			due = append(due, t)
		}
	}
	SortDue(due)
	if len(due) > limit {
		due = due[:limit]
	}
	for _, t := range due {
		m.Cancel(tx, t.Key)
	}
	return due
}

// FireDue is Store.FireDue for a memory engine e whose state S holds timers (at(st)) and
// whose transactions reach handlers as wrap(st, tx).
func FireDue[S, Tx any](ctx context.Context, e *memstore.Engine[S], at func(*S) *Memory, wrap func(*S, *memstore.Tx) Tx,
	now time.Time, limit int, fire func(context.Context, Tx, Timer) error) (int, error) {
	// An idle poll takes no write lock and commits nothing (memstore counts commits).
	st, done := e.Read()
	idle := !at(st).anyDue(now)
	done()
	if idle {
		return 0, nil
	}
	n := 0
	err := e.Write(func(st *S, mt *memstore.Tx) (err error) {
		due := at(st).take(mt, now, limit)
		n, err = Fire(ctx, wrap(st, mt), due, fire)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Postpone is Store.Postpone for a memory engine e whose state holds timers at at(st).
func Postpone[S any](e *memstore.Engine[S], at func(*S) *Memory, key string, dueAt, to time.Time) error {
	return e.Write(func(st *S, mt *memstore.Tx) error {
		m := at(st)
		t, ok := m.byKey[key]
		if !ok || !t.FireAt.Equal(dueAt) {
			return nil
		}
		memstore.Remember(mt, m.byKey, key)
		t.FireAt = to
		t.Attempts++
		m.byKey[key] = t
		return nil
	})
}

// MemoryScheduler is the timer side of one memory-engine transaction (Scheduler): a service's
// memory tx embeds the value In returns.
type MemoryScheduler struct {
	m  *Memory
	tx *memstore.Tx
}

// In is m's Scheduler inside tx.
func (m *Memory) In(tx *memstore.Tx) MemoryScheduler { return MemoryScheduler{m, tx} }

// Schedule implements Scheduler.
func (s MemoryScheduler) Schedule(_ context.Context, t Timer) error { return s.m.Schedule(s.tx, t) }

// Cancel implements Scheduler.
func (s MemoryScheduler) Cancel(_ context.Context, key string) error {
	s.m.Cancel(s.tx, key)
	return nil
}

// MemoryTimers is the Store of a memory engine e whose state S holds timers (at(st)) and
// whose transactions reach handlers as wrap(st, tx): a service's memory Store embeds it.
type MemoryTimers[S, Tx any] struct {
	e    *memstore.Engine[S]
	at   func(*S) *Memory
	wrap func(*S, *memstore.Tx) Tx
}

// NewMemoryTimers is the timers of e.
func NewMemoryTimers[S, Tx any](e *memstore.Engine[S], at func(*S) *Memory, wrap func(*S, *memstore.Tx) Tx) MemoryTimers[S, Tx] {
	return MemoryTimers[S, Tx]{e, at, wrap}
}

// FireDue implements Store.
func (m MemoryTimers[S, Tx]) FireDue(ctx context.Context, now time.Time, limit int, fire func(context.Context, Tx, Timer) error) (int, error) {
	return FireDue(ctx, m.e, m.at, m.wrap, now, limit, fire)
}

// Postpone implements Store.
func (m MemoryTimers[S, Tx]) Postpone(_ context.Context, key string, dueAt, at time.Time) error {
	return Postpone(m.e, m.at, key, dueAt, at)
}

// MemoryShell is the shell of a memory store whose state S holds timers (at(st)): the memory
// engine with its outbox and closure transaction (memstore.Shell), and the timers
// (MemoryTimers). What the memory Store of a service with timers embeds.
type MemoryShell[S, Tx any] struct {
	memstore.Shell[S, Tx]
	MemoryTimers[S, Tx]
}

// NewMemoryShell is a shell on st with an empty outbox. A transaction (InTx's, and a timer's
// firing) reaches its closure as newTx(state, kit Tx, the timers' Scheduler in it): the
// service's own store.Tx.
func NewMemoryShell[S, Tx any](st S, at func(*S) *Memory, newTx func(*S, *memstore.Tx, MemoryScheduler) Tx) MemoryShell[S, Tx] {
	wrap := func(st *S, mt *memstore.Tx) Tx { return newTx(st, mt, at(st).In(mt)) }
	sh := memstore.NewShell(st, wrap)
	return MemoryShell[S, Tx]{sh, NewMemoryTimers(sh.Engine, at, wrap)}
}

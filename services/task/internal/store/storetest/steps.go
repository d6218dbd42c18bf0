package storetest

import (
	"context"
	"testing"

	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

func testStepRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := newStep("req-1", 2, domain.Quorum)
	want.MinApprovals = 2
	createSteps(t, s, want)
	check(t, "GetStep", must(s.GetStep(ctx, "req-1", 2))(t), want)
	_, err := s.GetStep(ctx, "req-1", 1)
	wantErr(t, "GetStep missing", err, store.ErrNotFound)
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		check(t, "LockStep", must(tx.LockStep(ctx, "req-1", 2))(t), want)
		_, err := tx.LockStep(ctx, "req-2", 2)
		wantErr(t, "LockStep missing", err, store.ErrNotFound)
		return nil
	})
}

func testCreateStepDuplicate(t *testing.T, s store.Store) {
	ctx := t.Context()
	createSteps(t, s, newStep("req-1", 0, domain.Any))
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		wantErr(t, "duplicate step", tx.CreateStep(ctx, newStep("req-1", 0, domain.All)), store.ErrConflict)
		return tx.CreateStep(ctx, newStep("req-1", 1, domain.All))
	})
	check(t, "first step kept", must(s.GetStep(ctx, "req-1", 0))(t).Approval, domain.Any)
	check(t, "second step", must(s.GetStep(ctx, "req-1", 1))(t).Approval, domain.All)
}

func testUpdateStep(t *testing.T, s store.Store) {
	ctx := t.Context()
	st := newStep("req-1", 0, domain.All)
	createSteps(t, s, st)
	st.Outcome, st.UpdateTime, st.Version = domain.Passed, at(9), 2
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		stale := st
		stale.Version = 3
		wantErr(t, "stale", tx.UpdateStep(ctx, stale), store.ErrConflict)
		missing := st
		missing.Index = 4
		wantErr(t, "missing", tx.UpdateStep(ctx, missing), store.ErrNotFound)
		return tx.UpdateStep(ctx, st)
	})
	check(t, "after update", must(s.GetStep(ctx, "req-1", 0))(t), st)
}

func testStepTasks(t *testing.T, s store.Store) {
	ctx := t.Context()
	createSteps(t, s, newStep("req-1", 0, domain.All), newStep("req-1", 1, domain.All))
	createTasks(t, s, newTask("t-3", "req-1", 0, "u-1"), newTask("t-1", "req-1", 0, "u-2"), newTask("t-2", "req-1", 1, "u-1"))
	check(t, "step 0", ids(must(s.StepTasks(ctx, "req-1", 0))(t)), []string{"t-1", "t-3"})
	check(t, "step 1", ids(must(s.StepTasks(ctx, "req-1", 1))(t)), []string{"t-2"})
	check(t, "no step", ids(must(s.StepTasks(ctx, "req-1", 2))(t)), nil)
}

func testLockRequestSteps(t *testing.T, s store.Store) {
	createSteps(t, s, newStep("req-1", 2, domain.Any), newStep("req-1", 0, domain.Any), newStep("req-2", 1, domain.Any), newStep("req-1", 1, domain.Any))
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		steps := must(tx.LockRequestSteps(ctx, "req-1"))(t)
		var got []int
		for _, st := range steps {
			got = append(got, st.Index)
		}
		check(t, "indexes", got, []int{0, 1, 2})
		check(t, "none", len(must(tx.LockRequestSteps(ctx, "req-9"))(t)), 0)
		return nil
	})
}

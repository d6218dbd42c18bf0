package storetest

import (
	"context"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

func (Cases) StepRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := newStep("req-1", 2, domain.Quorum)
	want.MinApprovals = 2
	createSteps(t, s, want)
	storetestkit.Check(t, "GetStep", storetestkit.Must(s.GetStep(ctx, "req-1", 2))(t), want)
	_, err := s.GetStep(ctx, "req-1", 1)
	storetestkit.WantErr(t, "GetStep missing", err, store.ErrNotFound)
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		storetestkit.Check(t, "LockStep", storetestkit.Must(tx.LockStep(ctx, "req-1", 2))(t), want)
		_, err := tx.LockStep(ctx, "req-2", 2)
		storetestkit.WantErr(t, "LockStep missing", err, store.ErrNotFound)
		return nil
	})
}

func (Cases) CreateStepDuplicate(t *testing.T, s store.Store) {
	ctx := t.Context()
	createSteps(t, s, newStep("req-1", 0, domain.Any))
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		storetestkit.WantErr(t, "duplicate step", tx.CreateStep(ctx, newStep("req-1", 0, domain.All)), store.ErrConflict)
		return tx.CreateStep(ctx, newStep("req-1", 1, domain.All))
	})
	storetestkit.Check(t, "first step kept", storetestkit.Must(s.GetStep(ctx, "req-1", 0))(t).Approval, domain.Any)
	storetestkit.Check(t, "second step", storetestkit.Must(s.GetStep(ctx, "req-1", 1))(t).Approval, domain.All)
}

func (Cases) UpdateStepChecksVersion(t *testing.T, s store.Store) {
	ctx := t.Context()
	st := newStep("req-1", 0, domain.All)
	createSteps(t, s, st)
	st.Outcome, st.UpdateTime, st.Version = domain.Passed, storetestkit.At(9), 2
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		stale := st
		stale.Version = 3
		storetestkit.WantErr(t, "stale", tx.UpdateStep(ctx, stale), store.ErrConflict)
		missing := st
		missing.Index = 4
		storetestkit.WantErr(t, "missing", tx.UpdateStep(ctx, missing), store.ErrNotFound)
		return tx.UpdateStep(ctx, st)
	})
	storetestkit.Check(t, "after update", storetestkit.Must(s.GetStep(ctx, "req-1", 0))(t), st)
}

func (Cases) StepTasksInIDOrder(t *testing.T, s store.Store) {
	ctx := t.Context()
	createSteps(t, s, newStep("req-1", 0, domain.All), newStep("req-1", 1, domain.All))
	createTasks(t, s, newTask("t-3", "req-1", 0, "u-1"), newTask("t-1", "req-1", 0, "u-2"), newTask("t-2", "req-1", 1, "u-1"))
	storetestkit.Check(t, "step 0", ids(storetestkit.Must(s.StepTasks(ctx, "req-1", 0))(t)), []string{"t-1", "t-3"})
	storetestkit.Check(t, "step 1", ids(storetestkit.Must(s.StepTasks(ctx, "req-1", 1))(t)), []string{"t-2"})
	storetestkit.Check(t, "no step", ids(storetestkit.Must(s.StepTasks(ctx, "req-1", 2))(t)), nil)
}

func (Cases) LockRequestStepsInIndexOrder(t *testing.T, s store.Store) {
	createSteps(t, s, newStep("req-1", 2, domain.Any), newStep("req-1", 0, domain.Any), newStep("req-2", 1, domain.Any), newStep("req-1", 1, domain.Any))
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		steps := storetestkit.Must(tx.LockRequestSteps(ctx, "req-1"))(t)
		var got []int
		for _, st := range steps {
			got = append(got, st.Index)
		}
		storetestkit.Check(t, "indexes", got, []int{0, 1, 2})
		storetestkit.Check(t, "none", len(storetestkit.Must(tx.LockRequestSteps(ctx, "req-9"))(t)), 0)
		return nil
	})
}

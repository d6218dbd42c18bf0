package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

const writers = 8

// LockStepSerializesTransactions: read-modify-write of a step under its lock never loses an
// update, so every versioned write succeeds.
func (Cases) LockStepSerializesTransactions(t *testing.T, s store.Store) {
	createSteps(t, s, newStep("req-1", 0, domain.All))
	errs := storetestkit.Concurrently(t, s, writers, func(ctx context.Context, tx store.Tx, _ int) error {
		st, err := tx.LockStep(ctx, "req-1", 0)
		if err != nil {
			return err
		}
		st.Version++
		return tx.UpdateStep(ctx, st)
	})
	storetestkit.AllWin(t, errs)
	storetestkit.Check(t, "version", storetestkit.Must(s.GetStep(t.Context(), "req-1", 0))(t).Version, int64(1+writers))
}

func (Cases) LockTaskSerializesTransactions(t *testing.T, s store.Store) {
	createTasks(t, s, newStandalone("t-1", "k", "u-1"))
	errs := storetestkit.Concurrently(t, s, writers, func(ctx context.Context, tx store.Tx, i int) error {
		task, err := tx.LockTask(ctx, "t-1")
		if err != nil {
			return err
		}
		task.History = append(task.History, domain.HistoryEntry{Time: storetestkit.At(10 + i), ActorID: fmt.Sprint(i), Event: "touched"})
		task.Version++
		return tx.UpdateTask(ctx, task)
	})
	storetestkit.AllWin(t, errs)
	got := storetestkit.Must(s.GetTask(t.Context(), "t-1"))(t)
	storetestkit.Check(t, "version", got.Version, int64(1+writers))
	storetestkit.Check(t, "history entries", len(got.History), 1+writers)
}

func (Cases) ConcurrentCreateStepOneWins(t *testing.T, s store.Store) {
	storetestkit.OneWins(t, storetestkit.Concurrently(t, s, writers, func(ctx context.Context, tx store.Tx, i int) error {
		if err := tx.CreateStep(ctx, newStep("req-1", 0, domain.Any)); err != nil {
			return err
		}
		return tx.CreateTask(ctx, newTask(fmt.Sprintf("t-%d", i), "req-1", 0, "u-1"))
	}), store.ErrConflict)
	storetestkit.Check(t, "tasks of the step", len(storetestkit.Must(s.StepTasks(t.Context(), "req-1", 0))(t)), 1)
}

func (Cases) ConcurrentCreateKeyOneWins(t *testing.T, s store.Store) {
	storetestkit.OneWins(t, storetestkit.Concurrently(t, s, writers, func(ctx context.Context, tx store.Tx, i int) error {
		return tx.CreateTask(ctx, newStandalone(fmt.Sprintf("t-%d", i), "onboarding/u-1", "u-1"))
	}), store.ErrConflict)
	storetestkit.Check(t, "tasks", len(storetestkit.Must(s.ListTasks(t.Context(), store.Filter{}, store.Page{}))(t)), 1)
}

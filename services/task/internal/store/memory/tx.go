package memory

import (
	"context"
	"slices"
	"strings"

	"github.com/grantflow/grantflow/pkg/memstore"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// tx writes straight into the state and logs how to undo each write (memstore.Put, Delete,
// Remember).
type tx struct {
	*state
	*memstore.Tx
	timer.MemoryScheduler
}

var _ store.Tx = (*tx)(nil)

// The write lock is held for the whole transaction: the locks are the reads.

func (t *tx) LockStep(ctx context.Context, requestID string, index int) (domain.Step, error) {
	return t.GetStep(ctx, requestID, index)
}

func (t *tx) LockRequestSteps(_ context.Context, requestID string) ([]domain.Step, error) {
	out := []domain.Step{}
	for k, s := range t.steps {
		if k.request == requestID {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b domain.Step) int { return a.Index - b.Index })
	return out, nil
}

func (t *tx) LockTask(ctx context.Context, id string) (domain.Task, error) {
	return t.GetTask(ctx, id)
}

func (t *tx) CreateStep(_ context.Context, s domain.Step) error {
	return memstore.Insert(t.Tx, t.steps, stepKey{s.RequestID, s.Index}, s)
}

func (t *tx) UpdateStep(_ context.Context, s domain.Step) error {
	k := stepKey{s.RequestID, s.Index}
	old, ok := t.steps[k]
	if err := memstore.CheckUpdate(ok, old.Version, s.Version, store.ErrNotFound, store.ErrConflict); err != nil {
		return err
	}
	memstore.Put(t.Tx, t.steps, k, s)
	return nil
}

func (t *tx) CreateTask(_ context.Context, task domain.Task) error {
	if err := memstore.InsertIndexed(t.Tx, t.tasks, task.ID, task.Clone(), t.keys, task.Key); err != nil {
		return err
	}
	if task.RequestID != "" {
		k := stepKey{task.RequestID, task.StepIndex}
		memstore.Remember(t.Tx, t.byStep, k)
		ids := slices.Clone(t.byStep[k])
		i, _ := slices.BinarySearchFunc(ids, task.ID, strings.Compare)
		t.byStep[k] = slices.Insert(ids, i, task.ID)
	}
	t.recordInbox(domain.Task{}, task)
	return nil
}

func (t *tx) UpdateTask(_ context.Context, task domain.Task) error {
	old, ok := t.tasks[task.ID]
	if err := memstore.CheckUpdate(ok, old.Version, task.Version, store.ErrNotFound, store.ErrConflict); err != nil {
		return err
	}
	// What places a task (request, step, key) never changes.
	task.RequestID, task.StepIndex, task.Key = old.RequestID, old.StepIndex, old.Key
	memstore.Put(t.Tx, t.tasks, task.ID, task.Clone())
	t.recordInbox(old, task)
	return nil
}

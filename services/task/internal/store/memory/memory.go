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

type stepKey struct {
	request string
	index   int
}

type state struct {
	tasks map[string]domain.Task
	keys  map[string]string // standalone key -> task id
	steps map[stepKey]domain.Step
	// byStep holds each step's task ids, ascending.
	byStep map[stepKey][]string
	timers *timer.Memory
	inbox  *inboxes
}

// Store is the in-memory task store.
type Store struct {
	memstore.Shell[state, store.Tx]
	timer.MemoryTimers[state, store.Tx]
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	e := memstore.NewShell(state{
		tasks: map[string]domain.Task{}, keys: map[string]string{},
		steps: map[stepKey]domain.Step{}, byStep: map[stepKey][]string{}, timers: timer.NewMemory(),
		inbox: newInboxes(),
	}, wrap)
	return &Store{e, timer.NewMemoryTimers(e.Engine, timersOf, wrap)}
}

func timersOf(st *state) *timer.Memory { return st.timers }

func wrap(st *state, mt *memstore.Tx) store.Tx {
	return &tx{state: st, Tx: mt, MemoryScheduler: st.timers.In(mt)}
}

// --- reads: the Store takes the read lock, a tx already holds the write lock ---

func (s *Store) GetTask(ctx context.Context, id string) (domain.Task, error) {
	return memstore.View(s.Engine, func(st *state) (domain.Task, error) { return st.GetTask(ctx, id) })
}

func (s *Store) GetTaskByKey(ctx context.Context, key string) (domain.Task, error) {
	return memstore.View(s.Engine, func(st *state) (domain.Task, error) { return st.GetTaskByKey(ctx, key) })
}

func (s *Store) ListTasks(ctx context.Context, f store.Filter, p store.Page) ([]domain.Task, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Task, error) { return st.ListTasks(ctx, f, p) })
}

func (s *Store) GetStep(ctx context.Context, requestID string, index int) (domain.Step, error) {
	return memstore.View(s.Engine, func(st *state) (domain.Step, error) { return st.GetStep(ctx, requestID, index) })
}

func (s *Store) StepTasks(ctx context.Context, requestID string, index int) ([]domain.Task, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Task, error) { return st.StepTasks(ctx, requestID, index) })
}

// --- the state's queries (no locking) ---

func (st *state) GetTask(_ context.Context, id string) (domain.Task, error) {
	t, ok := st.tasks[id]
	if !ok {
		return domain.Task{}, store.ErrNotFound
	}
	return t.Clone(), nil
}

func (st *state) GetTaskByKey(ctx context.Context, key string) (domain.Task, error) {
	id, ok := st.keys[key]
	if !ok || key == "" {
		return domain.Task{}, store.ErrNotFound
	}
	return st.GetTask(ctx, id)
}

// ListTasks scans every task: fine for the embedded engine, which is not for large data.
func (st *state) ListTasks(_ context.Context, f store.Filter, p store.Page) ([]domain.Task, error) {
	var out []domain.Task
	for _, t := range st.tasks {
		switch {
		case t.ID <= p.After && p.After != "":
		case f.AssigneeID != "" && !t.IsAssignee(f.AssigneeID):
		case f.Status != "" && t.Status != f.Status:
		case f.RequestID != "" && t.RequestID != f.RequestID:
		case f.AccessReviewID != "" && t.AccessReviewID != f.AccessReviewID:
		default:
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b domain.Task) int { return strings.Compare(a.ID, b.ID) })
	if p.Size > 0 && len(out) > p.Size {
		out = out[:p.Size]
	}
	for i := range out {
		out[i] = out[i].Clone()
	}
	if out == nil {
		out = []domain.Task{}
	}
	return out, nil
}

func (st *state) GetStep(_ context.Context, requestID string, index int) (domain.Step, error) {
	s, ok := st.steps[stepKey{requestID, index}]
	if !ok {
		return domain.Step{}, store.ErrNotFound
	}
	return s, nil
}

func (st *state) StepTasks(_ context.Context, requestID string, index int) ([]domain.Task, error) {
	ids := st.byStep[stepKey{requestID, index}]
	out := make([]domain.Task, 0, len(ids))
	for _, id := range ids {
		out = append(out, st.tasks[id].Clone())
	}
	return out, nil
}

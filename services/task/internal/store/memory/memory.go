package memory

import (
	"context"

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
	timer.MemoryShell[state, store.Tx]
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{timer.NewMemoryShell(state{
		tasks: map[string]domain.Task{}, keys: map[string]string{},
		steps: map[stepKey]domain.Step{}, byStep: map[stepKey][]string{}, timers: timer.NewMemory(),
		inbox: newInboxes(),
	}, func(st *state) *timer.Memory { return st.timers }, newTx)}
}

// newTx is the store.Tx of a transaction (InTx's, and a timer's firing).
func newTx(st *state, mt *memstore.Tx, ts timer.MemoryScheduler) store.Tx { return &tx{st, mt, ts} }

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
	t, err := memstore.Get(st.tasks, id)
	return t.Clone(), err
}

// GetTaskByKey: the empty key is never indexed (CreateTask).
func (st *state) GetTaskByKey(_ context.Context, key string) (domain.Task, error) {
	t, err := memstore.GetBy(st.keys, key, st.tasks)
	return t.Clone(), err
}

func (st *state) ListTasks(_ context.Context, f store.Filter, p store.Page) ([]domain.Task, error) {
	return memstore.Page(st.tasks, p, func(t domain.Task) string { return t.ID }, func(t domain.Task) bool {
		return (f.AssigneeID == "" || t.IsAssignee(f.AssigneeID)) &&
			(f.Status == "" || t.Status == f.Status) &&
			(f.RequestID == "" || t.RequestID == f.RequestID) &&
			(f.AccessReviewID == "" || t.AccessReviewID == f.AccessReviewID)
	}, domain.Task.Clone), nil
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

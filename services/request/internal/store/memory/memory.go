package memory

import (
	"context"
	"slices"
	"time"

	"github.com/grantflow/grantflow/pkg/memstore"
	"github.com/grantflow/grantflow/pkg/storekit"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/pkg/watch"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

type state struct {
	requests map[string]domain.Request
	clients  map[string]string // client id -> request id
	timers   *timer.Memory
	// changes: each request as every change left it, oldest first (Changes).
	changes map[string][]domain.Request
	// hub wakes a request's watchers once a change of it commits.
	hub *watch.Hub
}

// Store is the in-memory request store. Transactions hold one write lock.
type Store struct {
	timer.MemoryShell[state, store.Tx]
	hub *watch.Hub
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	hub := watch.NewHub()
	st := state{requests: map[string]domain.Request{}, clients: map[string]string{},
		timers: timer.NewMemory(), changes: map[string][]domain.Request{}, hub: hub}
	return &Store{timer.NewMemoryShell(st, func(st *state) *timer.Memory { return st.timers }, newTx), hub}
}

// newTx is the store.Tx of a transaction (InTx's, and a timer's firing).
func newTx(st *state, mt *memstore.Tx, ts timer.MemoryScheduler) store.Tx { return &tx{st, mt, ts} }

// Watch subscribes to the changes of request id (woken after each commit that changed it).
func (s *Store) Watch(id string) *watch.Watcher { return s.hub.Watch(id) }

// Listen has nothing to do: every change of a memory store is made in this process.
func (s *Store) Listen(context.Context) {}

// PruneChanges deletes up to limit changes made (their UpdateTime) before before.
func (s *Store) PruneChanges(_ context.Context, before time.Time, limit int) (n int, err error) {
	err = s.Write(func(st *state, mt *memstore.Tx) error {
		n = memstore.PruneLogs(mt, st.changes, func(r domain.Request) bool { return r.UpdateTime.Before(before) }, limit)
		return nil
	})
	return n, err
}

func (s *Store) Changes(_ context.Context, id string, afterVersion int64, limit int) ([]domain.Request, error) {
	st, done := s.Read()
	defer done()
	out := []domain.Request{}
	for _, r := range st.changes[id] {
		if r.Version > afterVersion && len(out) < limit {
			out = append(out, r.Clone())
		}
	}
	return out, nil
}

func (s *Store) GetRequest(ctx context.Context, id string) (domain.Request, error) {
	return memstore.View(s.Engine, func(st *state) (domain.Request, error) { return st.GetRequest(ctx, id) })
}

func (s *Store) GetRequestByClientID(ctx context.Context, clientID string) (domain.Request, error) {
	return memstore.View(s.Engine, func(st *state) (domain.Request, error) { return st.GetRequestByClientID(ctx, clientID) })
}

func (s *Store) ListRequests(ctx context.Context, f store.Filter, p store.Page) ([]domain.Request, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Request, error) { return st.ListRequests(ctx, f, p) })
}

func (st *state) GetRequest(_ context.Context, id string) (domain.Request, error) {
	r, err := memstore.Get(st.requests, id)
	return r.Clone(), err
}

// GetRequestByClientID: the empty client id is never indexed (CreateRequest).
func (st *state) GetRequestByClientID(_ context.Context, clientID string) (domain.Request, error) {
	r, err := memstore.GetBy(st.clients, clientID, st.requests)
	return r.Clone(), err
}

// ListRequests pages newest first: the page's Before is the kit page's After.
func (st *state) ListRequests(_ context.Context, f store.Filter, p store.Page) ([]domain.Request, error) {
	return memstore.PageDesc(st.requests, storekit.Page[string]{Size: p.Size, After: p.Before}, idOf, func(r domain.Request) bool {
		return (f.Status == "" || r.Status == f.Status) &&
			(f.Type == "" || r.Type == f.Type) &&
			(f.RequesterID == "" || r.RequesterID == f.RequesterID) &&
			(f.TargetUserID == "" || r.TargetUserID == f.TargetUserID) &&
			(f.AppID == "" || r.AppID == f.AppID) &&
			(f.ViewerID == "" || slices.Contains(r.ViewerIDs(), f.ViewerID))
	}, domain.Request.Clone), nil
}

func idOf(r domain.Request) string { return r.ID }

// tx writes straight into the state and logs how to undo each write (memstore.Put, Delete,
// Remember).
type tx struct {
	*state
	*memstore.Tx
	timer.MemoryScheduler
}

// recordChange keeps r as its change of version r.Version left it, and wakes r's watchers
// once the transaction commits.
func (t *tx) recordChange(r domain.Request) {
	memstore.Remember(t.Tx, t.changes, r.ID)
	r.BodyHash = ""
	t.changes[r.ID] = append(slices.Clip(t.changes[r.ID]), r.Clone())
	hub, id := t.hub, r.ID
	t.OnCommit(func() { hub.Publish(id) })
}

var _ store.Tx = (*tx)(nil)

// The write lock is held for the whole transaction: a lock is a read.
func (t *tx) LockRequest(ctx context.Context, id string) (domain.Request, error) {
	return t.GetRequest(ctx, id)
}

func (t *tx) CreateRequest(_ context.Context, r domain.Request) error {
	if err := memstore.InsertIndexed(t.Tx, t.requests, r.ID, r.Clone(), t.clients, r.ClientID); err != nil {
		return err
	}
	t.recordChange(r)
	return nil
}

func (t *tx) UpdateRequest(_ context.Context, r domain.Request) error {
	old, ok := t.requests[r.ID]
	if err := memstore.CheckUpdate(ok, old.Version, r.Version, store.ErrNotFound, store.ErrConflict); err != nil {
		return err
	}
	r.ClientID, r.BodyHash = old.ClientID, old.BodyHash
	memstore.Put(t.Tx, t.requests, r.ID, r.Clone())
	t.recordChange(r)
	return nil
}

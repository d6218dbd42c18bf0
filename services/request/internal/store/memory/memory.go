// Package memory is the embedded request store: everything in process memory, nothing
// survives a restart. It is the engine of the all-in-one process, never for production.
package memory

import (
	"context"
	"slices"
	"strings"
	"sync"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

type state struct {
	requests map[string]domain.Request
	clients  map[string]string // client id -> request id
}

// Store is the in-memory request store. Transactions hold one write lock.
type Store struct {
	mu sync.RWMutex
	st state
	ob outbox.Memory
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{st: state{requests: map[string]domain.Request{}, clients: map[string]string{}}}
}

// InTx runs fn holding the write lock; on error every write of fn is undone.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &tx{state: &s.st, batch: s.ob.Begin()}
	defer func() {
		if r := recover(); r != nil {
			t.rollback()
			panic(r)
		}
		if err != nil {
			t.rollback()
			return
		}
		if cerr := t.batch.Commit(); cerr != nil {
			t.rollback()
			err = cerr
		}
	}()
	return fn(ctx, t)
}

// Pending returns the oldest undelivered events of sink.
func (s *Store) Pending(ctx context.Context, sink string, limit int) ([]*eventsv1.Event, error) {
	return s.ob.Pending(ctx, sink, limit)
}

// Ack removes delivered events of sink.
func (s *Store) Ack(ctx context.Context, sink string, evs []*eventsv1.Event) error {
	return s.ob.Ack(ctx, sink, evs)
}

func (s *Store) Ping(context.Context) error { return nil }
func (s *Store) Close()                     {}

func (s *Store) GetRequest(ctx context.Context, id string) (domain.Request, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetRequest(ctx, id)
}

func (s *Store) GetRequestByClientID(ctx context.Context, clientID string) (domain.Request, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetRequestByClientID(ctx, clientID)
}

func (s *Store) ListRequests(ctx context.Context, f store.Filter, p store.Page) ([]domain.Request, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListRequests(ctx, f, p)
}

func (st *state) GetRequest(_ context.Context, id string) (domain.Request, error) {
	r, ok := st.requests[id]
	if !ok {
		return domain.Request{}, store.ErrNotFound
	}
	return r.Clone(), nil
}

func (st *state) GetRequestByClientID(ctx context.Context, clientID string) (domain.Request, error) {
	id, ok := st.clients[clientID]
	if !ok || clientID == "" {
		return domain.Request{}, store.ErrNotFound
	}
	return st.GetRequest(ctx, id)
}

// ListRequests scans every request: fine for the embedded engine, which is not for large data.
func (st *state) ListRequests(_ context.Context, f store.Filter, p store.Page) ([]domain.Request, error) {
	out := []domain.Request{}
	for _, r := range st.requests {
		switch {
		case p.Before != "" && r.ID >= p.Before:
		case f.Status != "" && r.Status != f.Status:
		case f.Type != "" && r.Type != f.Type:
		case f.RequesterID != "" && r.RequesterID != f.RequesterID:
		case f.TargetUserID != "" && r.TargetUserID != f.TargetUserID:
		case f.AppID != "" && r.AppID != f.AppID:
		case f.ViewerID != "" && !slices.Contains(r.ViewerIDs(), f.ViewerID):
		default:
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b domain.Request) int { return strings.Compare(b.ID, a.ID) })
	if p.Size > 0 && len(out) > p.Size {
		out = out[:p.Size]
	}
	for i := range out {
		out[i] = out[i].Clone()
	}
	return out, nil
}

// tx writes straight into the state and logs how to undo each write.
type tx struct {
	*state
	batch *outbox.Batch
	undo  []func()
}

var _ store.Tx = (*tx)(nil)

func (t *tx) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo = nil
}

func remember[K comparable, V any](t *tx, m map[K]V, k K) {
	old, had := m[k]
	t.undo = append(t.undo, func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
}

// The write lock is held for the whole transaction: a lock is a read.
func (t *tx) LockRequest(ctx context.Context, id string) (domain.Request, error) {
	return t.GetRequest(ctx, id)
}

func (t *tx) CreateRequest(_ context.Context, r domain.Request) error {
	if _, dup := t.requests[r.ID]; dup {
		return store.ErrConflict
	}
	if r.ClientID != "" {
		if _, dup := t.clients[r.ClientID]; dup {
			return store.ErrConflict
		}
		remember(t, t.clients, r.ClientID)
		t.clients[r.ClientID] = r.ID
	}
	remember(t, t.requests, r.ID)
	t.requests[r.ID] = r.Clone()
	return nil
}

func (t *tx) UpdateRequest(_ context.Context, r domain.Request) error {
	old, ok := t.requests[r.ID]
	if !ok {
		return store.ErrNotFound
	}
	if old.Version != r.Version-1 {
		return store.ErrConflict
	}
	r.ClientID, r.BodyHash = old.ClientID, old.BodyHash
	remember(t, t.requests, r.ID)
	t.requests[r.ID] = r.Clone()
	return nil
}

func (t *tx) MarkProcessed(_ context.Context, eventID string) (bool, error) {
	return t.batch.MarkProcessed(eventID), nil
}

func (t *tx) Retract(_ context.Context, sink, eventID string) error {
	t.batch.Retract(sink, eventID)
	return nil
}

func (t *tx) Emit(_ context.Context, sinks []string, ev *eventsv1.Event) error {
	return t.batch.Append(sinks, ev)
}

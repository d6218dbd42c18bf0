package resolver

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// MaxDelta is the most changes applied to an index incrementally; beyond it the index is
// rebuilt from the store.
const MaxDelta = 1000

// Source is what the resolver reads: the generation, its change log and active versions.
type Source interface {
	Generation(ctx context.Context) (int64, error)
	Changes(ctx context.Context, after int64, limit int) ([]store.Change, error)
	ActivePolicies(ctx context.Context) ([]domain.Active, error)
	PolicyStates(ctx context.Context, ids []string) ([]domain.Update, error)
}

// Resolver answers resolution from an index kept fresh by the store's generation.
type Resolver struct {
	src Source
	log *slog.Logger
	mu  sync.Mutex // one refresh at a time
	cur atomic.Pointer[snapshot]

	rebuilds, deltas atomic.Int64
}

type snapshot struct {
	gen int64
	ix  *domain.Index
}

// New returns a resolver over src; the index is built on first use (or by Refresh).
func New(src Source, log *slog.Logger) *Resolver {
	if log == nil {
		log = slog.Default()
	}
	return &Resolver{src: src, log: log}
}

// Index returns an index at least as fresh as the store's generation at the call.
func (r *Resolver) Index(ctx context.Context) (*domain.Index, error) {
	gen, err := r.src.Generation(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the index generation: %w", err)
	}
	if s := r.cur.Load(); s != nil && s.gen >= gen {
		return s.ix, nil
	}
	return r.refresh(ctx, gen)
}

// Resolve finds the governing policy of a request (see domain.Index.Resolve).
func (r *Resolver) Resolve(ctx context.Context, rt domain.RequestType, appID, permission string) (domain.Match, error) {
	ix, err := r.Index(ctx)
	if err != nil {
		return domain.Match{}, err
	}
	m, ok := ix.Resolve(rt, appID, permission)
	if !ok {
		return m, fmt.Errorf("no active policy for %s, not even the system default", rt)
	}
	return m, nil
}

// Refresh brings the index up to date now (after a commit in this process, or at start).
func (r *Resolver) Refresh(ctx context.Context) error {
	_, err := r.Index(ctx)
	return err
}

// Stats reports how often the index was rebuilt from scratch and updated incrementally.
func (r *Resolver) Stats() (rebuilds, deltas int64) { return r.rebuilds.Load(), r.deltas.Load() }

func (r *Resolver) refresh(ctx context.Context, gen int64) (*domain.Index, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.cur.Load()
	if s != nil && s.gen >= gen {
		return s.ix, nil // another caller refreshed while this one waited
	}
	if s == nil {
		return r.rebuild(ctx)
	}
	changes, err := r.src.Changes(ctx, s.gen, MaxDelta+1)
	if err != nil {
		return nil, fmt.Errorf("read index changes: %w", err)
	}
	if len(changes) == 0 || len(changes) > MaxDelta || changes[0].Generation != s.gen+1 {
		return r.rebuild(ctx) // a long gap, or a log that does not continue the index's
	}
	var ids []string
	for _, c := range changes {
		if !slices.Contains(ids, c.PolicyID) {
			ids = append(ids, c.PolicyID)
		}
	}
	updates, err := r.src.PolicyStates(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read changed policies: %w", err)
	}
	// A policy named in the log but gone from the store keeps nothing in the index.
	for _, id := range ids {
		if !slices.ContainsFunc(updates, func(u domain.Update) bool { return u.Policy.ID == id }) {
			return r.rebuild(ctx)
		}
	}
	next := &snapshot{gen: changes[len(changes)-1].Generation, ix: s.ix.With(updates)}
	r.cur.Store(next)
	r.deltas.Add(1)
	return next.ix, nil
}

// rebuild loads every active version. The generation is read first: the load sees at
// least every change up to it, and a later change is applied again by the next refresh,
// which is harmless (updates replace).
func (r *Resolver) rebuild(ctx context.Context) (*domain.Index, error) {
	gen, err := r.src.Generation(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the index generation: %w", err)
	}
	actives, err := r.src.ActivePolicies(ctx)
	if err != nil {
		return nil, fmt.Errorf("load active policies: %w", err)
	}
	next := &snapshot{gen: gen, ix: domain.NewIndex(actives)}
	r.cur.Store(next)
	r.rebuilds.Add(1)
	r.log.DebugContext(ctx, "policy resolution index rebuilt", "generation", gen, "policies", next.ix.Len())
	return next.ix, nil
}

package memory

import (
	"context"
	"slices"
	"sort"

	"github.com/grantflow/grantflow/pkg/memstore"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// scopeKey is one claim on resolution: the system default or global policy of a request
// type, the app policy of an app, or one permission of an app. A claim has one owner.
type scopeKey struct {
	rt        domain.RequestType
	level     domain.Level
	app, perm string
}

type state struct {
	policies   map[string]domain.Policy
	versions   map[string]map[int64]domain.Version // policy id -> number -> version
	claims     map[scopeKey]string                 // -> policy id
	generation int64
	changes    []store.Change // changes[i].Generation == i+1
}

// Store is the in-memory policy store.
type Store struct {
	memstore.Shell[state, store.Tx]
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{memstore.NewShell(state{policies: map[string]domain.Policy{}, versions: map[string]map[int64]domain.Version{}, claims: map[scopeKey]string{}}, wrap)}
}

func wrap(st *state, mt *memstore.Tx) store.Tx { return &tx{state: st, Tx: mt} }

// The Store's reads take the read lock and delegate to the state's.

func (s *Store) GetPolicy(ctx context.Context, id string) (domain.Policy, error) {
	return memstore.View(s.Engine, func(st *state) (domain.Policy, error) { return st.GetPolicy(ctx, id) })
}

func (s *Store) ListPolicies(ctx context.Context, f store.PolicyFilter, p store.Page) ([]domain.Policy, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Policy, error) { return st.ListPolicies(ctx, f, p) })
}

func (s *Store) OverlappingPolicies(ctx context.Context, rt domain.RequestType, level domain.Level, scope domain.Scope) ([]domain.Policy, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Policy, error) { return st.OverlappingPolicies(ctx, rt, level, scope) })
}

func (s *Store) GetVersion(ctx context.Context, policyID string, version int64) (domain.Version, error) {
	return memstore.View(s.Engine, func(st *state) (domain.Version, error) { return st.GetVersion(ctx, policyID, version) })
}

func (s *Store) ListVersions(ctx context.Context, policyID string, p store.VersionPage) ([]domain.Version, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Version, error) { return st.ListVersions(ctx, policyID, p) })
}

func (s *Store) Generation(ctx context.Context) (int64, error) {
	return memstore.View(s.Engine, func(st *state) (int64, error) { return st.Generation(ctx) })
}

func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]store.Change, error) {
	return memstore.View(s.Engine, func(st *state) ([]store.Change, error) { return st.Changes(ctx, after, limit) })
}

func (s *Store) ActivePolicies(ctx context.Context) ([]domain.Active, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Active, error) { return st.ActivePolicies(ctx) })
}

func (s *Store) PolicyStates(ctx context.Context, ids []string) ([]domain.Update, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Update, error) { return st.PolicyStates(ctx, ids) })
}

// state implements store.Reader; the caller holds a lock.

func (st *state) GetPolicy(_ context.Context, id string) (domain.Policy, error) {
	p, err := memstore.Get(st.policies, id)
	return clonePolicy(p), err
}

func (st *state) ListPolicies(_ context.Context, f store.PolicyFilter, p store.Page) ([]domain.Policy, error) {
	return memstore.Page(st.policies, p, func(pol domain.Policy) string { return pol.ID }, func(pol domain.Policy) bool {
		return (f.RequestType == "" || pol.RequestType == f.RequestType) && (f.AppID == "" || pol.Scope.AppID == f.AppID)
	}, clonePolicy), nil
}

func (st *state) OverlappingPolicies(_ context.Context, rt domain.RequestType, level domain.Level, scope domain.Scope) ([]domain.Policy, error) {
	var ids []string
	for _, k := range claimsOf(rt, level, scope) {
		if id, ok := st.claims[k]; ok && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := make([]domain.Policy, 0, len(ids))
	for _, id := range ids {
		out = append(out, clonePolicy(st.policies[id]))
	}
	return out, nil
}

func (st *state) GetVersion(_ context.Context, policyID string, version int64) (domain.Version, error) {
	v, err := memstore.Get(st.versions[policyID], version)
	return cloneVersion(v), err
}

func (st *state) ListVersions(_ context.Context, policyID string, p store.VersionPage) ([]domain.Version, error) {
	return memstore.Page(st.versions[policyID], p, func(v domain.Version) int64 { return v.Version }, memstore.All, cloneVersion), nil
}

func (st *state) Generation(ctx context.Context) (int64, error) {
	return st.generation, ctx.Err()
}

func (st *state) Changes(_ context.Context, after int64, limit int) ([]store.Change, error) {
	if after < 0 {
		after = 0
	}
	if after >= int64(len(st.changes)) {
		return []store.Change{}, nil
	}
	rest := st.changes[after:]
	if limit > 0 && len(rest) > limit {
		rest = rest[:limit]
	}
	return slices.Clone(rest), nil
}

func (st *state) ActivePolicies(_ context.Context) ([]domain.Active, error) {
	out := make([]domain.Active, 0, len(st.policies))
	for id, p := range st.policies {
		if p.ActiveVersion == 0 {
			continue
		}
		out = append(out, domain.Active{Policy: clonePolicy(p), Version: cloneVersion(st.versions[id][p.ActiveVersion])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Policy.ID < out[j].Policy.ID })
	return out, nil
}

func (st *state) PolicyStates(_ context.Context, ids []string) ([]domain.Update, error) {
	out := []domain.Update{}
	for _, id := range ids {
		p, ok := st.policies[id]
		if !ok {
			continue
		}
		u := domain.Update{Policy: clonePolicy(p)}
		if p.ActiveVersion != 0 {
			u.Active = &domain.Active{Policy: clonePolicy(p), Version: cloneVersion(st.versions[id][p.ActiveVersion])}
		}
		out = append(out, u)
	}
	return out, nil
}

// claimsOf lists the claims a policy of rt at level with scope makes.
func claimsOf(rt domain.RequestType, level domain.Level, scope domain.Scope) []scopeKey {
	switch level {
	case domain.LevelSystemDefault, domain.LevelGlobal:
		return []scopeKey{{rt: rt, level: level}}
	case domain.LevelApp:
		return []scopeKey{{rt: rt, level: level, app: scope.AppID}}
	case domain.LevelPermission:
		out := make([]scopeKey, len(scope.Permissions))
		for i, p := range scope.Permissions {
			out[i] = scopeKey{rt: rt, level: level, app: scope.AppID, perm: p}
		}
		return out
	}
	return nil
}

func clonePolicy(p domain.Policy) domain.Policy {
	p.Scope.Permissions = slices.Clone(p.Scope.Permissions)
	return p
}

func cloneVersion(v domain.Version) domain.Version {
	v.Workflow = cloneWorkflow(v.Workflow)
	return v
}

func cloneWorkflow(w domain.Workflow) domain.Workflow {
	w.ReviewSteps = slices.Clone(w.ReviewSteps)
	for i := range w.ReviewSteps {
		w.ReviewSteps[i] = cloneStep(w.ReviewSteps[i])
	}
	w.ActionStep = cloneStep(w.ActionStep)
	return w
}

func cloneStep(s domain.Step) domain.Step {
	s.Assignee.GroupIDs = slices.Clone(s.Assignee.GroupIDs)
	s.Assignee.UserIDs = slices.Clone(s.Assignee.UserIDs)
	return s
}

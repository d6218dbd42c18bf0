package memory

import (
	"context"
	"time"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

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

// remember logs the current value of m[k] (or its absence) so rollback restores it.
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

func (t *tx) LockPolicies(context.Context) error { return nil } // the write lock is held

func (t *tx) CreatePolicy(_ context.Context, p domain.Policy) error {
	if _, dup := t.policies[p.ID]; dup {
		return store.ErrConflict
	}
	claims := claimsOf(p.RequestType, p.Level, p.Scope)
	for _, k := range claims {
		if _, taken := t.claims[k]; taken {
			return store.ErrConflict
		}
	}
	for _, k := range claims {
		remember(t, t.claims, k)
		t.claims[k] = p.ID
	}
	remember(t, t.policies, p.ID)
	remember(t, t.versions, p.ID)
	t.policies[p.ID] = clonePolicy(p)
	t.versions[p.ID] = map[int64]domain.Version{}
	return nil
}

func (t *tx) UpdatePolicy(_ context.Context, p domain.Policy) error {
	old, ok := t.policies[p.ID]
	if !ok {
		return store.ErrNotFound
	}
	// The request type, level and scope never change: keep the stored ones.
	old.Name, old.ActiveVersion, old.LatestVersion, old.UpdateTime = p.Name, p.ActiveVersion, p.LatestVersion, p.UpdateTime
	remember(t, t.policies, p.ID)
	t.policies[p.ID] = old
	return nil
}

func (t *tx) CreateVersion(_ context.Context, v domain.Version) error {
	vs, ok := t.versions[v.PolicyID]
	if !ok {
		return store.ErrNotFound
	}
	if _, dup := vs[v.Version]; dup {
		return store.ErrConflict
	}
	if v.State != domain.StateDraft {
		return store.ErrImmutable // versions are born drafts
	}
	remember(t, vs, v.Version)
	vs[v.Version] = cloneVersion(v)
	return nil
}

// version returns the stored version and its policy's version map.
func (t *tx) version(policyID string, n int64) (domain.Version, map[int64]domain.Version, error) {
	vs := t.versions[policyID]
	v, ok := vs[n]
	if !ok {
		return v, nil, store.ErrNotFound
	}
	return v, vs, nil
}

func (t *tx) UpdateVersion(_ context.Context, v domain.Version) error {
	old, vs, err := t.version(v.PolicyID, v.Version)
	if err != nil {
		return err
	}
	if old.State != domain.StateDraft {
		return store.ErrImmutable
	}
	if old.Revision != v.Revision-1 {
		return store.ErrConflict
	}
	old.Workflow, old.UpdateTime, old.Revision = cloneWorkflow(v.Workflow), v.UpdateTime, v.Revision
	remember(t, vs, v.Version)
	vs[v.Version] = old
	return nil
}

func (t *tx) DeleteVersion(_ context.Context, policyID string, n int64) error {
	old, vs, err := t.version(policyID, n)
	if err != nil {
		return err
	}
	if old.State != domain.StateDraft {
		return store.ErrImmutable
	}
	remember(t, vs, n)
	delete(vs, n)
	return nil
}

func (t *tx) ActivateVersion(_ context.Context, policyID string, n int64, at time.Time) error {
	old, vs, err := t.version(policyID, n)
	if err != nil {
		return err
	}
	if old.State != domain.StateDraft {
		return store.ErrImmutable
	}
	for _, other := range vs {
		if other.State == domain.StateActive {
			return store.ErrConflict
		}
	}
	old.State, old.ActivateTime = domain.StateActive, at
	remember(t, vs, n)
	vs[n] = old
	return nil
}

func (t *tx) RetireVersion(_ context.Context, policyID string, n int64, at time.Time) error {
	old, vs, err := t.version(policyID, n)
	if err != nil {
		return err
	}
	if old.State != domain.StateActive {
		return store.ErrImmutable
	}
	old.State, old.RetireTime = domain.StateRetired, at
	remember(t, vs, n)
	vs[n] = old
	return nil
}

func (t *tx) BumpGeneration(_ context.Context, policyID string) (int64, error) {
	prevGen, prevLen := t.generation, len(t.changes)
	t.undo = append(t.undo, func() {
		t.generation = prevGen
		t.changes = t.changes[:prevLen]
	})
	t.generation++
	t.changes = append(t.changes, store.Change{Generation: t.generation, PolicyID: policyID})
	return t.generation, nil
}

func (t *tx) Emit(_ context.Context, sinks []string, ev *eventsv1.Event) error {
	return t.batch.Append(sinks, ev)
}

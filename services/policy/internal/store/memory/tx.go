package memory

import (
	"context"
	"time"

	"github.com/grantflow/grantflow/pkg/memstore"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// tx writes straight into the state and logs how to undo each write (memstore.Put, Delete,
// Remember).
type tx struct {
	*state
	*memstore.Tx
}

var _ store.Tx = (*tx)(nil)

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
		memstore.Put(t.Tx, t.claims, k, p.ID)
	}
	memstore.Put(t.Tx, t.policies, p.ID, clonePolicy(p))
	memstore.Put(t.Tx, t.versions, p.ID, map[int64]domain.Version{})
	return nil
}

func (t *tx) UpdatePolicy(_ context.Context, p domain.Policy) error {
	old, ok := t.policies[p.ID]
	if !ok {
		return store.ErrNotFound
	}
	// The request type, level and scope never change: keep the stored ones.
	old.Name, old.ActiveVersion, old.LatestVersion, old.UpdateTime = p.Name, p.ActiveVersion, p.LatestVersion, p.UpdateTime
	memstore.Put(t.Tx, t.policies, p.ID, old)
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
	memstore.Put(t.Tx, vs, v.Version, cloneVersion(v))
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
	memstore.Put(t.Tx, vs, v.Version, old)
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
	memstore.Delete(t.Tx, vs, n)
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
	memstore.Put(t.Tx, vs, n, old)
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
	memstore.Put(t.Tx, vs, n, old)
	return nil
}

func (t *tx) BumpGeneration(_ context.Context, policyID string) (int64, error) {
	prevGen, prevLen := t.generation, len(t.changes)
	t.OnRollback(func() {
		t.generation = prevGen
		t.changes = t.changes[:prevLen]
	})
	t.generation++
	t.changes = append(t.changes, store.Change{Generation: t.generation, PolicyID: policyID})
	return t.generation, nil
}

package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// FailedWriteLeavesTxUsable: a refused write (overlap, immutable, stale) does not
// spoil the transaction: the closure may handle it and go on, and the rest commits.
func (Cases) FailedWriteLeavesTxUsable(t *testing.T, s store.Store) {
	ctx := t.Context()
	createPolicies(t, s, newPolicy("p1", domain.GrantAccess, domain.Scope{AppID: "figma", Permissions: []string{"admin"}}))
	createVersions(t, s, newVersion("p1", 1), newVersion("p1", 2))
	activate(t, s, "p1", 1)
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		for what, err := range map[string]error{
			"overlap":  tx.CreatePolicy(ctx, newPolicy("p2", domain.GrantAccess, domain.Scope{AppID: "figma", Permissions: []string{"admin"}})),
			"delete":   tx.DeleteVersion(ctx, "p1", 1),
			"activate": tx.ActivateVersion(ctx, "p1", 2, storetestkit.At(3)),
			"stale":    tx.UpdateVersion(ctx, newVersion("p1", 2)),
			"dup":      tx.CreateVersion(ctx, newVersion("p1", 2)),
		} {
			if err == nil {
				return fmt.Errorf("%s: no error", what)
			}
		}
		return tx.CreatePolicy(ctx, newPolicy("p3", domain.GrantAccess, domain.Scope{AppID: "figma", Permissions: []string{"editor"}}))
	})
	storetestkit.Must(s.GetPolicy(ctx, "p3"))(t)
}

// snapshot is everything a reader can see of the fixture.
type snapshot struct {
	Policies []domain.Policy
	Versions []domain.Version
	Gen      int64
	Pending  int
}

func snap(t *testing.T, s store.Store) snapshot {
	t.Helper()
	ctx := t.Context()
	var out snapshot
	out.Policies = storetestkit.Must(s.ListPolicies(ctx, store.PolicyFilter{}, store.Page{}))(t)
	for _, p := range out.Policies {
		out.Versions = append(out.Versions, storetestkit.Must(s.ListVersions(ctx, p.ID, store.VersionPage{}))(t)...)
	}
	out.Gen = storetestkit.Must(s.Generation(ctx))(t)
	out.Pending = len(storetestkit.Must(s.Pending(ctx, "audit", 100))(t))
	return out
}

// everything makes one of each write.
func everything(ctx context.Context, tx store.Tx) error {
	steps := []func() error{
		func() error {
			return tx.CreatePolicy(ctx, newPolicy("new", domain.GrantAccess, domain.Scope{AppID: "slack"}))
		},
		func() error { return tx.CreateVersion(ctx, newVersion("new", 1)) },
		func() error { return tx.CreateVersion(ctx, newVersion("p1", 3)) },
		func() error { return tx.RetireVersion(ctx, "p1", 1, storetestkit.At(20)) },
		func() error { return tx.ActivateVersion(ctx, "p1", 2, storetestkit.At(20)) },
		func() error {
			p, err := tx.GetPolicy(ctx, "p1")
			if err != nil {
				return err
			}
			p.Name, p.ActiveVersion = "changed", 2
			return tx.UpdatePolicy(ctx, p)
		},
		func() error { return tx.DeleteVersion(ctx, "p1", 3) },
		func() error {
			v := newVersion("new", 1)
			v.Workflow, v.Revision = workflow("x"), 2
			return tx.UpdateVersion(ctx, v)
		},
		func() error { _, err := tx.BumpGeneration(ctx, "p1"); return err },
		func() error { return tx.Emit(ctx, []string{"audit"}, &eventsv1.Event{Action: "policy.created"}) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("step %d: %w", i, err)
		}
	}
	return nil
}

func fixture(t *testing.T, s store.Store) {
	createPolicies(t, s, newPolicy("p1", domain.GrantAccess, domain.Scope{}))
	createVersions(t, s, newVersion("p1", 1), newVersion("p1", 2))
	activate(t, s, "p1", 1)
}

func (Cases) ClosureErrorLeavesNothing(t *testing.T, s store.Store) {
	fixture(t, s)
	before := snap(t, s)
	storetestkit.FailTx(t, s, everything, errors.New("boom"))
	storetestkit.Check(t, "after a failed closure", snap(t, s), before)
}

func (Cases) ClosurePanicLeavesNothing(t *testing.T, s store.Store) {
	fixture(t, s)
	before := snap(t, s)
	storetestkit.PanicTx(t, s, everything)
	storetestkit.Check(t, "after a panicking closure", snap(t, s), before)
}

func (Cases) EventsPendingOnlyAfterCommitInOrder(t *testing.T, s store.Store) {
	storetestkit.Outbox(t, s, func(id string) *eventsv1.Event {
		return &eventsv1.Event{Id: id, Service: "grantflow-policy", Action: "policy.created", Subject: "policies/p", PolicyId: "p", PolicyVersion: 1}
	})
}

// LockPoliciesSerializesTransactions runs concurrent "create the global policy unless there is one"
// transactions that check by reading, not by the claim: LockPolicies must make them take
// turns, so exactly one creates it.
func (Cases) LockPoliciesSerializesTransactions(t *testing.T, s store.Store) {
	const workers = 8
	ctx := t.Context()
	var holders atomic.Int32
	var overlapped atomic.Bool
	errs := storetestkit.Parallel(workers, func(i int) error {
		return s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := tx.LockPolicies(ctx); err != nil {
				return err
			}
			if holders.Add(1) > 1 {
				overlapped.Store(true)
			}
			defer holders.Add(-1)
			existing, err := tx.OverlappingPolicies(ctx, domain.GrantAccess, domain.LevelGlobal, domain.Scope{})
			if err != nil || len(existing) > 0 {
				return err
			}
			return tx.CreatePolicy(ctx, newPolicy(fmt.Sprintf("g%d", i), domain.GrantAccess, domain.Scope{}))
		})
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if overlapped.Load() {
		t.Error("two transactions held the policies lock at once")
	}
	storetestkit.Check(t, "policies", len(storetestkit.Must(s.ListPolicies(ctx, store.PolicyFilter{}, store.Page{}))(t)), 1)
}

// ConcurrentDraftEditsOneWins races edits of one draft from the same revision: exactly one wins.
func (Cases) ConcurrentDraftEditsOneWins(t *testing.T, s store.Store) {
	const workers = 6
	ctx := t.Context()
	createPolicies(t, s, newPolicy("p1", domain.GrantAccess, domain.Scope{}))
	v := newVersion("p1", 1)
	createVersions(t, s, v)
	errs := storetestkit.Parallel(workers, func(i int) error {
		next := v
		next.Workflow, next.Revision = workflow(fmt.Sprintf("writer %d", i)), 2
		return s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.UpdateVersion(ctx, next) })
	})
	won := storetestkit.OneWins(t, errs, store.ErrConflict)
	storetestkit.Check(t, "winner's write", storetestkit.Must(s.GetVersion(ctx, "p1", 1))(t).Workflow, workflow(fmt.Sprintf("writer %d", won)))
}

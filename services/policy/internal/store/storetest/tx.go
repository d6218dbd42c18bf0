package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// testFailedWriteLeavesTxUsable: a refused write (overlap, immutable, stale) does not
// spoil the transaction: the closure may handle it and go on, and the rest commits.
func testFailedWriteLeavesTxUsable(t *testing.T, s store.Store) {
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

// everything makes one of each write, then fails with fail.
func everything(fail func() error) func(ctx context.Context, tx store.Tx) error {
	return func(ctx context.Context, tx store.Tx) error {
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
		return fail()
	}
}

func fixture(t *testing.T, s store.Store) {
	createPolicies(t, s, newPolicy("p1", domain.GrantAccess, domain.Scope{}))
	createVersions(t, s, newVersion("p1", 1), newVersion("p1", 2))
	activate(t, s, "p1", 1)
}

func testClosureErrorLeavesNothing(t *testing.T, s store.Store) {
	fixture(t, s)
	before := snap(t, s)
	boom := errors.New("boom")
	if err := s.InTx(t.Context(), everything(func() error { return boom })); !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want the closure's error", err)
	}
	storetestkit.Check(t, "after a failed closure", snap(t, s), before)
}

func testClosurePanicLeavesNothing(t *testing.T, s store.Store) {
	fixture(t, s)
	before := snap(t, s)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the caller")
			}
		}()
		_ = s.InTx(t.Context(), everything(func() error { panic("boom") }))
	}()
	storetestkit.Check(t, "after a panicking closure", snap(t, s), before)
}

func testEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, id := range []string{"e1", "e2"} {
			if err := tx.Emit(ctx, []string{"audit"}, &eventsv1.Event{Id: id, Action: "policy.created", Subject: "policies/p", PolicyId: "p", PolicyVersion: 1}); err != nil {
				return err
			}
		}
		if got := storetestkit.Must(s.Pending(ctx, "audit", 10))(t); len(got) != 0 {
			t.Errorf("pending before commit: %d", len(got))
		}
		return nil
	})
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.Emit(ctx, []string{"audit"}, &eventsv1.Event{Id: "e3", Action: "policy.version.activated"})
	})
	got := storetestkit.Must(s.Pending(ctx, "audit", 10))(t)
	ids := make([]string, len(got))
	for i, ev := range got {
		ids[i] = ev.GetId()
	}
	storetestkit.Check(t, "pending", ids, []string{"e1", "e2", "e3"})
	if got[0].GetPolicyId() != "p" || got[0].GetPolicyVersion() != 1 {
		t.Errorf("event fields lost: %v", got[0])
	}
	if err := s.Ack(ctx, "audit", got[:2]); err != nil {
		t.Fatal(err)
	}
	storetestkit.Check(t, "after ack", len(storetestkit.Must(s.Pending(ctx, "audit", 10))(t)), 1)
}

// testLockPolicies runs concurrent "create the global policy unless there is one"
// transactions that check by reading, not by the claim: LockPolicies must make them take
// turns, so exactly one creates it.
func testLockPolicies(t *testing.T, s store.Store) {
	const workers = 8
	ctx := t.Context()
	start := make(chan struct{})
	errs := make([]error, workers)
	var holders atomic.Int32
	var overlapped atomic.Bool
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			<-start
			errs[i] = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
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
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if overlapped.Load() {
		t.Error("two transactions held the policies lock at once")
	}
	storetestkit.Check(t, "policies", len(storetestkit.Must(s.ListPolicies(ctx, store.PolicyFilter{}, store.Page{}))(t)), 1)
}

// testConcurrentEdits races edits of one draft from the same revision: exactly one wins.
func testConcurrentEdits(t *testing.T, s store.Store) {
	const workers = 6
	ctx := t.Context()
	createPolicies(t, s, newPolicy("p1", domain.GrantAccess, domain.Scope{}))
	v := newVersion("p1", 1)
	createVersions(t, s, v)
	start := make(chan struct{})
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			<-start
			next := v
			next.Workflow, next.Revision = workflow(fmt.Sprintf("writer %d", i)), 2
			errs[i] = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.UpdateVersion(ctx, next) })
		})
	}
	close(start)
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("writers %d and %d both edited revision 1", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("writer %d: err = %v, want nil or ErrConflict", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no writer won")
	}
	storetestkit.Check(t, "winner's write", storetestkit.Must(s.GetVersion(ctx, "p1", 1))(t).Workflow, workflow(fmt.Sprintf("writer %d", won)))
}

package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// base is the suite's clock origin: UTC, with sub-microsecond digits that PostgreSQL drops.
var base = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)

// at returns a distinct instant for n, at microsecond precision.
func at(n int) time.Time {
	return base.Add(time.Duration(n) * time.Minute).Truncate(time.Microsecond)
}

// cmpOpts compares stored values: nil and empty slices alike, times as instants at
// microsecond precision (PostgreSQL's), whatever their location.
var cmpOpts = []cmp.Option{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b time.Time) bool {
		return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
	}),
}

// check fails t when got differs from want.
func check[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

// must takes a call's results and returns v, failing t at once when err is not nil.
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// wantErr fails t unless err is target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

// write runs fn in a transaction of s and fails t if it does not commit.
func write(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := s.InTx(t.Context(), fn); err != nil {
		t.Fatalf("InTx: %v", err)
	}
}

// attempt runs fn in a transaction and returns its error.
func attempt(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	return s.InTx(t.Context(), fn)
}

func newPolicy(id string, rt domain.RequestType, scope domain.Scope) domain.Policy {
	return domain.Policy{
		ID: id, Name: "Policy " + id, RequestType: rt, Scope: scope, Level: scope.Level(),
		LatestVersion: 1, CreateTime: at(1), UpdateTime: at(1), CreateBy: "admin-1",
	}
}

func workflow(names ...string) domain.Workflow {
	w := domain.Workflow{ActionStep: domain.Step{Name: "Act", Assignee: domain.Assignee{Kind: domain.AppOwner}}}
	for _, n := range names {
		w.ReviewSteps = append(w.ReviewSteps, domain.Step{Name: n, Assignee: domain.Assignee{Kind: domain.Manager}, Approval: domain.ApprovalAny})
	}
	return w
}

func newVersion(policyID string, n int64) domain.Version {
	return domain.Version{
		PolicyID: policyID, Version: n, State: domain.StateDraft, Workflow: workflow("Review"),
		CreateTime: at(2), UpdateTime: at(2), CreateBy: "admin-1", Revision: 1,
	}
}

func createPolicies(t *testing.T, s store.Store, ps ...domain.Policy) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, p := range ps {
			if err := tx.CreatePolicy(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

func createVersions(t *testing.T, s store.Store, vs ...domain.Version) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, v := range vs {
			if err := tx.CreateVersion(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// activate activates version n of policy id, setting the policy's active version, and
// bumps the generation, as the service does.
func activate(t *testing.T, s store.Store, id string, n int64) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		p, err := tx.GetPolicy(ctx, id)
		if err != nil {
			return err
		}
		if p.ActiveVersion != 0 {
			if err := tx.RetireVersion(ctx, id, p.ActiveVersion, at(9)); err != nil {
				return err
			}
		}
		if err := tx.ActivateVersion(ctx, id, n, at(8)); err != nil {
			return err
		}
		p.ActiveVersion, p.UpdateTime = n, at(8)
		if err := tx.UpdatePolicy(ctx, p); err != nil {
			return err
		}
		_, err = tx.BumpGeneration(ctx, id)
		return err
	})
}

func policyIDs(ps []domain.Policy) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func versionNumbers(vs []domain.Version) []int64 {
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return out
}

package storetest

import (
	"context"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// attempt runs fn in a transaction and returns its error.
func attempt(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	return s.InTx(t.Context(), fn)
}

func newPolicy(id string, rt domain.RequestType, scope domain.Scope) domain.Policy {
	return domain.Policy{
		ID: id, Name: "Policy " + id, RequestType: rt, Scope: scope, Level: scope.Level(),
		LatestVersion: 1, CreateTime: storetestkit.At(1), UpdateTime: storetestkit.At(1), CreateBy: "admin-1",
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
		CreateTime: storetestkit.At(2), UpdateTime: storetestkit.At(2), CreateBy: "admin-1", Revision: 1,
	}
}

// The writers of the fixtures, each in one transaction.
var (
	createPolicies = storetestkit.Putter(store.Tx.CreatePolicy)
	createVersions = storetestkit.Putter(store.Tx.CreateVersion)
)

// activate activates version n of policy id, setting the policy's active version, and
// bumps the generation, as the service does.
func activate(t *testing.T, s store.Store, id string, n int64) {
	t.Helper()
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		p, err := tx.GetPolicy(ctx, id)
		if err != nil {
			return err
		}
		if p.ActiveVersion != 0 {
			if err := tx.RetireVersion(ctx, id, p.ActiveVersion, storetestkit.At(9)); err != nil {
				return err
			}
		}
		if err := tx.ActivateVersion(ctx, id, n, storetestkit.At(8)); err != nil {
			return err
		}
		p.ActiveVersion, p.UpdateTime = n, storetestkit.At(8)
		if err := tx.UpdatePolicy(ctx, p); err != nil {
			return err
		}
		_, err = tx.BumpGeneration(ctx, id)
		return err
	})
}

func policyIDs(ps []domain.Policy) []string {
	return storetestkit.IDs(ps, func(p domain.Policy) string { return p.ID })
}

func versionNumbers(vs []domain.Version) []int64 {
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return out
}

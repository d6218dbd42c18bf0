package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

func (Cases) GenerationAndChanges(t *testing.T, s store.Store) {
	ctx := t.Context()
	storetestkit.Check(t, "initial generation", storetestkit.Must(s.Generation(ctx))(t), int64(0))
	storetestkit.Check(t, "initial changes", storetestkit.Must(s.Changes(ctx, 0, 10))(t), []store.Change{})
	var got []int64
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, id := range []string{"a", "b"} {
			g, err := tx.BumpGeneration(ctx, id)
			if err != nil {
				return err
			}
			got = append(got, g)
		}
		// The transaction sees its own bumps.
		g, err := tx.Generation(ctx)
		storetestkit.Check(t, "generation in tx", g, int64(2))
		return err
	})
	storetestkit.Check(t, "bumps", got, []int64{1, 2})
	// A rolled back bump leaves nothing.
	err := attempt(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.BumpGeneration(ctx, "c"); err != nil {
			return err
		}
		return errors.New("changed my mind")
	})
	if err == nil {
		t.Fatal("the closure's error was lost")
	}
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { _, err := tx.BumpGeneration(ctx, "a"); return err })
	storetestkit.Check(t, "generation", storetestkit.Must(s.Generation(ctx))(t), int64(3))
	storetestkit.Check(t, "changes", storetestkit.Must(s.Changes(ctx, 0, 0))(t), []store.Change{{Generation: 1, PolicyID: "a"}, {Generation: 2, PolicyID: "b"}, {Generation: 3, PolicyID: "a"}})
	storetestkit.Check(t, "changes after 1, limit 1", storetestkit.Must(s.Changes(ctx, 1, 1))(t), []store.Change{{Generation: 2, PolicyID: "b"}})
	storetestkit.Check(t, "changes after the last", storetestkit.Must(s.Changes(ctx, 3, 10))(t), []store.Change{})
}

func (Cases) ActivePoliciesAndStates(t *testing.T, s store.Store) {
	ctx := t.Context()
	createPolicies(t, s,
		newPolicy("p2", domain.GrantAccess, domain.Scope{AppID: "figma", Permissions: []string{"admin"}}),
		newPolicy("p1", domain.GrantAccess, domain.Scope{}),
		newPolicy("p3", domain.GrantAccess, domain.Scope{AppID: "figma"}),
	)
	createVersions(t, s, newVersion("p1", 1), newVersion("p1", 2), newVersion("p2", 1), newVersion("p3", 1))
	activate(t, s, "p1", 1)
	activate(t, s, "p1", 2)
	activate(t, s, "p2", 1)
	actives := storetestkit.Must(s.ActivePolicies(ctx))(t)
	if len(actives) != 2 || actives[0].Policy.ID != "p1" || actives[1].Policy.ID != "p2" {
		t.Fatalf("ActivePolicies = %+v", actives)
	}
	storetestkit.Check(t, "p1's active version", actives[0].Version, storetestkit.Must(s.GetVersion(ctx, "p1", 2))(t))
	storetestkit.Check(t, "p1", actives[0].Policy, storetestkit.Must(s.GetPolicy(ctx, "p1"))(t))
	storetestkit.Check(t, "p2's scope", actives[1].Policy.Scope, domain.Scope{AppID: "figma", Permissions: []string{"admin"}})

	states := storetestkit.Must(s.PolicyStates(ctx, []string{"p3", "nope", "p2"}))(t)
	if len(states) != 2 {
		t.Fatalf("PolicyStates = %+v", states)
	}
	for _, u := range states {
		switch u.Policy.ID {
		case "p2":
			if u.Active == nil || u.Active.Version.Version != 1 || u.Active.Version.State != domain.StateActive {
				t.Errorf("p2's state: %+v", u.Active)
			}
		case "p3":
			if u.Active != nil {
				t.Errorf("p3 has no active version, got %+v", u.Active)
			}
		default:
			t.Errorf("unexpected %s", u.Policy.ID)
		}
	}
}

package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

func testGeneration(t *testing.T, s store.Store) {
	ctx := t.Context()
	check(t, "initial generation", must(s.Generation(ctx))(t), int64(0))
	check(t, "initial changes", must(s.Changes(ctx, 0, 10))(t), []store.Change{})
	var got []int64
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, id := range []string{"a", "b"} {
			g, err := tx.BumpGeneration(ctx, id)
			if err != nil {
				return err
			}
			got = append(got, g)
		}
		// The transaction sees its own bumps.
		g, err := tx.Generation(ctx)
		check(t, "generation in tx", g, int64(2))
		return err
	})
	check(t, "bumps", got, []int64{1, 2})
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
	write(t, s, func(ctx context.Context, tx store.Tx) error { _, err := tx.BumpGeneration(ctx, "a"); return err })
	check(t, "generation", must(s.Generation(ctx))(t), int64(3))
	check(t, "changes", must(s.Changes(ctx, 0, 0))(t), []store.Change{{Generation: 1, PolicyID: "a"}, {Generation: 2, PolicyID: "b"}, {Generation: 3, PolicyID: "a"}})
	check(t, "changes after 1, limit 1", must(s.Changes(ctx, 1, 1))(t), []store.Change{{Generation: 2, PolicyID: "b"}})
	check(t, "changes after the last", must(s.Changes(ctx, 3, 10))(t), []store.Change{})
}

func testActivePolicies(t *testing.T, s store.Store) {
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
	actives := must(s.ActivePolicies(ctx))(t)
	if len(actives) != 2 || actives[0].Policy.ID != "p1" || actives[1].Policy.ID != "p2" {
		t.Fatalf("ActivePolicies = %+v", actives)
	}
	check(t, "p1's active version", actives[0].Version, must(s.GetVersion(ctx, "p1", 2))(t))
	check(t, "p1", actives[0].Policy, must(s.GetPolicy(ctx, "p1"))(t))
	check(t, "p2's scope", actives[1].Policy.Scope, domain.Scope{AppID: "figma", Permissions: []string{"admin"}})

	states := must(s.PolicyStates(ctx, []string{"p3", "nope", "p2"}))(t)
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

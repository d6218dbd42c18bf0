package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

func (Cases) PolicyRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newPolicy("p1", domain.GrantAccess, domain.Scope{AppID: "figma", Permissions: []string{"editor", "admin"}})
	p.ActiveVersion, p.LatestVersion = 0, 3
	createPolicies(t, s, p)
	storetestkit.Check(t, "GetPolicy", storetestkit.Must(s.GetPolicy(ctx, "p1"))(t), p)
	g := newPolicy("g1", domain.RemoveAccess, domain.Scope{})
	createPolicies(t, s, g)
	storetestkit.Check(t, "GetPolicy global", storetestkit.Must(s.GetPolicy(ctx, "g1"))(t), g)
	_, err := s.GetPolicy(ctx, "nope")
	storetestkit.WantErr(t, "GetPolicy(missing)", err, store.ErrNotFound)
}

func (Cases) CreatePolicyDuplicateID(t *testing.T, s store.Store) {
	createPolicies(t, s, newPolicy("p1", domain.GrantAccess, domain.Scope{AppID: "a"}))
	err := attempt(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CreatePolicy(ctx, newPolicy("p1", domain.RemoveAccess, domain.Scope{AppID: "b"}))
	})
	storetestkit.WantErr(t, "duplicate id", err, store.ErrConflict)
}

func (Cases) ScopeClaimsRefuseOverlaps(t *testing.T, s store.Store) {
	sys := newPolicy("sys", domain.GrantAccess, domain.Scope{})
	sys.Level = domain.LevelSystemDefault
	createPolicies(t, s,
		sys,
		newPolicy("global", domain.GrantAccess, domain.Scope{}),
		newPolicy("figma", domain.GrantAccess, domain.Scope{AppID: "figma"}),
		newPolicy("figma-admin", domain.GrantAccess, domain.Scope{AppID: "figma", Permissions: []string{"admin", "owner"}}),
		// The same scopes for another request type or another app are no overlap.
		newPolicy("remove-global", domain.RemoveAccess, domain.Scope{}),
		newPolicy("slack", domain.GrantAccess, domain.Scope{AppID: "slack"}),
		newPolicy("figma-editor", domain.GrantAccess, domain.Scope{AppID: "figma", Permissions: []string{"editor"}}),
		newPolicy("remove-figma-admin", domain.RemoveAccess, domain.Scope{AppID: "figma", Permissions: []string{"admin"}}),
	)
	sys2 := newPolicy("sys2", domain.GrantAccess, domain.Scope{})
	sys2.Level = domain.LevelSystemDefault
	for _, p := range []domain.Policy{
		sys2,
		newPolicy("global2", domain.GrantAccess, domain.Scope{}),
		newPolicy("figma2", domain.GrantAccess, domain.Scope{AppID: "figma"}),
		newPolicy("figma-owner", domain.GrantAccess, domain.Scope{AppID: "figma", Permissions: []string{"viewer", "owner"}}),
	} {
		err := attempt(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreatePolicy(ctx, p) })
		storetestkit.WantErr(t, "overlapping "+p.ID, err, store.ErrConflict)
		_, err = s.GetPolicy(t.Context(), p.ID)
		storetestkit.WantErr(t, "refused "+p.ID+" is absent", err, store.ErrNotFound)
	}
	// A refused permission policy claimed none of its permissions.
	createPolicies(t, s, newPolicy("figma-viewer", domain.GrantAccess, domain.Scope{AppID: "figma", Permissions: []string{"viewer"}}))
}

func (Cases) OverlappingPolicies(t *testing.T, s store.Store) {
	ctx := t.Context()
	createPolicies(t, s,
		newPolicy("global", domain.GrantAccess, domain.Scope{}),
		newPolicy("figma", domain.GrantAccess, domain.Scope{AppID: "figma"}),
		newPolicy("pa", domain.GrantAccess, domain.Scope{AppID: "figma", Permissions: []string{"admin"}}),
		newPolicy("pb", domain.GrantAccess, domain.Scope{AppID: "figma", Permissions: []string{"editor", "owner"}}),
	)
	for _, tc := range []struct {
		rt    domain.RequestType
		scope domain.Scope
		want  []string
	}{
		{domain.GrantAccess, domain.Scope{}, []string{"global"}},
		{domain.RemoveAccess, domain.Scope{}, []string{}},
		{domain.GrantAccess, domain.Scope{AppID: "figma"}, []string{"figma"}},
		{domain.GrantAccess, domain.Scope{AppID: "slack"}, []string{}},
		{domain.GrantAccess, domain.Scope{AppID: "figma", Permissions: []string{"owner", "admin", "x"}}, []string{"pa", "pb"}},
		{domain.GrantAccess, domain.Scope{AppID: "figma", Permissions: []string{"viewer"}}, []string{}},
	} {
		got := storetestkit.Must(s.OverlappingPolicies(ctx, tc.rt, tc.scope.Level(), tc.scope))(t)
		storetestkit.Check(t, fmt.Sprintf("OverlappingPolicies(%s, %+v)", tc.rt, tc.scope), policyIDs(got), tc.want)
	}
}

func (Cases) UpdatePolicyKeepsTypeAndScope(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := newPolicy("p1", domain.GrantAccess, domain.Scope{AppID: "figma"})
	createPolicies(t, s, p)
	changed := p
	changed.Name, changed.ActiveVersion, changed.LatestVersion, changed.UpdateTime = "Renamed", 2, 4, storetestkit.At(7)
	changed.RequestType, changed.Scope, changed.Level = domain.RemoveAccess, domain.Scope{AppID: "slack"}, domain.LevelApp
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdatePolicy(ctx, changed) })
	want := p
	want.Name, want.ActiveVersion, want.LatestVersion, want.UpdateTime = "Renamed", 2, 4, storetestkit.At(7)
	storetestkit.Check(t, "updated policy", storetestkit.Must(s.GetPolicy(ctx, "p1"))(t), want)
	err := attempt(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.UpdatePolicy(ctx, newPolicy("nope", domain.GrantAccess, domain.Scope{}))
	})
	storetestkit.WantErr(t, "UpdatePolicy(missing)", err, store.ErrNotFound)
}

func (Cases) ListPoliciesPagesAndFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	createPolicies(t, s,
		newPolicy("p3", domain.GrantAccess, domain.Scope{AppID: "figma"}),
		newPolicy("p1", domain.GrantAccess, domain.Scope{}),
		newPolicy("p5", domain.RemoveAccess, domain.Scope{AppID: "figma"}),
		newPolicy("p2", domain.GrantAccess, domain.Scope{AppID: "figma", Permissions: []string{"admin"}}),
		newPolicy("P4", domain.GrantAccess, domain.Scope{AppID: "slack"}),
	)
	all := storetestkit.Must(s.ListPolicies(ctx, store.PolicyFilter{}, store.Page{}))(t)
	storetestkit.Check(t, "all, bytewise by id", policyIDs(all), []string{"P4", "p1", "p2", "p3", "p5"})
	var pages [][]string
	after := ""
	for {
		page := storetestkit.Must(s.ListPolicies(ctx, store.PolicyFilter{}, store.Page{Size: 2, After: after}))(t)
		if len(page) == 0 {
			break
		}
		pages = append(pages, policyIDs(page))
		after = page[len(page)-1].ID
	}
	storetestkit.Check(t, "pages", pages, [][]string{{"P4", "p1"}, {"p2", "p3"}, {"p5"}})
	storetestkit.Check(t, "by type", policyIDs(storetestkit.Must(s.ListPolicies(ctx, store.PolicyFilter{RequestType: domain.GrantAccess}, store.Page{}))(t)), []string{"P4", "p1", "p2", "p3"})
	storetestkit.Check(t, "by app", policyIDs(storetestkit.Must(s.ListPolicies(ctx, store.PolicyFilter{AppID: "figma"}, store.Page{}))(t)), []string{"p2", "p3", "p5"})
	storetestkit.Check(t, "by type and app", policyIDs(storetestkit.Must(s.ListPolicies(ctx, store.PolicyFilter{RequestType: domain.GrantAccess, AppID: "figma"}, store.Page{Size: 1, After: "p2"}))(t)), []string{"p3"})
}

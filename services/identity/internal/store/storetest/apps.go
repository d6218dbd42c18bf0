package storetest

import (
	"context"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// richApp has every field set, lists in an order that is not sorted.
func richApp(id string) domain.App {
	return domain.App{
		ID:       id,
		Name:     "Billing " + id,
		OwnerIDs: []string{"u3", "u1"},
		Permissions: []domain.Permission{
			{Name: "write", Privileged: false},
			{Name: "admin", Privileged: true},
			{Name: "read", Privileged: false},
			{Name: "root", Privileged: true},
		},
		CustomRoles: []domain.CustomRole{
			{Name: "reviewer", UserIDs: []string{"u9", "u2"}},
			{Name: "approver", UserIDs: []string{"u1"}},
			{Name: "nobody-yet"},
		},
		Status:     domain.AppArchived,
		RequestID:  "req-add-" + id,
		CreateTime: storetestkit.At(40),
		UpdateTime: storetestkit.At(41),
		Version:    4,
	}
}

func (Cases) AppRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	rich := richApp("a1")
	bare := domain.App{ID: "a2", Name: "Bare", Status: domain.AppActive, CreateTime: storetestkit.At(1), UpdateTime: storetestkit.At(1), Version: 1}
	createApps(t, s, rich, bare)

	storetestkit.Check(t, "GetApp(rich)", storetestkit.Must(s.GetApp(ctx, "a1"))(t), rich)
	storetestkit.Check(t, "GetApp(bare)", storetestkit.Must(s.GetApp(ctx, "a2"))(t), bare)
	storetestkit.Check(t, "GetAppByName(other case)", storetestkit.Must(s.GetAppByName(ctx, "BILLING a1"))(t), rich)
	_, err := s.GetApp(ctx, "ghost")
	storetestkit.WantErr(t, "GetApp(ghost)", err, store.ErrNotFound)
	_, err = s.GetAppByName(ctx, "Ghost")
	storetestkit.WantErr(t, "GetAppByName(ghost)", err, store.ErrNotFound)
}

func (Cases) AppNameUniqueIgnoresCase(t *testing.T, s store.Store) {
	ctx := t.Context()
	a1, a2 := newApp("a1", "u1"), newApp("a2", "u1")
	a1.Name = "GitHub"
	a2.Name = "Slack"
	createApps(t, s, a1, a2)

	dupName := newApp("a3")
	dupName.Name = "github"
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.CreateApp(ctx, dupName) })
	storetestkit.WantErr(t, "CreateApp(same name, other case)", err, store.ErrConflict)
	_, err = s.GetApp(ctx, "a3")
	storetestkit.WantErr(t, "GetApp(rejected)", err, store.ErrNotFound)

	dupID := newApp("a1")
	dupID.Name = "Jira"
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.CreateApp(ctx, dupID) })
	storetestkit.WantErr(t, "CreateApp(same id)", err, store.ErrConflict)

	taken := a2
	taken.Name = "GITHUB"
	taken.Version = 2
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.UpdateApp(ctx, taken) })
	storetestkit.WantErr(t, "UpdateApp(name of a1)", err, store.ErrConflict)
	storetestkit.Check(t, "a2 after conflict", storetestkit.Must(s.GetApp(ctx, "a2"))(t), a2)

	// Renaming frees the old name; recasing one's own name is no conflict.
	renamed := a1
	renamed.Name = "GitLab"
	renamed.Version = 2
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateApp(ctx, renamed) })
	recased := a2
	recased.Name = "SLACK"
	recased.Version = 2
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateApp(ctx, recased) })
	_, err = s.GetAppByName(ctx, "GitHub")
	storetestkit.WantErr(t, "GetAppByName(old name)", err, store.ErrNotFound)
	storetestkit.Check(t, "GetAppByName(new name)", storetestkit.Must(s.GetAppByName(ctx, "gitlab"))(t), renamed)
	storetestkit.Check(t, "GetAppByName(recased)", storetestkit.Must(s.GetAppByName(ctx, "slack"))(t), recased)

	reuse := newApp("a4")
	reuse.Name = "github"
	createApps(t, s, reuse)
	storetestkit.Check(t, "GetAppByName(reused name)", storetestkit.Must(s.GetAppByName(ctx, "GitHub"))(t), reuse)
}

func (Cases) UpdateAppChecksVersionAndReplacesEverything(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := richApp("a1")
	createApps(t, s, a)

	next := a
	next.OwnerIDs = []string{"u7"}
	next.Permissions = []domain.Permission{{Name: "root", Privileged: true}, {Name: "read"}}
	next.CustomRoles = []domain.CustomRole{{Name: "approver", UserIDs: []string{"u4", "u1", "u3"}}}
	next.Status = domain.AppActive
	next.RequestID = ""
	next.UpdateTime = storetestkit.At(50)
	next.Version = 5
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateApp(ctx, next) })
	storetestkit.Check(t, "after update", storetestkit.Must(s.GetApp(ctx, "a1"))(t), next)

	emptied := next
	emptied.OwnerIDs = nil
	emptied.Permissions = nil
	emptied.CustomRoles = nil
	emptied.Version = 6
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateApp(ctx, emptied) })
	storetestkit.Check(t, "after emptying", storetestkit.Must(s.GetApp(ctx, "a1"))(t), emptied)

	stale := emptied
	stale.Name = "stale"
	stale.Version = 8
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.UpdateApp(ctx, stale) })
	storetestkit.WantErr(t, "UpdateApp(version gap)", err, store.ErrConflict)
	storetestkit.Check(t, "after stale update", storetestkit.Must(s.GetApp(ctx, "a1"))(t), emptied)

	missing := newApp("ghost")
	missing.Version = 2
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.UpdateApp(ctx, missing) })
	storetestkit.WantErr(t, "UpdateApp(missing)", err, store.ErrNotFound)
}

func (Cases) GetAppsReturnsKnownIDsSorted(t *testing.T, s store.Store) {
	ctx := t.Context()
	a1, a2, a3 := richApp("a1"), newApp("a2", "u1"), newApp("a3")
	createApps(t, s, a3, a1, a2)

	storetestkit.Check(t, "GetApps", storetestkit.Must(s.GetApps(ctx, []string{"a3", "ghost", "a1", "a1"}))(t), []domain.App{a1, a3})
	storetestkit.Check(t, "GetApps(unknown)", storetestkit.Must(s.GetApps(ctx, []string{"ghost"}))(t), []domain.App{})
	storetestkit.Check(t, "GetApps(nil)", storetestkit.Must(s.GetApps(ctx, nil))(t), []domain.App{})
}

func (Cases) ListAppsFilters(t *testing.T, s store.Store) {
	createApps(t, s,
		newApp("a1", "u1", "u2"),
		newApp("a2", "u2"),
		newApp("a3"),
		newApp("a4", "u3", "u1"),
		newApp("B5", "u1"),
	)
	for _, tc := range []struct {
		name string
		f    store.AppFilter
		p    store.Page
		want []string
	}{
		{"none", store.AppFilter{}, store.Page{}, []string{"B5", "a1", "a2", "a3", "a4"}},
		{"owner", store.AppFilter{OwnerID: "u1"}, store.Page{}, []string{"B5", "a1", "a4"}},
		{"owner of none", store.AppFilter{OwnerID: "u9"}, store.Page{}, []string{}},
		{"ids", store.AppFilter{IDs: []string{"a3", "ghost", "a1"}}, store.Page{}, []string{"a1", "a3"}},
		{"empty ids means none", store.AppFilter{IDs: []string{}}, store.Page{}, []string{}},
		{"owner and ids", store.AppFilter{OwnerID: "u2", IDs: []string{"a2", "a4"}}, store.Page{}, []string{"a2"}},
		{"first page", store.AppFilter{}, store.Page{Size: 2}, []string{"B5", "a1"}},
		{"next page", store.AppFilter{}, store.Page{Size: 2, After: "a1"}, []string{"a2", "a3"}},
		{"owner page", store.AppFilter{OwnerID: "u1"}, store.Page{Size: 1, After: "a1"}, []string{"a4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetestkit.Check(t, "ListApps ids", appIDs(storetestkit.Must(s.ListApps(t.Context(), tc.f, tc.p))(t)), tc.want)
		})
	}
	// Listing returns whole apps.
	got := storetestkit.Must(s.ListApps(t.Context(), store.AppFilter{IDs: []string{"a4"}}, store.Page{}))(t)
	storetestkit.Check(t, "ListApps(a4)", got, []domain.App{newApp("a4", "u3", "u1")})
}

func (Cases) OwnedApps(t *testing.T, s store.Store) {
	ctx := t.Context()
	archived := newApp("a3", "u1")
	archived.Status = domain.AppArchived
	createApps(t, s, newApp("a2", "u2", "u1"), archived, newApp("a1", "u1"), newApp("a4", "u2"))

	storetestkit.Check(t, "OwnedApps(u1)", storetestkit.Must(s.OwnedApps(ctx, "u1"))(t), []string{"a1", "a2", "a3"})
	storetestkit.Check(t, "OwnedApps(u2)", storetestkit.Must(s.OwnedApps(ctx, "u2"))(t), []string{"a2", "a4"})
	storetestkit.Check(t, "OwnedApps(u9)", storetestkit.Must(s.OwnedApps(ctx, "u9"))(t), []string{})
}

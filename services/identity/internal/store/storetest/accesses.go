package storetest

import (
	"context"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

func (Cases) PutAccessGetAndReplace(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newAccess("u1", "a1", "read")
	noRequest := newAccess("u1", "a2", "admin")
	noRequest.RequestID = ""
	putAccesses(t, s, a, noRequest)

	storetestkit.Check(t, "GetAccess(u1, a1)", storetestkit.Must(s.GetAccess(ctx, "u1", "a1"))(t), a)
	storetestkit.Check(t, "GetAccess(u1, a2)", storetestkit.Must(s.GetAccess(ctx, "u1", "a2"))(t), noRequest)

	// Put replaces the access of the same user and app.
	replaced := domain.Access{UserID: "u1", AppID: "a1", Permission: "admin", GrantTime: storetestkit.At(60), RequestID: "req-2"}
	putAccesses(t, s, replaced)
	storetestkit.Check(t, "GetAccess after replace", storetestkit.Must(s.GetAccess(ctx, "u1", "a1"))(t), replaced)
	storetestkit.Check(t, "ListAccesses(u1)", storetestkit.Must(s.ListAccesses(ctx, store.AccessFilter{UserID: "u1"}, store.AccessPage{}))(t), []domain.Access{replaced, noRequest})

	for _, k := range [][2]string{{"u1", "ghost"}, {"ghost", "a1"}, {"a1", "u1"}} {
		_, err := s.GetAccess(ctx, k[0], k[1])
		storetestkit.WantErr(t, "GetAccess("+k[0]+", "+k[1]+")", err, store.ErrNotFound)
	}
}

func (Cases) DeleteAccess(t *testing.T, s store.Store) {
	ctx := t.Context()
	putAccesses(t, s, newAccess("u1", "a1", "read"), newAccess("u1", "a2", "read"), newAccess("u2", "a1", "read"))
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteAccess(ctx, "u1", "a1") })

	_, err := s.GetAccess(ctx, "u1", "a1")
	storetestkit.WantErr(t, "GetAccess(deleted)", err, store.ErrNotFound)
	storetestkit.Check(t, "remaining", accessKeys(storetestkit.Must(s.ListAccesses(ctx, store.AccessFilter{}, store.AccessPage{}))(t)), []string{"u1/a2", "u2/a1"})

	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.DeleteAccess(ctx, "u1", "a1") })
	storetestkit.WantErr(t, "DeleteAccess(deleted again)", err, store.ErrNotFound)
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.DeleteAccess(ctx, "u9", "a9") })
	storetestkit.WantErr(t, "DeleteAccess(never held)", err, store.ErrNotFound)
}

func (Cases) ListAccessesOrderAndPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	putAccesses(t, s,
		newAccess("u2", "a2", "read"),
		newAccess("u1", "b1", "read"),
		newAccess("u3", "a1", "read"),
		newAccess("u1", "a1", "admin"),
		newAccess("u2", "a1", "read"),
		newAccess("U9", "a1", "read"),
	)
	want := []string{"U9/a1", "u1/a1", "u1/b1", "u2/a1", "u2/a2", "u3/a1"}
	all := storetestkit.Must(s.ListAccesses(ctx, store.AccessFilter{}, store.AccessPage{}))(t)
	storetestkit.Check(t, "ListAccesses(all)", accessKeys(all), want)
	storetestkit.Check(t, "ListAccesses(all)[1]", all[1], newAccess("u1", "a1", "admin"))

	var paged []string
	var p store.AccessPage
	for range len(want) + 1 {
		p.Size = 2
		page := storetestkit.Must(s.ListAccesses(ctx, store.AccessFilter{}, p))(t)
		if len(page) > 2 {
			t.Fatalf("page of size 2 has %d accesses", len(page))
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, accessKeys(page)...)
		last := page[len(page)-1]
		p.AfterUserID, p.AfterAppID = last.UserID, last.AppID
	}
	storetestkit.Check(t, "paged", paged, want)

	for _, tc := range []struct {
		name string
		p    store.AccessPage
		want []string
	}{
		{"after a user's first app", store.AccessPage{AfterUserID: "u1", AfterAppID: "a1"}, []string{"u1/b1", "u2/a1", "u2/a2", "u3/a1"}},
		{"after a user's last app", store.AccessPage{Size: 1, AfterUserID: "u1", AfterAppID: "b1"}, []string{"u2/a1"}},
		{"after an absent pair", store.AccessPage{AfterUserID: "u2", AfterAppID: "a15"}, []string{"u2/a2", "u3/a1"}},
		{"after an absent user", store.AccessPage{AfterUserID: "u15", AfterAppID: "z"}, []string{"u2/a1", "u2/a2", "u3/a1"}},
		{"after a user with an empty app", store.AccessPage{AfterUserID: "u2"}, []string{"u2/a1", "u2/a2", "u3/a1"}},
		{"past the end", store.AccessPage{AfterUserID: "u3", AfterAppID: "a1"}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetestkit.Check(t, "ListAccesses", accessKeys(storetestkit.Must(s.ListAccesses(t.Context(), store.AccessFilter{}, tc.p))(t)), tc.want)
		})
	}
}

func (Cases) ListAccessesFilters(t *testing.T, s store.Store) {
	putAccesses(t, s,
		newAccess("u1", "a1", "read"),
		newAccess("u1", "a2", "admin"),
		newAccess("u2", "a1", "write"),
		newAccess("u2", "a3", "read"),
		newAccess("u3", "a2", "read"),
		newAccess("u3", "a3", "admin"),
	)
	for _, tc := range []struct {
		name string
		f    store.AccessFilter
		p    store.AccessPage
		want []string
	}{
		{"none", store.AccessFilter{}, store.AccessPage{}, []string{"u1/a1", "u1/a2", "u2/a1", "u2/a3", "u3/a2", "u3/a3"}},
		{"user", store.AccessFilter{UserID: "u2"}, store.AccessPage{}, []string{"u2/a1", "u2/a3"}},
		{"app", store.AccessFilter{AppID: "a2"}, store.AccessPage{}, []string{"u1/a2", "u3/a2"}},
		{"user and app", store.AccessFilter{UserID: "u3", AppID: "a3"}, store.AccessPage{}, []string{"u3/a3"}},
		{"unknown user", store.AccessFilter{UserID: "u9"}, store.AccessPage{}, []string{}},
		{"one permission", store.AccessFilter{Permissions: []string{"admin"}}, store.AccessPage{}, []string{"u1/a2", "u3/a3"}},
		{"two permissions", store.AccessFilter{Permissions: []string{"write", "admin"}}, store.AccessPage{}, []string{"u1/a2", "u2/a1", "u3/a3"}},
		{"empty permissions do not filter", store.AccessFilter{AppID: "a1", Permissions: []string{}}, store.AccessPage{}, []string{"u1/a1", "u2/a1"}},
		{"app and permission", store.AccessFilter{AppID: "a3", Permissions: []string{"read"}}, store.AccessPage{}, []string{"u2/a3"}},
		{"restricted to users", store.AccessFilter{Restricted: true, VisibleUserIDs: []string{"u1", "u9"}}, store.AccessPage{}, []string{"u1/a1", "u1/a2"}},
		{"restricted to apps", store.AccessFilter{Restricted: true, VisibleAppIDs: []string{"a3"}}, store.AccessPage{}, []string{"u2/a3", "u3/a3"}},
		{"restricted to users or apps", store.AccessFilter{Restricted: true, VisibleUserIDs: []string{"u1"}, VisibleAppIDs: []string{"a3"}}, store.AccessPage{}, []string{"u1/a1", "u1/a2", "u2/a3", "u3/a3"}},
		{"restricted to nothing", store.AccessFilter{Restricted: true}, store.AccessPage{}, []string{}},
		{"restricted to empty lists", store.AccessFilter{Restricted: true, VisibleUserIDs: []string{}, VisibleAppIDs: []string{}}, store.AccessPage{}, []string{}},
		{"visibility ignored unless restricted", store.AccessFilter{VisibleUserIDs: []string{"u1"}}, store.AccessPage{}, []string{"u1/a1", "u1/a2", "u2/a1", "u2/a3", "u3/a2", "u3/a3"}},
		{"restricted and user", store.AccessFilter{UserID: "u3", Restricted: true, VisibleAppIDs: []string{"a2"}}, store.AccessPage{}, []string{"u3/a2"}},
		{"restricted and permission", store.AccessFilter{Permissions: []string{"read"}, Restricted: true, VisibleUserIDs: []string{"u2"}, VisibleAppIDs: []string{"a2"}}, store.AccessPage{}, []string{"u2/a3", "u3/a2"}},
		{"restricted, paged", store.AccessFilter{Restricted: true, VisibleUserIDs: []string{"u1"}, VisibleAppIDs: []string{"a3"}}, store.AccessPage{Size: 2, AfterUserID: "u1", AfterAppID: "a1"}, []string{"u1/a2", "u2/a3"}},
		{"app, paged across users", store.AccessFilter{AppID: "a1"}, store.AccessPage{Size: 1, AfterUserID: "u1", AfterAppID: "a1"}, []string{"u2/a1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetestkit.Check(t, "ListAccesses", accessKeys(storetestkit.Must(s.ListAccesses(t.Context(), tc.f, tc.p))(t)), tc.want)
		})
	}
}

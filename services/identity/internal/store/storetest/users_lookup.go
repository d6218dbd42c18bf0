package storetest

import (
	"context"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// UserExternalIDRoundTrip: the external id round-trips through create and update, and can be
// cleared.
func (Cases) UserExternalIDRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := newUser("u1", "")
	u.ExternalID = "00ujl29u0le5T6Aj10h7"
	createUsers(t, s, u, newUser("u2", ""))
	storetestkit.Check(t, "GetUser after create", storetestkit.Must(s.GetUser(ctx, "u1"))(t), u)
	storetestkit.Check(t, "GetUser without external id", storetestkit.Must(s.GetUser(ctx, "u2"))(t).ExternalID, "")

	next := u
	next.ExternalID = "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"
	next.Version = 2
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, next) })
	storetestkit.Check(t, "GetUser after update", storetestkit.Must(s.GetUser(ctx, "u1"))(t), next)

	cleared := next
	cleared.ExternalID = ""
	cleared.Version = 3
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, cleared) })
	storetestkit.Check(t, "GetUser after clearing", storetestkit.Must(s.GetUser(ctx, "u1"))(t), cleared)
}

// ListUsersLookups: the filters a provisioning client looks users up by. Email and
// display name match in any case, the external id exactly; they combine with each other,
// with the other filters and with paging.
func (Cases) ListUsersLookups(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b, c, d := newUser("a", ""), newUser("b", "a"), newUser("c", "a"), newUser("d", "a")
	a.Email, a.DisplayName, a.ExternalID = "ann@example.com", "Ann Lee", "EXT-1"
	b.Email, b.DisplayName, b.ExternalID = "bob@example.com", "Same Name", "ext-1"
	c.Email, c.DisplayName, c.ExternalID = "cat@example.com", "same name", "EXT-3"
	d.Email, d.DisplayName, d.Status = "dan@example.com", "Same Name", domain.UserOffboarded
	createUsers(t, s, d, c, b, a)

	for _, tc := range []struct {
		what string
		f    store.UserFilter
		want []string
	}{
		{"email", store.UserFilter{Email: "ann@example.com"}, []string{"a"}},
		{"email, other case", store.UserFilter{Email: "ANN@Example.COM"}, []string{"a"}},
		{"email unknown", store.UserFilter{Email: "nobody@example.com"}, []string{}},
		{"external id", store.UserFilter{ExternalID: "EXT-1"}, []string{"a"}},
		{"external id is case-exact", store.UserFilter{ExternalID: "ext-1"}, []string{"b"}},
		{"external id unknown", store.UserFilter{ExternalID: "EXT-9"}, []string{}},
		{"display name, any case", store.UserFilter{DisplayName: "SAME NAME"}, []string{"b", "c", "d"}},
		{"display name and active", store.UserFilter{DisplayName: "same name", ActiveOnly: true}, []string{"b", "c"}},
		{"display name and external id", store.UserFilter{DisplayName: "same name", ExternalID: "EXT-3"}, []string{"c"}},
		{"email and manager", store.UserFilter{Email: "bob@example.com", ManagerID: "a"}, []string{"b"}},
		{"email and other manager", store.UserFilter{Email: "bob@example.com", ManagerID: "b"}, []string{}},
		{"display name within ids", store.UserFilter{DisplayName: "Same Name", IDs: []string{"c", "d"}}, []string{"c", "d"}},
	} {
		storetestkit.Check(t, "ListUsers("+tc.what+")", userIDs(storetestkit.Must(s.ListUsers(ctx, tc.f, store.Page{}))(t)), tc.want)
	}

	first := storetestkit.Must(s.ListUsers(ctx, store.UserFilter{DisplayName: "same name"}, store.Page{Size: 2}))(t)
	storetestkit.Check(t, "first page", userIDs(first), []string{"b", "c"})
	rest := storetestkit.Must(s.ListUsers(ctx, store.UserFilter{DisplayName: "same name"}, store.Page{Size: 2, After: "c"}))(t)
	storetestkit.Check(t, "second page", userIDs(rest), []string{"d"})

	// Inside a transaction the lookups see the transaction's own writes.
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		e := newUser("e", "a")
		e.ExternalID = "EXT-5"
		if err := tx.CreateUser(ctx, e); err != nil {
			return err
		}
		got, err := tx.ListUsers(ctx, store.UserFilter{ExternalID: "EXT-5"}, store.Page{})
		if err != nil {
			return err
		}
		storetestkit.Check(t, "lookup in tx", userIDs(got), []string{"e"})
		return nil
	})
}

package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

func (Cases) UserRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	gm := newUser("gm", "")
	gm.Role = domain.RoleGeneralManager
	admin := domain.User{
		ID: "u1", Email: "admin@example.com", DisplayName: "Ada Admin", Role: domain.RoleAdmin,
		ManagerID: "gm", Status: domain.UserOffboarded, Bootstrap: true,
		CreateTime: storetestkit.At(10), UpdateTime: storetestkit.At(11), Version: 7,
	}
	createUsers(t, s, gm, admin)

	storetestkit.Check(t, "GetUser(gm)", storetestkit.Must(s.GetUser(ctx, "gm"))(t), gm)
	storetestkit.Check(t, "GetUser(u1)", storetestkit.Must(s.GetUser(ctx, "u1"))(t), admin)
	_, err := s.GetUser(ctx, "nobody")
	storetestkit.WantErr(t, "GetUser(nobody)", err, store.ErrNotFound)
}

func (Cases) UserTimesAreInstants(t *testing.T, s store.Store) {
	// A time in another zone, with nanoseconds, comes back as the same instant (to the
	// microsecond).
	zone := time.FixedZone("UTC+2", 2*60*60)
	u := newUser("u1", "")
	u.CreateTime = time.Date(2026, 5, 6, 7, 8, 9, 987654321, zone)
	u.UpdateTime = u.CreateTime.Add(time.Hour)
	createUsers(t, s, u)

	got := storetestkit.Must(s.GetUser(t.Context(), "u1"))(t)
	if want := u.CreateTime.Truncate(time.Microsecond); !got.CreateTime.Truncate(time.Microsecond).Equal(want) {
		t.Errorf("CreateTime = %v, want %v", got.CreateTime, want)
	}
	if want := u.UpdateTime.Truncate(time.Microsecond); !got.UpdateTime.Truncate(time.Microsecond).Equal(want) {
		t.Errorf("UpdateTime = %v, want %v", got.UpdateTime, want)
	}
}

func (Cases) CreateUserDuplicateID(t *testing.T, s store.Store) {
	createUsers(t, s, newUser("u1", ""))
	dup := newUser("u1", "")
	dup.Email = "other@example.com"
	err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error { return tx.CreateUser(ctx, dup) })
	storetestkit.WantErr(t, "CreateUser(same id)", err, store.ErrConflict)
	_, err = s.GetUserByEmail(t.Context(), "other@example.com")
	storetestkit.WantErr(t, "GetUserByEmail(rejected email)", err, store.ErrNotFound)
}

func (Cases) CreateUserDuplicateEmailIgnoresCase(t *testing.T, s store.Store) {
	ctx := t.Context()
	u1 := newUser("u1", "")
	u1.Email = "Ann@Example.com"
	createUsers(t, s, u1)

	u2 := newUser("u2", "")
	u2.Email = "ann@example.COM"
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.CreateUser(ctx, u2) })
	storetestkit.WantErr(t, "CreateUser(same email, other case)", err, store.ErrConflict)
	_, err = s.GetUser(ctx, "u2")
	storetestkit.WantErr(t, "GetUser(rejected user)", err, store.ErrNotFound)
}

func (Cases) UpdateUserChecksVersion(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := newUser("u1", "")
	createUsers(t, s, u)

	next := u
	next.DisplayName = "Renamed"
	next.Role = domain.RoleAdmin
	next.ManagerID = "gm"
	next.Status = domain.UserOffboarded
	next.Bootstrap = true
	next.UpdateTime = storetestkit.At(20)
	next.Version = 2
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, next) })
	storetestkit.Check(t, "after update", storetestkit.Must(s.GetUser(ctx, "u1"))(t), next)

	// Back to no manager: the empty ManagerID round-trips too.
	third := next
	third.ManagerID = ""
	third.Version = 3
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, third) })
	storetestkit.Check(t, "after second update", storetestkit.Must(s.GetUser(ctx, "u1"))(t), third)

	for _, v := range []int64{1, 3, 5} {
		stale := third
		stale.DisplayName = "stale"
		stale.Version = v
		err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, stale) })
		storetestkit.WantErr(t, fmt.Sprintf("UpdateUser(version %d over 3)", v), err, store.ErrConflict)
	}
	storetestkit.Check(t, "after stale updates", storetestkit.Must(s.GetUser(ctx, "u1"))(t), third)

	missing := newUser("nobody", "")
	missing.Version = 2
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, missing) })
	storetestkit.WantErr(t, "UpdateUser(missing)", err, store.ErrNotFound)
}

func (Cases) UpdateUserEmailStaysUnique(t *testing.T, s store.Store) {
	ctx := t.Context()
	u1, u2 := newUser("u1", ""), newUser("u2", "")
	createUsers(t, s, u1, u2)

	// Taking another user's email, in any case, conflicts and changes nothing.
	taken := u1
	taken.Email = "U2@EXAMPLE.COM"
	taken.Version = 2
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, taken) })
	storetestkit.WantErr(t, "UpdateUser(email of u2)", err, store.ErrConflict)
	storetestkit.Check(t, "u1 after conflict", storetestkit.Must(s.GetUser(ctx, "u1"))(t), u1)

	// Changing only the case of one's own email is no conflict.
	recased := u1
	recased.Email = "U1@example.com"
	recased.Version = 2
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, recased) })
	storetestkit.Check(t, "GetUserByEmail after recase", storetestkit.Must(s.GetUserByEmail(ctx, "u1@example.com"))(t), recased)

	// A new email frees the old one.
	moved := recased
	moved.Email = "new@example.com"
	moved.Version = 3
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, moved) })
	_, err = s.GetUserByEmail(ctx, "u1@example.com")
	storetestkit.WantErr(t, "GetUserByEmail(old email)", err, store.ErrNotFound)
	storetestkit.Check(t, "GetUserByEmail(new email)", storetestkit.Must(s.GetUserByEmail(ctx, "NEW@example.com"))(t), moved)

	u3 := newUser("u3", "")
	u3.Email = "u1@example.com"
	createUsers(t, s, u3)
	storetestkit.Check(t, "GetUserByEmail(reused email)", storetestkit.Must(s.GetUserByEmail(ctx, "u1@example.com"))(t), u3)
}

func (Cases) GetUserByEmailIgnoresCase(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := newUser("u1", "")
	u.Email = "Mixed.Case@Example.com"
	createUsers(t, s, u, newUser("u2", ""))

	for _, email := range []string{"Mixed.Case@Example.com", "mixed.case@example.com", "MIXED.CASE@EXAMPLE.COM"} {
		storetestkit.Check(t, "GetUserByEmail("+email+")", storetestkit.Must(s.GetUserByEmail(ctx, email))(t), u)
	}
	_, err := s.GetUserByEmail(ctx, "nobody@example.com")
	storetestkit.WantErr(t, "GetUserByEmail(unknown)", err, store.ErrNotFound)
	_, err = s.GetUserByEmail(ctx, "")
	storetestkit.WantErr(t, "GetUserByEmail(empty)", err, store.ErrNotFound)
}

func (Cases) GetUsersReturnsKnownIDsSorted(t *testing.T, s store.Store) {
	ctx := t.Context()
	u1, u2, u3 := newUser("u1", ""), newUser("u2", "u1"), newUser("u3", "u1")
	createUsers(t, s, u3, u1, u2)

	storetestkit.Check(t, "GetUsers(mixed)", storetestkit.Must(s.GetUsers(ctx, []string{"u3", "ghost", "u1", "u3"}))(t), []domain.User{u1, u3})
	storetestkit.Check(t, "GetUsers(unknown only)", storetestkit.Must(s.GetUsers(ctx, []string{"ghost"}))(t), []domain.User{})
	storetestkit.Check(t, "GetUsers(empty)", storetestkit.Must(s.GetUsers(ctx, []string{}))(t), []domain.User{})
	storetestkit.Check(t, "GetUsers(nil)", storetestkit.Must(s.GetUsers(ctx, nil))(t), []domain.User{})
}

func (Cases) ListUsersPagesByID(t *testing.T, s store.Store) {
	ctx := t.Context()
	// Ids order bytewise: upper case before lower case.
	ids := []string{"a1", "B2", "b1", "c3", "A9"}
	want := []string{"A9", "B2", "a1", "b1", "c3"}
	var users []domain.User
	for _, id := range ids {
		users = append(users, newUser(id, ""))
	}
	createUsers(t, s, users...)

	all := storetestkit.Must(s.ListUsers(ctx, store.UserFilter{}, store.Page{}))(t)
	storetestkit.Check(t, "ListUsers(all) ids", userIDs(all), want)
	storetestkit.Check(t, "ListUsers(all)[0]", all[0], users[4])

	var paged []string
	after := ""
	for range len(want) + 1 {
		page := storetestkit.Must(s.ListUsers(ctx, store.UserFilter{}, store.Page{Size: 2, After: after}))(t)
		if len(page) > 2 {
			t.Fatalf("page of size 2 has %d users", len(page))
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, userIDs(page)...)
		after = page[len(page)-1].ID
	}
	storetestkit.Check(t, "paged ids", paged, want)

	storetestkit.Check(t, "After an absent id", userIDs(storetestkit.Must(s.ListUsers(ctx, store.UserFilter{}, store.Page{After: "a0"}))(t)), []string{"a1", "b1", "c3"})
	storetestkit.Check(t, "After the last id", userIDs(storetestkit.Must(s.ListUsers(ctx, store.UserFilter{}, store.Page{After: "c3"}))(t)), []string{})
}

func (Cases) ListUsersFilters(t *testing.T, s store.Store) {
	gm := newUser("gm", "")
	gm.Role = domain.RoleGeneralManager
	a1 := newUser("a1", "gm")
	a1.Role = domain.RoleAdmin
	a2 := newUser("a2", "gm")
	a2.Role = domain.RoleAdmin
	a2.Status = domain.UserOffboarded
	u1 := newUser("u1", "a1")
	u2 := newUser("u2", "a1")
	u2.Status = domain.UserOffboarded
	u3 := newUser("u3", "gm")
	createUsers(t, s, gm, a1, a2, u1, u2, u3)

	for _, tc := range []struct {
		name string
		f    store.UserFilter
		p    store.Page
		want []string
	}{
		{"none", store.UserFilter{}, store.Page{}, []string{"a1", "a2", "gm", "u1", "u2", "u3"}},
		{"manager", store.UserFilter{ManagerID: "gm"}, store.Page{}, []string{"a1", "a2", "u3"}},
		{"manager without reports", store.UserFilter{ManagerID: "u1"}, store.Page{}, []string{}},
		{"ids", store.UserFilter{IDs: []string{"u3", "a2", "ghost"}}, store.Page{}, []string{"a2", "u3"}},
		{"empty ids means nobody", store.UserFilter{IDs: []string{}}, store.Page{}, []string{}},
		{"role", store.UserFilter{Role: domain.RoleAdmin}, store.Page{}, []string{"a1", "a2"}},
		{"general manager", store.UserFilter{Role: domain.RoleGeneralManager}, store.Page{}, []string{"gm"}},
		{"active only", store.UserFilter{ActiveOnly: true}, store.Page{}, []string{"a1", "gm", "u1", "u3"}},
		{"active admins", store.UserFilter{Role: domain.RoleAdmin, ActiveOnly: true}, store.Page{}, []string{"a1"}},
		{"manager and ids", store.UserFilter{ManagerID: "gm", IDs: []string{"a2", "u1", "u3"}}, store.Page{}, []string{"a2", "u3"}},
		{"manager, active, role", store.UserFilter{ManagerID: "a1", ActiveOnly: true, Role: domain.RoleUser}, store.Page{}, []string{"u1"}},
		{"filtered first page", store.UserFilter{ActiveOnly: true}, store.Page{Size: 2}, []string{"a1", "gm"}},
		{"filtered next page", store.UserFilter{ActiveOnly: true}, store.Page{Size: 2, After: "gm"}, []string{"u1", "u3"}},
		{"filtered page after a filtered-out id", store.UserFilter{ActiveOnly: true}, store.Page{Size: 1, After: "a2"}, []string{"gm"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := storetestkit.Must(s.ListUsers(t.Context(), tc.f, tc.p))(t)
			storetestkit.Check(t, "ListUsers ids", userIDs(got), tc.want)
		})
	}
}

func (Cases) DirectReportsAnyStatus(t *testing.T, s store.Store) {
	ctx := t.Context()
	gone := newUser("r2", "m1")
	gone.Status = domain.UserOffboarded
	createUsers(t, s, newUser("m1", ""), newUser("r3", "m1"), gone, newUser("r1", "m1"), newUser("x1", "r1"))

	storetestkit.Check(t, "DirectReports(m1)", storetestkit.Must(s.DirectReports(ctx, "m1"))(t), []string{"r1", "r2", "r3"})
	storetestkit.Check(t, "DirectReports(r1)", storetestkit.Must(s.DirectReports(ctx, "r1"))(t), []string{"x1"})
	storetestkit.Check(t, "DirectReports(x1)", storetestkit.Must(s.DirectReports(ctx, "x1"))(t), []string{})
	storetestkit.Check(t, "DirectReports(unknown)", storetestkit.Must(s.DirectReports(ctx, "ghost"))(t), []string{})
	storetestkit.Check(t, "DirectReports(empty id)", storetestkit.Must(s.DirectReports(ctx, ""))(t), []string{})
}

func (Cases) HasReportsCountsActiveOnly(t *testing.T, s store.Store) {
	gone := newUser("r2", "m2")
	gone.Status = domain.UserOffboarded
	createUsers(t, s, newUser("m1", ""), newUser("m2", "m1"), newUser("m3", "m1"), newUser("r1", "m3"), gone, newUser("r4", "m4"))

	got := storetestkit.Must(s.HasReports(t.Context(), []string{"m1", "m2", "m3", "r1", "ghost"}))(t)
	for id, want := range map[string]bool{"m1": true, "m2": false, "m3": true, "r1": false, "ghost": false} {
		if got[id] != want {
			t.Errorf("HasReports[%s] = %v, want %v", id, got[id], want)
		}
	}
	if got["m4"] {
		t.Error("HasReports answered true for an id it was not asked about")
	}
	if got := storetestkit.Must(s.HasReports(t.Context(), nil))(t); len(got) != 0 {
		t.Errorf("HasReports(nil) = %v, want empty", got)
	}
}

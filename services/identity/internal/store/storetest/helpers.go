package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
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

// must takes a call's results and returns v, failing t at once when err is not nil:
// must(s.GetUser(ctx, id))(t).
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

// newUser returns an active user reporting to managerID, with an email derived from id.
func newUser(id, managerID string) domain.User {
	return domain.User{
		ID:          id,
		Email:       id + "@example.com",
		DisplayName: "User " + id,
		Role:        domain.RoleUser,
		ManagerID:   managerID,
		Status:      domain.UserActive,
		CreateTime:  at(1),
		UpdateTime:  at(1),
		Version:     1,
	}
}

func newGroup(id string, members ...string) domain.Group {
	return domain.Group{
		ID: id, Name: "Group " + id, Description: "about " + id, MemberIDs: members,
		CreateTime: at(2), UpdateTime: at(2), Version: 1,
	}
}

func newApp(id string, owners ...string) domain.App {
	return domain.App{
		ID: id, Name: "App " + id, OwnerIDs: owners,
		Permissions: []domain.Permission{{Name: "read"}, {Name: "admin", Privileged: true}},
		Status:      domain.AppActive,
		CreateTime:  at(3), UpdateTime: at(3), Version: 1,
	}
}

func newAccess(userID, appID, permission string) domain.Access {
	return domain.Access{UserID: userID, AppID: appID, Permission: permission, GrantTime: at(4), RequestID: "req-" + userID + "-" + appID}
}

func newKey(id, userID string) domain.APIKey {
	return domain.APIKey{ID: id, UserID: userID, DisplayName: "key " + id, Hash: []byte("hash:" + id), CreateTime: at(5)}
}

func createUsers(t *testing.T, s store.Store, users ...domain.User) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, u := range users {
			if err := tx.CreateUser(ctx, u); err != nil {
				return fmt.Errorf("create user %s: %w", u.ID, err)
			}
		}
		return nil
	})
}

func createGroups(t *testing.T, s store.Store, groups ...domain.Group) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, g := range groups {
			if err := tx.CreateGroup(ctx, g); err != nil {
				return fmt.Errorf("create group %s: %w", g.ID, err)
			}
		}
		return nil
	})
}

func createApps(t *testing.T, s store.Store, apps ...domain.App) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, a := range apps {
			if err := tx.CreateApp(ctx, a); err != nil {
				return fmt.Errorf("create app %s: %w", a.ID, err)
			}
		}
		return nil
	})
}

func putAccesses(t *testing.T, s store.Store, accesses ...domain.Access) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, a := range accesses {
			if err := tx.PutAccess(ctx, a); err != nil {
				return fmt.Errorf("put access %s/%s: %w", a.UserID, a.AppID, err)
			}
		}
		return nil
	})
}

func createKeys(t *testing.T, s store.Store, keys ...domain.APIKey) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, k := range keys {
			if err := tx.CreateAPIKey(ctx, k); err != nil {
				return fmt.Errorf("create key %s: %w", k.ID, err)
			}
		}
		return nil
	})
}

func userIDs(users []domain.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

func groupIDs(groups []domain.Group) []string {
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = g.ID
	}
	return out
}

func appIDs(apps []domain.App) []string {
	out := make([]string, len(apps))
	for i, a := range apps {
		out[i] = a.ID
	}
	return out
}

// accessKeys names accesses as "user/app".
func accessKeys(accesses []domain.Access) []string {
	out := make([]string, len(accesses))
	for i, a := range accesses {
		out[i] = a.UserID + "/" + a.AppID
	}
	return out
}

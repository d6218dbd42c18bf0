package storetest

import (
	"context"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

func testTxReadsOwnWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	createGroups(t, s, newGroup("g0"))
	u1, u2 := newUser("u1", ""), newUser("u2", "u1")
	u2.Email = "Two@Example.com"
	g1 := newGroup("g1", "u2", "u1")
	a1 := newApp("a1", "u1")
	acc := newAccess("u2", "a1", "read")
	k1 := newKey("k1", "u2")

	write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.LockDirectory(ctx); err != nil {
			return err
		}
		// Taking the lock again in the same transaction is harmless.
		if err := tx.LockDirectory(ctx); err != nil {
			return err
		}
		for _, u := range []domain.User{u1, u2} {
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		check(t, "tx.GetUser", must(tx.GetUser(ctx, "u2"))(t), u2)
		check(t, "tx.GetUserByEmail", must(tx.GetUserByEmail(ctx, "two@example.com"))(t), u2)
		check(t, "tx.GetUsers", must(tx.GetUsers(ctx, []string{"u2", "u1"}))(t), []domain.User{u1, u2})
		check(t, "tx.ListUsers", userIDs(must(tx.ListUsers(ctx, store.UserFilter{ManagerID: "u1"}, store.Page{}))(t)), []string{"u2"})
		check(t, "tx.DirectReports", must(tx.DirectReports(ctx, "u1"))(t), []string{"u2"})
		check(t, "tx.HasReports", must(tx.HasReports(ctx, []string{"u1"}))(t), map[string]bool{"u1": true})

		u2b := u2
		u2b.DisplayName = "Changed in tx"
		u2b.Version = 2
		if err := tx.UpdateUser(ctx, u2b); err != nil {
			return err
		}
		check(t, "tx.GetUser after update", must(tx.GetUser(ctx, "u2"))(t), u2b)

		if err := tx.CreateGroup(ctx, g1); err != nil {
			return err
		}
		if err := tx.DeleteGroup(ctx, "g0"); err != nil {
			return err
		}
		check(t, "tx.GetGroup", must(tx.GetGroup(ctx, "g1"))(t), g1)
		check(t, "tx.GetGroups", must(tx.GetGroups(ctx, []string{"g0", "g1"}))(t), []domain.Group{g1})
		check(t, "tx.ListGroups", must(tx.ListGroups(ctx, store.Page{}))(t), []domain.Group{g1})

		if err := tx.CreateApp(ctx, a1); err != nil {
			return err
		}
		check(t, "tx.GetApp", must(tx.GetApp(ctx, "a1"))(t), a1)
		check(t, "tx.GetAppByName", must(tx.GetAppByName(ctx, "app A1"))(t), a1)
		check(t, "tx.GetApps", must(tx.GetApps(ctx, []string{"a1"}))(t), []domain.App{a1})
		check(t, "tx.ListApps", must(tx.ListApps(ctx, store.AppFilter{OwnerID: "u1"}, store.Page{}))(t), []domain.App{a1})
		check(t, "tx.OwnedApps", must(tx.OwnedApps(ctx, "u1"))(t), []string{"a1"})

		if err := tx.PutAccess(ctx, acc); err != nil {
			return err
		}
		check(t, "tx.GetAccess", must(tx.GetAccess(ctx, "u2", "a1"))(t), acc)
		check(t, "tx.ListAccesses", must(tx.ListAccesses(ctx, store.AccessFilter{AppID: "a1"}, store.AccessPage{}))(t), []domain.Access{acc})

		if err := tx.CreateAPIKey(ctx, k1); err != nil {
			return err
		}
		check(t, "tx.GetAPIKey", must(tx.GetAPIKey(ctx, "k1"))(t), k1)
		check(t, "tx.GetAPIKeyByHash", must(tx.GetAPIKeyByHash(ctx, k1.Hash))(t), k1)
		check(t, "tx.ListAPIKeys", must(tx.ListAPIKeys(ctx, "u2"))(t), []domain.APIKey{k1})

		if err := tx.RecordApplied(ctx, "r1", "done"); err != nil {
			return err
		}
		check(t, "tx.AppliedRequest", must(tx.AppliedRequest(ctx, "r1"))(t), "done")
		return nil
	})

	// And all of it committed.
	check(t, "GetUser(u2)", must(s.GetUser(ctx, "u2"))(t).DisplayName, "Changed in tx")
	check(t, "ListGroups", groupIDs(must(s.ListGroups(ctx, store.Page{}))(t)), []string{"g1"})
	check(t, "GetApp", must(s.GetApp(ctx, "a1"))(t), a1)
	check(t, "GetAccess", must(s.GetAccess(ctx, "u2", "a1"))(t), acc)
	check(t, "GetAPIKeyByHash", must(s.GetAPIKeyByHash(ctx, k1.Hash))(t), k1)
	check(t, "AppliedRequest", must(s.AppliedRequest(ctx, "r1"))(t), "done")
}

func testFailedWriteLeavesTxUsable(t *testing.T, s store.Store) {
	ctx := t.Context()
	u1 := newUser("u1", "")
	other := newUser("u0", "")
	a1, a0 := newApp("a1", "u1"), newApp("a0")
	createUsers(t, s, u1, other)
	createApps(t, s, a1, a0)
	createKeys(t, s, newKey("k1", "u1"))
	write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.RecordApplied(ctx, "r1", "x") })

	// Each write below fails; the transaction carries on and commits what comes after.
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		dup := newUser("u2", "")
		dup.Email = "U1@example.com"
		wantErr(t, "CreateUser(taken email)", tx.CreateUser(ctx, dup), store.ErrConflict)
		stale := u1
		wantErr(t, "UpdateUser(stale)", tx.UpdateUser(ctx, stale), store.ErrConflict)
		taken := u1
		taken.Email = other.Email
		taken.Version = 2
		wantErr(t, "UpdateUser(taken email)", tx.UpdateUser(ctx, taken), store.ErrConflict)
		dupApp := newApp("a2")
		dupApp.Name = a1.Name
		wantErr(t, "CreateApp(taken name)", tx.CreateApp(ctx, dupApp), store.ErrConflict)
		renamed := a0
		renamed.Name = a1.Name
		renamed.Version = 2
		wantErr(t, "UpdateApp(taken name)", tx.UpdateApp(ctx, renamed), store.ErrConflict)
		dupKey := newKey("k2", "u1")
		dupKey.Hash = newKey("k1", "u1").Hash
		wantErr(t, "CreateAPIKey(taken hash)", tx.CreateAPIKey(ctx, dupKey), store.ErrConflict)
		wantErr(t, "RecordApplied(again)", tx.RecordApplied(ctx, "r1", "y"), store.ErrConflict)
		if err := tx.CreateGroup(ctx, newGroup("g1")); err != nil {
			return err
		}
		wantErr(t, "CreateGroup(same id in the same tx)", tx.CreateGroup(ctx, newGroup("g1")), store.ErrConflict)
		wantErr(t, "UpdateGroup(missing)", tx.UpdateGroup(ctx, domain.Group{ID: "ghost", Version: 2}), store.ErrNotFound)
		wantErr(t, "DeleteGroup(missing)", tx.DeleteGroup(ctx, "ghost"), store.ErrNotFound)
		wantErr(t, "DeleteAccess(missing)", tx.DeleteAccess(ctx, "u1", "a1"), store.ErrNotFound)
		wantErr(t, "RevokeAPIKey(missing)", tx.RevokeAPIKey(ctx, "ghost", domain.APIKey{ID: "ghost"}), store.ErrNotFound)
		_, err := tx.GetUser(ctx, "ghost")
		wantErr(t, "GetUser(missing)", err, store.ErrNotFound)

		if err := tx.CreateUser(ctx, newUser("u2", "u1")); err != nil {
			return err
		}
		return tx.Emit(ctx, []string{"audit"}, &eventsv1.Event{Id: "e1", Action: "user.created", Subject: "users/u2"})
	})
	check(t, "GetUser(u2)", must(s.GetUser(ctx, "u2"))(t), newUser("u2", "u1"))
	check(t, "GetUser(u1) unchanged", must(s.GetUser(ctx, "u1"))(t), u1)
	check(t, "GetApp(a0) unchanged", must(s.GetApp(ctx, "a0"))(t), a0)
	check(t, "GetGroup(g1)", must(s.GetGroup(ctx, "g1"))(t), newGroup("g1"))
	check(t, "AppliedRequest(r1) unchanged", must(s.AppliedRequest(ctx, "r1"))(t), "x")
	check(t, "pending", eventIDs(must(s.Pending(ctx, "audit", 10))(t)), []string{"e1"})
}

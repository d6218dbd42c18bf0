package storetest

import (
	"context"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

func (Cases) TxReadsItsOwnWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	createGroups(t, s, newGroup("g0"))
	u1, u2 := newUser("u1", ""), newUser("u2", "u1")
	u2.Email = "Two@Example.com"
	g1 := newGroup("g1", "u2", "u1")
	a1 := newApp("a1", "u1")
	acc := newAccess("u2", "a1", "read")
	k1 := newKey("k1", "u2")

	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
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
		storetestkit.Check(t, "tx.GetUser", storetestkit.Must(tx.GetUser(ctx, "u2"))(t), u2)
		storetestkit.Check(t, "tx.GetUserByEmail", storetestkit.Must(tx.GetUserByEmail(ctx, "two@example.com"))(t), u2)
		storetestkit.Check(t, "tx.GetUsers", storetestkit.Must(tx.GetUsers(ctx, []string{"u2", "u1"}))(t), []domain.User{u1, u2})
		storetestkit.Check(t, "tx.ListUsers", userIDs(storetestkit.Must(tx.ListUsers(ctx, store.UserFilter{ManagerID: "u1"}, store.Page{}))(t)), []string{"u2"})
		storetestkit.Check(t, "tx.DirectReports", storetestkit.Must(tx.DirectReports(ctx, "u1"))(t), []string{"u2"})
		storetestkit.Check(t, "tx.HasReports", storetestkit.Must(tx.HasReports(ctx, []string{"u1"}))(t), map[string]bool{"u1": true})

		u2b := u2
		u2b.DisplayName = "Changed in tx"
		u2b.Version = 2
		if err := tx.UpdateUser(ctx, u2b); err != nil {
			return err
		}
		storetestkit.Check(t, "tx.GetUser after update", storetestkit.Must(tx.GetUser(ctx, "u2"))(t), u2b)

		if err := tx.CreateGroup(ctx, g1); err != nil {
			return err
		}
		if err := tx.DeleteGroup(ctx, "g0"); err != nil {
			return err
		}
		storetestkit.Check(t, "tx.GetGroup", storetestkit.Must(tx.GetGroup(ctx, "g1"))(t), g1)
		storetestkit.Check(t, "tx.GetGroups", storetestkit.Must(tx.GetGroups(ctx, []string{"g0", "g1"}))(t), []domain.Group{g1})
		storetestkit.Check(t, "tx.ListGroups", storetestkit.Must(tx.ListGroups(ctx, store.Page{}))(t), []domain.Group{g1})

		if err := tx.CreateApp(ctx, a1); err != nil {
			return err
		}
		storetestkit.Check(t, "tx.GetApp", storetestkit.Must(tx.GetApp(ctx, "a1"))(t), a1)
		storetestkit.Check(t, "tx.GetAppByName", storetestkit.Must(tx.GetAppByName(ctx, "app A1"))(t), a1)
		storetestkit.Check(t, "tx.GetApps", storetestkit.Must(tx.GetApps(ctx, []string{"a1"}))(t), []domain.App{a1})
		storetestkit.Check(t, "tx.ListApps", storetestkit.Must(tx.ListApps(ctx, store.AppFilter{OwnerID: "u1"}, store.Page{}))(t), []domain.App{a1})
		storetestkit.Check(t, "tx.OwnedApps", storetestkit.Must(tx.OwnedApps(ctx, "u1"))(t), []string{"a1"})

		if err := tx.PutAccess(ctx, acc); err != nil {
			return err
		}
		storetestkit.Check(t, "tx.GetAccess", storetestkit.Must(tx.GetAccess(ctx, "u2", "a1"))(t), acc)
		storetestkit.Check(t, "tx.ListAccesses", storetestkit.Must(tx.ListAccesses(ctx, store.AccessFilter{AppID: "a1"}, store.AccessPage{}))(t), []domain.Access{acc})

		if err := tx.CreateAPIKey(ctx, k1); err != nil {
			return err
		}
		storetestkit.Check(t, "tx.GetAPIKey", storetestkit.Must(tx.GetAPIKey(ctx, "k1"))(t), k1)
		storetestkit.Check(t, "tx.GetAPIKeyByHash", storetestkit.Must(tx.GetAPIKeyByHash(ctx, k1.Hash))(t), k1)
		storetestkit.Check(t, "tx.ListAPIKeys", storetestkit.Must(tx.ListAPIKeys(ctx, "u2"))(t), []domain.APIKey{k1})

		if err := tx.RecordApplied(ctx, "r1", "done"); err != nil {
			return err
		}
		storetestkit.Check(t, "tx.AppliedRequest", storetestkit.Must(tx.AppliedRequest(ctx, "r1"))(t), "done")
		return nil
	})

	// And all of it committed.
	storetestkit.Check(t, "GetUser(u2)", storetestkit.Must(s.GetUser(ctx, "u2"))(t).DisplayName, "Changed in tx")
	storetestkit.Check(t, "ListGroups", groupIDs(storetestkit.Must(s.ListGroups(ctx, store.Page{}))(t)), []string{"g1"})
	storetestkit.Check(t, "GetApp", storetestkit.Must(s.GetApp(ctx, "a1"))(t), a1)
	storetestkit.Check(t, "GetAccess", storetestkit.Must(s.GetAccess(ctx, "u2", "a1"))(t), acc)
	storetestkit.Check(t, "GetAPIKeyByHash", storetestkit.Must(s.GetAPIKeyByHash(ctx, k1.Hash))(t), k1)
	storetestkit.Check(t, "AppliedRequest", storetestkit.Must(s.AppliedRequest(ctx, "r1"))(t), "done")
}

func (Cases) FailedWriteLeavesTxUsable(t *testing.T, s store.Store) {
	ctx := t.Context()
	u1 := newUser("u1", "")
	other := newUser("u0", "")
	a1, a0 := newApp("a1", "u1"), newApp("a0")
	createUsers(t, s, u1, other)
	createApps(t, s, a1, a0)
	createKeys(t, s, newKey("k1", "u1"))
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.RecordApplied(ctx, "r1", "x") })

	// Each write below fails; the transaction carries on and commits what comes after.
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		dup := newUser("u2", "")
		dup.Email = "U1@example.com"
		storetestkit.WantErr(t, "CreateUser(taken email)", tx.CreateUser(ctx, dup), store.ErrConflict)
		stale := u1
		storetestkit.WantErr(t, "UpdateUser(stale)", tx.UpdateUser(ctx, stale), store.ErrConflict)
		taken := u1
		taken.Email = other.Email
		taken.Version = 2
		storetestkit.WantErr(t, "UpdateUser(taken email)", tx.UpdateUser(ctx, taken), store.ErrConflict)
		dupApp := newApp("a2")
		dupApp.Name = a1.Name
		storetestkit.WantErr(t, "CreateApp(taken name)", tx.CreateApp(ctx, dupApp), store.ErrConflict)
		renamed := a0
		renamed.Name = a1.Name
		renamed.Version = 2
		storetestkit.WantErr(t, "UpdateApp(taken name)", tx.UpdateApp(ctx, renamed), store.ErrConflict)
		dupKey := newKey("k2", "u1")
		dupKey.Hash = newKey("k1", "u1").Hash
		storetestkit.WantErr(t, "CreateAPIKey(taken hash)", tx.CreateAPIKey(ctx, dupKey), store.ErrConflict)
		storetestkit.WantErr(t, "RecordApplied(again)", tx.RecordApplied(ctx, "r1", "y"), store.ErrConflict)
		if err := tx.CreateGroup(ctx, newGroup("g1")); err != nil {
			return err
		}
		storetestkit.WantErr(t, "CreateGroup(same id in the same tx)", tx.CreateGroup(ctx, newGroup("g1")), store.ErrConflict)
		storetestkit.WantErr(t, "UpdateGroup(missing)", tx.UpdateGroup(ctx, domain.Group{ID: "ghost", Version: 2}), store.ErrNotFound)
		storetestkit.WantErr(t, "DeleteGroup(missing)", tx.DeleteGroup(ctx, "ghost"), store.ErrNotFound)
		storetestkit.WantErr(t, "DeleteAccess(missing)", tx.DeleteAccess(ctx, "u1", "a1"), store.ErrNotFound)
		storetestkit.WantErr(t, "RevokeAPIKey(missing)", tx.RevokeAPIKey(ctx, "ghost", domain.APIKey{ID: "ghost"}), store.ErrNotFound)
		_, err := tx.GetUser(ctx, "ghost")
		storetestkit.WantErr(t, "GetUser(missing)", err, store.ErrNotFound)

		if err := tx.CreateUser(ctx, newUser("u2", "u1")); err != nil {
			return err
		}
		return tx.Emit(ctx, []string{"audit"}, &eventsv1.Event{Id: "e1", Action: "user.created", Subject: "users/u2"})
	})
	storetestkit.Check(t, "GetUser(u2)", storetestkit.Must(s.GetUser(ctx, "u2"))(t), newUser("u2", "u1"))
	storetestkit.Check(t, "GetUser(u1) unchanged", storetestkit.Must(s.GetUser(ctx, "u1"))(t), u1)
	storetestkit.Check(t, "GetApp(a0) unchanged", storetestkit.Must(s.GetApp(ctx, "a0"))(t), a0)
	storetestkit.Check(t, "GetGroup(g1)", storetestkit.Must(s.GetGroup(ctx, "g1"))(t), newGroup("g1"))
	storetestkit.Check(t, "AppliedRequest(r1) unchanged", storetestkit.Must(s.AppliedRequest(ctx, "r1"))(t), "x")
	storetestkit.Check(t, "pending", storetestkit.EventIDs(storetestkit.Must(s.Pending(ctx, "audit", 10))(t)), []string{"e1"})
}

package storetest

import (
	"context"
	"errors"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// snapshot is everything a reader can see of the rollback fixture.
type snapshot struct {
	Users    []domain.User
	Groups   []domain.Group
	Apps     []domain.App
	Accesses []domain.Access
	Keys     []domain.APIKey
	ByEmail  map[string]string // email -> user id, "" when not found
	ByName   map[string]string // app name -> app id
	ByHash   map[string]string // key hash -> key id
	Applied  map[string]string // request id -> result, "<none>" when not found
	Audit    []string          // pending event ids
}

func takeSnapshot(t *testing.T, s store.Store) snapshot {
	t.Helper()
	ctx := t.Context()
	snap := snapshot{
		Users:    storetestkit.Must(s.ListUsers(ctx, store.UserFilter{}, store.Page{}))(t),
		Groups:   storetestkit.Must(s.ListGroups(ctx, store.Page{}))(t),
		Apps:     storetestkit.Must(s.ListApps(ctx, store.AppFilter{}, store.Page{}))(t),
		Accesses: storetestkit.Must(s.ListAccesses(ctx, store.AccessFilter{}, store.AccessPage{}))(t),
		ByEmail:  map[string]string{},
		ByName:   map[string]string{},
		ByHash:   map[string]string{},
		Applied:  map[string]string{},
		Audit:    storetestkit.EventIDs(storetestkit.Must(s.Pending(ctx, "audit", 100))(t)),
	}
	for _, u := range []string{"u1", "u2", "u3"} {
		snap.Keys = append(snap.Keys, storetestkit.Must(s.ListAPIKeys(ctx, u))(t)...)
	}
	for _, email := range []string{"u1@example.com", "u2@example.com", "u3@example.com", "moved@example.com"} {
		u, err := s.GetUserByEmail(ctx, email)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		snap.ByEmail[email] = u.ID
	}
	for _, name := range []string{"App a1", "App a2", "Renamed"} {
		a, err := s.GetAppByName(ctx, name)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		snap.ByName[name] = a.ID
	}
	for _, id := range []string{"k1", "k2"} {
		k, err := s.GetAPIKeyByHash(ctx, newKey(id, "").Hash)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		snap.ByHash[id] = k.ID
	}
	for _, id := range []string{"r0", "r1"} {
		res, err := s.AppliedRequest(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			res = "<none>"
		} else if err != nil {
			t.Fatal(err)
		}
		snap.Applied[id] = res
	}
	return snap
}

// rollbackFixture commits the state that writeEverything then changes in every way.
func rollbackFixture(t *testing.T, s store.Store) {
	createUsers(t, s, newUser("u1", ""), newUser("u2", "u1"))
	createGroups(t, s, newGroup("g1", "u1"), newGroup("g2", "u2"))
	createApps(t, s, newApp("a1", "u1"))
	putAccesses(t, s, newAccess("u1", "a1", "read"), newAccess("u2", "a1", "read"))
	createKeys(t, s, newKey("k1", "u1"))
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.RecordApplied(ctx, "r0", "kept"); err != nil {
			return err
		}
		return tx.Emit(ctx, []string{"audit"}, &eventsv1.Event{Id: "e0", Action: "fixture"})
	})
}

// writeEverything makes every kind of write in tx, each of which a rollback must undo.
func writeEverything(ctx context.Context, t *testing.T, tx store.Tx) error {
	steps := []func() error{
		func() error { return tx.LockDirectory(ctx) },
		func() error { return tx.CreateUser(ctx, newUser("u3", "u1")) },
		func() error {
			u := newUser("u1", "")
			u.Email, u.DisplayName, u.Version = "moved@example.com", "Moved", 2
			return tx.UpdateUser(ctx, u)
		},
		func() error { return tx.CreateGroup(ctx, newGroup("g3", "u3")) },
		func() error {
			g := newGroup("g1", "u3", "u2")
			g.Version = 2
			return tx.UpdateGroup(ctx, g)
		},
		func() error { return tx.DeleteGroup(ctx, "g2") },
		func() error { return tx.CreateApp(ctx, newApp("a2", "u3")) },
		func() error {
			a := richApp("a1")
			a.Name, a.Version = "Renamed", 2
			return tx.UpdateApp(ctx, a)
		},
		func() error { return tx.PutAccess(ctx, newAccess("u1", "a1", "admin")) },
		func() error { return tx.PutAccess(ctx, newAccess("u3", "a2", "read")) },
		func() error { return tx.DeleteAccess(ctx, "u2", "a1") },
		func() error { return tx.CreateAPIKey(ctx, newKey("k2", "u3")) },
		func() error {
			k := newKey("k1", "u1")
			k.RevokeTime = storetestkit.At(80)
			return tx.RevokeAPIKey(ctx, "k1", k)
		},
		func() error { return tx.RecordApplied(ctx, "r1", "lost") },
		func() error {
			return tx.Emit(ctx, []string{"audit", "request"}, &eventsv1.Event{Id: "e1", Action: "lost"})
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Errorf("step %d: %v", i, err)
			return err
		}
	}
	// The writes are visible inside the transaction before it fails.
	if _, err := tx.GetUser(ctx, "u3"); err != nil {
		t.Errorf("tx.GetUser(u3) after create: %v", err)
	}
	return nil
}

// checkRolledBack compares s with before, and checks that the rolled-back uniqueness claims
// are free again and the original ones still held.
func checkRolledBack(t *testing.T, s store.Store, before snapshot) {
	t.Helper()
	storetestkit.Check(t, "state after rollback", takeSnapshot(t, s), before)
	if got := storetestkit.Must(s.Pending(t.Context(), "request", 10))(t); len(got) != 0 {
		t.Errorf("Pending(request) after rollback = %v, want none", storetestkit.EventIDs(got))
	}
	u := newUser("u4", "")
	u.Email = "moved@example.com"
	a := newApp("a4")
	a.Name = "renamed"
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.CreateApp(ctx, a); err != nil {
			return err
		}
		if err := tx.CreateAPIKey(ctx, newKey("k2", "u4")); err != nil {
			return err
		}
		return tx.RecordApplied(ctx, "r1", "now")
	})
	err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		dup := newUser("u5", "")
		dup.Email = "u1@example.com"
		return tx.CreateUser(ctx, dup)
	})
	storetestkit.WantErr(t, "CreateUser(u1's restored email)", err, store.ErrConflict)
}

func (Cases) ClosureErrorLeavesNothing(t *testing.T, s store.Store) {
	rollbackFixture(t, s)
	before := takeSnapshot(t, s)
	storetestkit.FailTx(t, s, func(ctx context.Context, tx store.Tx) error { return writeEverything(ctx, t, tx) }, errors.New("storetest: boom"))
	checkRolledBack(t, s, before)
}

func (Cases) ClosurePanicLeavesNothing(t *testing.T, s store.Store) {
	rollbackFixture(t, s)
	before := takeSnapshot(t, s)
	storetestkit.PanicTx(t, s, func(ctx context.Context, tx store.Tx) error { return writeEverything(ctx, t, tx) })
	checkRolledBack(t, s, before)
}

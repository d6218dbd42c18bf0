package storetest

import (
	"context"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

func (Cases) GroupRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	// Members keep the order they were given in, not sorted.
	g1 := newGroup("g1", "u3", "u1", "u2")
	g2 := newGroup("g2")
	createGroups(t, s, g1, g2)

	storetestkit.Check(t, "GetGroup(g1)", storetestkit.Must(s.GetGroup(ctx, "g1"))(t), g1)
	storetestkit.Check(t, "GetGroup(g2)", storetestkit.Must(s.GetGroup(ctx, "g2"))(t), g2)
	_, err := s.GetGroup(ctx, "ghost")
	storetestkit.WantErr(t, "GetGroup(ghost)", err, store.ErrNotFound)
}

func (Cases) CreateGroupDuplicateID(t *testing.T, s store.Store) {
	g := newGroup("g1", "u1")
	createGroups(t, s, g)
	dup := newGroup("g1", "u2")
	dup.Name = "Another"
	err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error { return tx.CreateGroup(ctx, dup) })
	storetestkit.WantErr(t, "CreateGroup(same id)", err, store.ErrConflict)
	storetestkit.Check(t, "GetGroup after conflict", storetestkit.Must(s.GetGroup(t.Context(), "g1"))(t), g)
}

func (Cases) UpdateGroupChecksVersion(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := newGroup("g1", "u1", "u2")
	createGroups(t, s, g)

	next := g
	next.Name = "Renamed"
	next.Description = ""
	next.MemberIDs = []string{"u9", "u2", "u5"}
	next.UpdateTime = storetestkit.At(30)
	next.Version = 2
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateGroup(ctx, next) })
	storetestkit.Check(t, "after update", storetestkit.Must(s.GetGroup(ctx, "g1"))(t), next)

	emptied := next
	emptied.MemberIDs = nil
	emptied.Version = 3
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateGroup(ctx, emptied) })
	storetestkit.Check(t, "after emptying", storetestkit.Must(s.GetGroup(ctx, "g1"))(t), emptied)

	stale := emptied
	stale.Name = "stale"
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.UpdateGroup(ctx, stale) })
	storetestkit.WantErr(t, "UpdateGroup(same version)", err, store.ErrConflict)
	storetestkit.Check(t, "after stale update", storetestkit.Must(s.GetGroup(ctx, "g1"))(t), emptied)

	missing := newGroup("ghost")
	missing.Version = 2
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.UpdateGroup(ctx, missing) })
	storetestkit.WantErr(t, "UpdateGroup(missing)", err, store.ErrNotFound)
}

func (Cases) DeleteGroup(t *testing.T, s store.Store) {
	ctx := t.Context()
	createGroups(t, s, newGroup("g1", "u1"), newGroup("g2"))
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteGroup(ctx, "g1") })

	_, err := s.GetGroup(ctx, "g1")
	storetestkit.WantErr(t, "GetGroup(deleted)", err, store.ErrNotFound)
	storetestkit.Check(t, "ListGroups after delete", groupIDs(storetestkit.Must(s.ListGroups(ctx, store.Page{}))(t)), []string{"g2"})

	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.DeleteGroup(ctx, "g1") })
	storetestkit.WantErr(t, "DeleteGroup(deleted again)", err, store.ErrNotFound)

	// The id is free again.
	again := newGroup("g1", "u7")
	createGroups(t, s, again)
	storetestkit.Check(t, "GetGroup(recreated)", storetestkit.Must(s.GetGroup(ctx, "g1"))(t), again)
}

func (Cases) GetGroupsAndListGroups(t *testing.T, s store.Store) {
	ctx := t.Context()
	groups := map[string]domain.Group{}
	for _, id := range []string{"g4", "G2", "g1", "g3", "g2"} {
		groups[id] = newGroup(id, "m-"+id)
	}
	createGroups(t, s, groups["g4"], groups["G2"], groups["g1"], groups["g3"], groups["g2"])

	storetestkit.Check(t, "GetGroups", storetestkit.Must(s.GetGroups(ctx, []string{"g3", "ghost", "G2", "g3"}))(t), []domain.Group{groups["G2"], groups["g3"]})
	storetestkit.Check(t, "GetGroups(nil)", storetestkit.Must(s.GetGroups(ctx, nil))(t), []domain.Group{})

	all := storetestkit.Must(s.ListGroups(ctx, store.Page{}))(t)
	storetestkit.Check(t, "ListGroups(all)", all, []domain.Group{groups["G2"], groups["g1"], groups["g2"], groups["g3"], groups["g4"]})

	storetestkit.Check(t, "first page", groupIDs(storetestkit.Must(s.ListGroups(ctx, store.Page{Size: 2}))(t)), []string{"G2", "g1"})
	storetestkit.Check(t, "second page", groupIDs(storetestkit.Must(s.ListGroups(ctx, store.Page{Size: 2, After: "g1"}))(t)), []string{"g2", "g3"})
	storetestkit.Check(t, "last page", groupIDs(storetestkit.Must(s.ListGroups(ctx, store.Page{Size: 2, After: "g3"}))(t)), []string{"g4"})
	storetestkit.Check(t, "past the end", groupIDs(storetestkit.Must(s.ListGroups(ctx, store.Page{Size: 2, After: "g4"}))(t)), []string{})
}

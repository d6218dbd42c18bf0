package storetest

import (
	"context"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

func (Cases) VersionRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	createPolicies(t, s, newPolicy("p1", domain.GrantAccess, domain.Scope{AppID: "figma"}))
	v := newVersion("p1", 1)
	v.Workflow = domain.Workflow{
		ReviewSteps: []domain.Step{
			{Name: "Security", Assignee: domain.Assignee{Kind: domain.UserGroups, GroupIDs: []string{"g2", "g1"}}, Approval: domain.ApprovalAll},
			{Name: "Pair", Assignee: domain.Assignee{Kind: domain.Users, UserIDs: []string{"u2", "u1", "u3"}}, Approval: domain.ApprovalQuorum, MinApprovals: 2},
			{Name: "Role", Assignee: domain.Assignee{Kind: domain.CustomRole, CustomRole: "security"}, Approval: domain.ApprovalAny},
		},
		ActionStep: domain.Step{Name: "Provision", Assignee: domain.Assignee{Kind: domain.Agent}},
	}
	createVersions(t, s, v)
	storetestkit.Check(t, "GetVersion", storetestkit.Must(s.GetVersion(ctx, "p1", 1))(t), v)
	_, err := s.GetVersion(ctx, "p1", 2)
	storetestkit.WantErr(t, "GetVersion(missing)", err, store.ErrNotFound)
	_, err = s.GetVersion(ctx, "nope", 1)
	storetestkit.WantErr(t, "GetVersion(missing policy)", err, store.ErrNotFound)

	activate(t, s, "p1", 1)
	v.State, v.ActivateTime = domain.StateActive, storetestkit.At(8)
	storetestkit.Check(t, "activated", storetestkit.Must(s.GetVersion(ctx, "p1", 1))(t), v)
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.RetireVersion(ctx, "p1", 1, storetestkit.At(9))
	})
	v.State, v.RetireTime = domain.StateRetired, storetestkit.At(9)
	storetestkit.Check(t, "retired", storetestkit.Must(s.GetVersion(ctx, "p1", 1))(t), v)
}

func (Cases) CreateVersionRules(t *testing.T, s store.Store) {
	createPolicies(t, s, newPolicy("p1", domain.GrantAccess, domain.Scope{}))
	createVersions(t, s, newVersion("p1", 1))
	err := attempt(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateVersion(ctx, newVersion("p1", 1)) })
	storetestkit.WantErr(t, "duplicate number", err, store.ErrConflict)
	err = attempt(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateVersion(ctx, newVersion("nope", 1)) })
	storetestkit.WantErr(t, "missing policy", err, store.ErrNotFound)
	born := newVersion("p1", 2)
	born.State = domain.StateActive
	err = attempt(t, s, func(ctx context.Context, tx store.Tx) error { return tx.CreateVersion(ctx, born) })
	storetestkit.WantErr(t, "born active", err, store.ErrImmutable)
}

func (Cases) UpdateDraftChecksRevision(t *testing.T, s store.Store) {
	ctx := t.Context()
	createPolicies(t, s, newPolicy("p1", domain.GrantAccess, domain.Scope{}))
	v := newVersion("p1", 1)
	createVersions(t, s, v)
	edit := v
	edit.Workflow, edit.UpdateTime, edit.Revision = workflow("One", "Two"), storetestkit.At(5), 2
	// Fields other than the workflow, update time and revision are not the edit's to change.
	edit.CreateBy, edit.State = "someone else", domain.StateActive
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateVersion(ctx, edit) })
	want := v
	want.Workflow, want.UpdateTime, want.Revision = workflow("One", "Two"), storetestkit.At(5), 2
	storetestkit.Check(t, "edited draft", storetestkit.Must(s.GetVersion(ctx, "p1", 1))(t), want)

	stale := want
	stale.Workflow, stale.Revision = workflow("Stale"), 2
	err := attempt(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateVersion(ctx, stale) })
	storetestkit.WantErr(t, "stale revision", err, store.ErrConflict)
	missing := newVersion("p1", 9)
	err = attempt(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateVersion(ctx, missing) })
	storetestkit.WantErr(t, "missing version", err, store.ErrNotFound)
	storetestkit.Check(t, "after refusals", storetestkit.Must(s.GetVersion(ctx, "p1", 1))(t), want)
}

func (Cases) ActiveAndRetiredVersionsNeverChange(t *testing.T, s store.Store) {
	ctx := t.Context()
	createPolicies(t, s, newPolicy("p1", domain.GrantAccess, domain.Scope{}))
	createVersions(t, s, newVersion("p1", 1), newVersion("p1", 2))
	activate(t, s, "p1", 1)
	activate(t, s, "p1", 2) // retires 1
	retired := storetestkit.Must(s.GetVersion(ctx, "p1", 1))(t)
	active := storetestkit.Must(s.GetVersion(ctx, "p1", 2))(t)
	if retired.State != domain.StateRetired || active.State != domain.StateActive {
		t.Fatalf("states %s, %s", retired.State, active.State)
	}
	for _, v := range []domain.Version{retired, active} {
		edit := v
		edit.Workflow, edit.Revision = workflow("Sneaky"), v.Revision+1
		err := attempt(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateVersion(ctx, edit) })
		storetestkit.WantErr(t, "edit "+string(v.State), err, store.ErrImmutable)
		err = attempt(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteVersion(ctx, "p1", v.Version) })
		storetestkit.WantErr(t, "delete "+string(v.State), err, store.ErrImmutable)
		err = attempt(t, s, func(ctx context.Context, tx store.Tx) error {
			return tx.ActivateVersion(ctx, "p1", v.Version, storetestkit.At(10))
		})
		storetestkit.WantErr(t, "activate "+string(v.State), err, store.ErrImmutable)
	}
	err := attempt(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.RetireVersion(ctx, "p1", 1, storetestkit.At(10))
	})
	storetestkit.WantErr(t, "retire a retired version", err, store.ErrImmutable)
	storetestkit.Check(t, "retired unchanged", storetestkit.Must(s.GetVersion(ctx, "p1", 1))(t), retired)
	storetestkit.Check(t, "active unchanged", storetestkit.Must(s.GetVersion(ctx, "p1", 2))(t), active)
}

func (Cases) DeleteDraftOnly(t *testing.T, s store.Store) {
	ctx := t.Context()
	createPolicies(t, s, newPolicy("p1", domain.GrantAccess, domain.Scope{}))
	createVersions(t, s, newVersion("p1", 1), newVersion("p1", 2))
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteVersion(ctx, "p1", 2) })
	_, err := s.GetVersion(ctx, "p1", 2)
	storetestkit.WantErr(t, "deleted draft", err, store.ErrNotFound)
	err = attempt(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteVersion(ctx, "p1", 2) })
	storetestkit.WantErr(t, "delete again", err, store.ErrNotFound)
	err = attempt(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.RetireVersion(ctx, "p1", 1, storetestkit.At(3))
	})
	storetestkit.WantErr(t, "retire a draft", err, store.ErrImmutable)
}

func (Cases) OneActiveVersionPerPolicy(t *testing.T, s store.Store) {
	ctx := t.Context()
	createPolicies(t, s, newPolicy("p1", domain.GrantAccess, domain.Scope{}), newPolicy("p2", domain.RemoveAccess, domain.Scope{}))
	createVersions(t, s, newVersion("p1", 1), newVersion("p1", 2), newVersion("p2", 1))
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.ActivateVersion(ctx, "p1", 1, storetestkit.At(3))
	})
	err := attempt(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.ActivateVersion(ctx, "p1", 2, storetestkit.At(4))
	})
	storetestkit.WantErr(t, "second active version", err, store.ErrConflict)
	// Another policy's versions are not in the way.
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.ActivateVersion(ctx, "p2", 1, storetestkit.At(4))
	})
	// Retire, then activate, in one transaction.
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.RetireVersion(ctx, "p1", 1, storetestkit.At(5)); err != nil {
			return err
		}
		return tx.ActivateVersion(ctx, "p1", 2, storetestkit.At(5))
	})
	storetestkit.Check(t, "v1", storetestkit.Must(s.GetVersion(ctx, "p1", 1))(t).State, domain.StateRetired)
	storetestkit.Check(t, "v2", storetestkit.Must(s.GetVersion(ctx, "p1", 2))(t).State, domain.StateActive)
	err = attempt(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.ActivateVersion(ctx, "p1", 7, storetestkit.At(5))
	})
	storetestkit.WantErr(t, "activate missing", err, store.ErrNotFound)
}

func (Cases) ListVersionsPages(t *testing.T, s store.Store) {
	ctx := t.Context()
	createPolicies(t, s, newPolicy("p1", domain.GrantAccess, domain.Scope{}), newPolicy("p2", domain.RemoveAccess, domain.Scope{}))
	createVersions(t, s, newVersion("p1", 3), newVersion("p1", 1), newVersion("p1", 10), newVersion("p1", 2), newVersion("p2", 1))
	storetestkit.Check(t, "all", versionNumbers(storetestkit.Must(s.ListVersions(ctx, "p1", store.VersionPage{}))(t)), []int64{1, 2, 3, 10})
	storetestkit.Check(t, "page", versionNumbers(storetestkit.Must(s.ListVersions(ctx, "p1", store.VersionPage{Size: 2, After: 1}))(t)), []int64{2, 3})
	storetestkit.Check(t, "last page", versionNumbers(storetestkit.Must(s.ListVersions(ctx, "p1", store.VersionPage{Size: 2, After: 3}))(t)), []int64{10})
	storetestkit.Check(t, "none", versionNumbers(storetestkit.Must(s.ListVersions(ctx, "nope", store.VersionPage{}))(t)), []int64{})
}

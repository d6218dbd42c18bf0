package storetest

import (
	"context"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// workflow is a pinned workflow with every kind of assignee field set.
func workflow() domain.Workflow {
	return domain.Workflow{
		ReviewSteps: []domain.Step{
			{Name: "Manager review", Assignee: domain.Assignee{Kind: "MANAGER"}, Approval: "ALL"},
			{Name: "Security review", Assignee: domain.Assignee{Kind: "USER_GROUPS", GroupIDs: []string{"g-sec", "g-it"}}, Approval: "MIN", MinApprovals: 2},
		},
		ActionStep: domain.Step{Name: "Provision", Assignee: domain.Assignee{Kind: "USERS", UserIDs: []string{"it-1", "it-2"}, CustomRole: "provisioner"}, Approval: "ANY"},
	}
}

// grant returns a new in-progress GRANT_ACCESS request: requester asks that target get
// editor on app; the target's manager is manager and the app's owner owner.
func grant(id, requester, target, app string) domain.Request {
	return domain.Request{
		ID: id, BodyHash: "hash-" + id, Type: domain.GrantAccess,
		RequesterID: requester, TargetUserID: target, AppID: app, Permission: "editor", Reason: "quarterly planning",
		Status: domain.InProgress, Stage: domain.StageReview,
		PolicyID: "pol-1", PolicyVersion: 3, PolicyLevel: "STANDARD", Workflow: workflow(),
		TargetManagerID: "mgr-of-" + target, AppOwnerIDs: []string{"owner-of-" + app},
		CreateTime: storetestkit.At(1), UpdateTime: storetestkit.At(1), Version: 1,
	}
}

// full returns a request with every field set, whether or not its type uses it.
func full(id, clientID string) domain.Request {
	r := grant(id, "u-req", "u-tgt", "app-1")
	r.ClientID, r.BodyHash = clientID, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	r.PreviousPermission = "viewer"
	r.NewApp = &domain.NewApp{Name: "Figma", OwnerIDs: []string{"u-own-1", "u-own-2"}, Permissions: []domain.Permission{{Name: "viewer"}, {Name: "admin", Privileged: true}}}
	r.Status, r.Stage, r.FailureReason = domain.Failed, domain.StageClosed, "connector said no"
	r.SkipManagerSteps, r.StepIndex, r.StepOpened, r.Applying = true, 2, true, true
	r.TaskIDs = []string{"t-2", "t-1"}
	r.TargetManagerID, r.AppOwnerIDs, r.AssigneeIDs = "u-mgr", []string{"u-own-1", "u-own-2"}, []string{"u-asg-2", "u-asg-1"}
	r.CreateTime, r.UpdateTime, r.Version = storetestkit.At(1), storetestkit.At(2), 7
	return r
}

// create writes requests in one transaction.
var create = storetestkit.Putter(store.Tx.CreateRequest)

func update(t *testing.T, s store.Store, r domain.Request) {
	t.Helper()
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateRequest(ctx, r) })
}

func ids(rs []domain.Request) []string {
	return storetestkit.IDs(rs, func(r domain.Request) string { return r.ID })
}

// list returns the ids ListRequests answers for f and p; on error it marks t failed and
// returns nil. It does not stop t, so that it may run inside a transaction's closure:
// stopping the goroutine there would leave the transaction open.
func list(t *testing.T, r store.Reader, f store.Filter, p store.Page) []string {
	t.Helper()
	rs, err := r.ListRequests(t.Context(), f, p)
	if err != nil {
		t.Errorf("ListRequests(%+v, %+v): %v", f, p, err)
		return nil
	}
	return ids(rs)
}

// writers is how many goroutines the concurrency tests run at once.
const writers = 20

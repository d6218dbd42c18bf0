package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
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

func check[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

// must takes a call's results and returns v, failing t at once when err is not nil. Not for
// use inside a transaction's closure (see list): return the error from the closure instead.
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

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
		CreateTime: at(1), UpdateTime: at(1), Version: 1,
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
	r.CreateTime, r.UpdateTime, r.Version = at(1), at(2), 7
	return r
}

func create(t *testing.T, s store.Store, rs ...domain.Request) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, r := range rs {
			if err := tx.CreateRequest(ctx, r); err != nil {
				return fmt.Errorf("create request %s: %w", r.ID, err)
			}
		}
		return nil
	})
}

func update(t *testing.T, s store.Store, r domain.Request) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateRequest(ctx, r) })
}

func ids(rs []domain.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
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

// parallel runs fn(i) for i in [0, writers) at once and returns their errors.
func parallel(fn func(i int) error) []error {
	errs := make([]error, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

func (Cases) TaskRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	createSteps(t, s, newStep("req-1", 0, domain.Any))
	want := newTask("t-1", "req-1", 0, "u-2", "u-1")
	want.MinApprovals = 0
	createTasks(t, s, want)
	storetestkit.Check(t, "GetTask", storetestkit.Must(s.GetTask(ctx, "t-1"))(t), want)
	_, err := s.GetTask(ctx, "nope")
	storetestkit.WantErr(t, "GetTask missing", err, store.ErrNotFound)

	// A read copy is the caller's: changing it changes nothing stored.
	got := storetestkit.Must(s.GetTask(ctx, "t-1"))(t)
	got.AssigneeIDs[0] = "mallory"
	got.History[0].Note = "changed"
	storetestkit.Check(t, "GetTask after changing a copy", storetestkit.Must(s.GetTask(ctx, "t-1"))(t), want)
}

func (Cases) StandaloneTaskRoundTripAndKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := newStandalone("t-s", "onboarding/u-1", "u-1")
	createTasks(t, s, want)
	storetestkit.Check(t, "GetTask", storetestkit.Must(s.GetTask(ctx, "t-s"))(t), want)
	storetestkit.Check(t, "GetTaskByKey", storetestkit.Must(s.GetTaskByKey(ctx, "onboarding/u-1"))(t), want)
	_, err := s.GetTaskByKey(ctx, "onboarding/u-2")
	storetestkit.WantErr(t, "GetTaskByKey missing", err, store.ErrNotFound)
}

func (Cases) AccessReviewTasksByCampaign(t *testing.T, s store.Store) {
	ctx := t.Context()
	var ts []domain.Task
	for i, r := range []string{"u-1", "u-2", "u-3"} {
		at := newStandalone(fmt.Sprintf("t-ar-%d", i), "accessReview/ar-1/"+r, r)
		at.Type, at.AccessReviewID = domain.AccessReview, "ar-1"
		if r == "u-3" {
			at.AccessReviewID, at.Key = "ar-2", "accessReview/ar-2/"+r
		}
		ts = append(ts, at)
	}
	createTasks(t, s, append(ts, newStandalone("t-other", "onboarding/u-1", "u-1"))...)
	storetestkit.Check(t, "GetTaskByKey", storetestkit.Must(s.GetTaskByKey(ctx, "accessReview/ar-1/u-2"))(t), ts[1])
	got := storetestkit.Must(s.ListTasks(ctx, store.Filter{AccessReviewID: "ar-1"}, store.Page{}))(t)
	storetestkit.Check(t, "ListTasks by campaign", got, ts[:2])
	got = storetestkit.Must(s.ListTasks(ctx, store.Filter{AccessReviewID: "ar-1", AssigneeID: "u-2", Status: domain.Pending}, store.Page{}))(t)
	storetestkit.Check(t, "ListTasks by campaign and assignee", got, ts[1:2])
}

func (Cases) CreateTaskDuplicateIDOrKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	createTasks(t, s, newStandalone("t-1", "k-1", "u-1"))
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		storetestkit.WantErr(t, "duplicate id", tx.CreateTask(ctx, newStandalone("t-1", "k-2", "u-1")), store.ErrConflict)
		storetestkit.WantErr(t, "duplicate key", tx.CreateTask(ctx, newStandalone("t-2", "k-1", "u-1")), store.ErrConflict)
		// The transaction is still usable after a refused create.
		return tx.CreateTask(ctx, newStandalone("t-3", "k-3", "u-1"))
	})
	storetestkit.Check(t, "tasks", ids(storetestkit.Must(s.ListTasks(ctx, store.Filter{}, store.Page{}))(t)), []string{"t-1", "t-3"})
	storetestkit.Check(t, "u-1's inbox has no ghost rows", ids(storetestkit.Must(s.ListTasks(ctx, store.Filter{AssigneeID: "u-1"}, store.Page{}))(t)), []string{"t-1", "t-3"})
}

func (Cases) UpdateTaskChecksVersionAndKeepsPlacement(t *testing.T, s store.Store) {
	ctx := t.Context()
	createSteps(t, s, newStep("req-1", 0, domain.Any))
	orig := newTask("t-1", "req-1", 0, "u-1")
	createTasks(t, s, orig)

	next := orig.Clone()
	if err := next.Decide(domain.Approve, "u-1", "fine", storetestkit.At(5)); err != nil {
		t.Fatal(err)
	}
	stale := next.Clone()
	stale.Version = 5
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		storetestkit.WantErr(t, "stale version", tx.UpdateTask(ctx, stale), store.ErrConflict)
		missing := next.Clone()
		missing.ID = "nope"
		storetestkit.WantErr(t, "missing task", tx.UpdateTask(ctx, missing), store.ErrNotFound)
		return nil
	})
	// What places a task never changes, whatever the update carries.
	moved := next.Clone()
	moved.RequestID, moved.StepIndex, moved.Key = "req-2", 7, "k"
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateTask(ctx, moved) })
	storetestkit.Check(t, "after update", storetestkit.Must(s.GetTask(ctx, "t-1"))(t), next)
	storetestkit.Check(t, "the step still holds it", ids(storetestkit.Must(s.StepTasks(ctx, "req-1", 0))(t)), []string{"t-1"})
}

// listFixture: three requests' tasks and a standalone one, with several assignees and
// statuses.
func listFixture(t *testing.T, s store.Store) {
	createSteps(t, s, newStep("req-a", 0, domain.All), newStep("req-b", 0, domain.Any))
	a1 := newTask("t-01", "req-a", 0, "u-1")
	a2 := newTask("t-02", "req-a", 0, "u-2")
	b1 := newTask("t-03", "req-b", 0, "u-1", "u-2")
	st := newStandalone("t-04", "k", "u-2")
	done := newTask("t-05", "req-a", 0, "u-3")
	done.Status, done.Decision = domain.Done, domain.Approve
	createTasks(t, s, b1, a2, a1, st, done)
}

func (Cases) ListTasksFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	listFixture(t, s)
	storetestkit.FilterTable(t, func(t *testing.T, f store.Filter) []string {
		return ids(storetestkit.Must(s.ListTasks(t.Context(), f, store.Page{}))(t))
	},
		storetestkit.Lists("all", store.Filter{}, "t-01", "t-02", "t-03", "t-04", "t-05"),
		storetestkit.Lists("assignee", store.Filter{AssigneeID: "u-2"}, "t-02", "t-03", "t-04"),
		storetestkit.Lists("assignee and request", store.Filter{AssigneeID: "u-2", RequestID: "req-a"}, "t-02"),
		storetestkit.Lists("status", store.Filter{Status: domain.Done}, "t-05"),
		storetestkit.Lists("assignee and status", store.Filter{AssigneeID: "u-3", Status: domain.Pending}),
		storetestkit.Lists("assignee, done", store.Filter{AssigneeID: "u-3", Status: domain.Done}, "t-05"),
		storetestkit.Lists("request", store.Filter{RequestID: "req-a"}, "t-01", "t-02", "t-05"),
		storetestkit.Lists("request and status", store.Filter{RequestID: "req-a", Status: domain.Pending}, "t-01", "t-02"),
		storetestkit.Lists("everything", store.Filter{AssigneeID: "u-1", Status: domain.Pending, RequestID: "req-b"}, "t-03"),
		storetestkit.Lists("unknown assignee", store.Filter{AssigneeID: "nobody"}),
	)
	// Every filtered row is the whole task.
	got := storetestkit.Must(s.ListTasks(ctx, store.Filter{AssigneeID: "u-1", RequestID: "req-b"}, store.Page{}))(t)
	storetestkit.Check(t, "listed task", got, []domain.Task{storetestkit.Must(s.GetTask(ctx, "t-03"))(t)})
}

func (Cases) ListTasksPagesByID(t *testing.T, s store.Store) {
	ctx := t.Context()
	var all []domain.Task
	var want []string
	for i := range 7 {
		id := fmt.Sprintf("t-%02d", 7-i) // created out of order
		all = append(all, newStandalone(id, "k-"+id, "u-1"))
		want = append([]string{id}, want...)
	}
	createTasks(t, s, all...)
	for _, f := range []store.Filter{{}, {AssigneeID: "u-1"}, {AssigneeID: "u-1", Status: domain.Pending}} {
		var got []string
		after := ""
		for {
			page := storetestkit.Must(s.ListTasks(ctx, f, store.Page{Size: 3, After: after}))(t)
			got = append(got, ids(page)...)
			if len(page) < 3 {
				break
			}
			after = page[len(page)-1].ID
		}
		storetestkit.Check(t, fmt.Sprintf("pages of %+v", f), got, want)
	}
}

func (Cases) ListTasksFollowsStatusAndAssigneeChanges(t *testing.T, s store.Store) {
	ctx := t.Context()
	createSteps(t, s, newStep("req-1", 0, domain.Any))
	task := newTask("t-1", "req-1", 0, "u-1", "u-2")
	createTasks(t, s, task)
	if err := task.Reassign([]string{"u-2", "u-3"}, "admin", "", storetestkit.At(4)); err != nil {
		t.Fatal(err)
	}
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateTask(ctx, task) })
	inbox := func(user string, status domain.Status) []string {
		return ids(storetestkit.Must(s.ListTasks(ctx, store.Filter{AssigneeID: user, Status: status}, store.Page{}))(t))
	}
	storetestkit.Check(t, "u-1 after reassign", inbox("u-1", ""), nil)
	storetestkit.Check(t, "u-3 after reassign", inbox("u-3", domain.Pending), []string{"t-1"})
	task.Cancel("system", "request cancelled", storetestkit.At(5))
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateTask(ctx, task) })
	storetestkit.Check(t, "u-2 pending after cancel", inbox("u-2", domain.Pending), nil)
	storetestkit.Check(t, "u-2 cancelled after cancel", inbox("u-2", domain.Cancelled), []string{"t-1"})
	storetestkit.Check(t, "u-3 any status", inbox("u-3", ""), []string{"t-1"})
}

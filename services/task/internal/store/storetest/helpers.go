package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
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

// must takes a call's results and returns v, failing t at once when err is not nil.
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

func newStep(requestID string, index int, approval domain.Approval) domain.Step {
	return domain.Step{
		RequestID: requestID, Index: index, Name: fmt.Sprintf("step %d", index), Type: domain.Review,
		PolicyID: "pol-1", PolicyVersion: 3, Approval: approval, RequesterID: "requester", TargetUserID: "target",
		Outcome: domain.Open, CreateTime: at(1), UpdateTime: at(1), Version: 1,
	}
}

// newTask returns a pending review task of step (requestID, index) for assignees.
func newTask(id, requestID string, index int, assignees ...string) domain.Task {
	return domain.Task{
		ID: id, Type: domain.Review, RequestID: requestID, PolicyID: "pol-1", PolicyVersion: 3,
		StepIndex: index, StepName: fmt.Sprintf("step %d", index),
		Assignee:    domain.Assignee{Kind: "USER_GROUPS", GroupIDs: []string{"g1", "g2"}},
		AssigneeIDs: assignees, Approval: domain.Any, Action: "Grant editor on Figma to Uma",
		Status: domain.Pending, RequesterID: "requester", TargetUserID: "target",
		History:    []domain.HistoryEntry{{Time: at(2), ActorID: domain.SystemActor, Event: domain.EventCreated, Note: "fell back to the admins"}},
		CreateTime: at(2), UpdateTime: at(2), Version: 1,
	}
}

func newStandalone(id, key string, assignees ...string) domain.Task {
	return domain.Task{
		ID: id, Type: domain.Standalone, Key: key, AssigneeIDs: assignees, Approval: domain.Any,
		Action: "Install the browser extension", Status: domain.Pending, Assignee: domain.Assignee{Kind: "USERS", UserIDs: assignees},
		History:    []domain.HistoryEntry{{Time: at(3), ActorID: "admin", Event: domain.EventCreated}},
		CreateTime: at(3), UpdateTime: at(3), Version: 1,
	}
}

func createSteps(t *testing.T, s store.Store, steps ...domain.Step) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, st := range steps {
			if err := tx.CreateStep(ctx, st); err != nil {
				return fmt.Errorf("create step %s/%d: %w", st.RequestID, st.Index, err)
			}
		}
		return nil
	})
}

func createTasks(t *testing.T, s store.Store, tasks ...domain.Task) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, task := range tasks {
			if err := tx.CreateTask(ctx, task); err != nil {
				return fmt.Errorf("create task %s: %w", task.ID, err)
			}
		}
		return nil
	})
}

func ids(tasks []domain.Task) []string {
	out := make([]string, len(tasks))
	for i, t := range tasks {
		out[i] = t.ID
	}
	return out
}

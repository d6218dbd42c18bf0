package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
	"github.com/grantflow/grantflow/services/task/internal/store/memory"
)

var system = auth.WithPrincipal(context.Background(), auth.Principal{UserID: auth.SystemUserID, Internal: true})

func newRerouteService(t *testing.T, s store.Store) *Service {
	t.Helper()
	return New(Options{Store: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// pendingTask makes a pending review task of its own request, assigned to assignees.
func pendingTask(t *testing.T, s store.Store, id, requester string, assignees ...string) {
	t.Helper()
	now := time.Now()
	task := domain.Task{ID: id, Type: domain.Review, RequestID: "req-" + id, Status: domain.Pending, AssigneeIDs: assignees,
		RequesterID: requester, TargetUserID: requester, Approval: domain.Any, CreateTime: now, UpdateTime: now, Version: 1}
	if err := s.InTx(context.Background(), func(ctx context.Context, tx store.Tx) error { return tx.CreateTask(ctx, task) }); err != nil {
		t.Fatal(err)
	}
}

func assigneesOf(t *testing.T, s store.Store, id string) []string {
	t.Helper()
	task, err := s.GetTask(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return task.AssigneeIDs
}

// TestRerouteTasksMovesEveryPage: a person who left with more pending tasks than one page of
// RerouteTasks keeps none of those another may take, and the tasks nobody else may decide
// (they stay with them) do not stop the pages that follow.
func TestRerouteTasksMovesEveryPage(t *testing.T) {
	defer func(n int) { rerouteBatch = n }(rerouteBatch)
	rerouteBatch = 3
	st := memory.New()
	defer st.Close()
	s := newRerouteService(t, st)
	var want []string
	for i := range 11 {
		id := fmt.Sprintf("t%02d", i)
		requester := "someone"
		if i%4 == 1 {
			requester = "mona" // mona may not decide her own request: the task stays
		} else {
			want = append(want, id)
		}
		pendingTask(t, st, id, requester, "leaver")
	}
	pendingTask(t, st, "other", "someone", "walt")
	moved, err := s.RerouteTasks(system, "leaver", []string{"mona"}, "leaver was offboarded")
	if err != nil {
		t.Fatal(err)
	}
	if slices.Sort(moved); !slices.Equal(moved, want) {
		t.Fatalf("moved %v, want %v", moved, want)
	}
	for i := range 11 {
		id := fmt.Sprintf("t%02d", i)
		if got := assigneesOf(t, st, id); slices.Contains(want, id) != slices.Equal(got, []string{"mona"}) {
			t.Errorf("task %s assignees %v", id, got)
		}
	}
	if got := assigneesOf(t, st, "other"); !slices.Equal(got, []string{"walt"}) {
		t.Errorf("another person's task moved: %v", got)
	}
	again, err := s.RerouteTasks(system, "leaver", []string{"mona"}, "leaver was offboarded")
	if err != nil || len(again) != 0 {
		t.Fatalf("again: moved %v, %v; want nothing", again, err)
	}
}

// assignedMeanwhile is a task store on which, once armed, a task is assigned to "leaver"
// (committed) just before the next transaction begins: what a concurrent step opening does
// between a read made outside that transaction and the transaction.
type assignedMeanwhile struct {
	*memory.Store
	t     *testing.T
	armed bool
}

func (s *assignedMeanwhile) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	if s.armed {
		s.armed = false
		pendingTask(s.t, s.Store, "meanwhile", "someone", "leaver")
	}
	return s.Store.InTx(ctx, fn)
}

// TestRerouteTasksReadsInItsTransaction: the pending tasks are read in the transaction that
// moves them, so a task assigned to the person who left before that transaction moves too
// (before, they were listed first, outside it, and such a task stayed with them).
func TestRerouteTasksReadsInItsTransaction(t *testing.T) {
	st := &assignedMeanwhile{Store: memory.New(), t: t}
	defer st.Close()
	s := newRerouteService(t, st)
	pendingTask(t, st.Store, "first", "someone", "leaver")
	st.armed = true
	if _, err := s.RerouteTasks(system, "leaver", []string{"mona"}, "leaver was offboarded"); err != nil {
		t.Fatal(err)
	}
	left, err := st.Store.ListTasks(context.Background(), store.Filter{AssigneeID: "leaver", Status: domain.Pending}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if st.armed || len(left) != 0 {
		t.Fatalf("%d pending tasks stayed with the person who left (armed %v)", len(left), st.armed)
	}
}

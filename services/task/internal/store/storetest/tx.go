package storetest

import (
	"context"
	"errors"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

func (Cases) TxReadsItsOwnWrites(t *testing.T, s store.Store) {
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateStep(ctx, newStep("req-1", 0, domain.Any)); err != nil {
			return err
		}
		if err := tx.CreateTask(ctx, newTask("t-1", "req-1", 0, "u-1")); err != nil {
			return err
		}
		storetestkit.Check(t, "step in tx", storetestkit.Must(tx.GetStep(ctx, "req-1", 0))(t).Name, "step 0")
		storetestkit.Check(t, "task in tx", ids(storetestkit.Must(tx.StepTasks(ctx, "req-1", 0))(t)), []string{"t-1"})
		storetestkit.Check(t, "inbox in tx", ids(storetestkit.Must(tx.ListTasks(ctx, store.Filter{AssigneeID: "u-1"}, store.Page{}))(t)), []string{"t-1"})
		return nil
	})
}

var errBoom = errors.New("boom")

// fullChange writes one of everything, and an event.
func fullChange(ctx context.Context, tx store.Tx) error {
	if err := tx.CreateStep(ctx, newStep("req-x", 0, domain.Any)); err != nil {
		return err
	}
	if err := tx.CreateTask(ctx, newTask("t-x", "req-x", 0, "u-1")); err != nil {
		return err
	}
	if err := tx.CreateTask(ctx, newStandalone("t-y", "k-y", "u-1")); err != nil {
		return err
	}
	return tx.Emit(ctx, []string{"audit", "request"}, &eventsv1.Event{Id: "ev-x", Service: "grantflow-task", Action: "task.created", Subject: "tasks/t-x"})
}

func assertNothing(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	storetestkit.Check(t, "tasks", ids(storetestkit.Must(s.ListTasks(ctx, store.Filter{}, store.Page{}))(t)), nil)
	storetestkit.Check(t, "inbox", ids(storetestkit.Must(s.ListTasks(ctx, store.Filter{AssigneeID: "u-1"}, store.Page{}))(t)), nil)
	_, err := s.GetStep(ctx, "req-x", 0)
	storetestkit.WantErr(t, "step", err, store.ErrNotFound)
	_, err = s.GetTaskByKey(ctx, "k-y")
	storetestkit.WantErr(t, "key", err, store.ErrNotFound)
	for _, sink := range []string{"audit", "request"} {
		storetestkit.Check(t, "pending "+sink, len(storetestkit.Must(s.Pending(ctx, sink, 10))(t)), 0)
	}
	// The ids and keys are free again.
	storetestkit.Write(t, s, fullChange)
}

func (Cases) ClosureErrorLeavesNothing(t *testing.T, s store.Store) {
	storetestkit.FailTx(t, s, fullChange, errBoom)
	assertNothing(t, s)
}

func (Cases) ClosurePanicLeavesNothing(t *testing.T, s store.Store) {
	storetestkit.PanicTx(t, s, fullChange)
	assertNothing(t, s)
}

func (Cases) EventsPendingOnlyAfterCommitInOrder(t *testing.T, s store.Store) {
	storetestkit.Outbox(t, s, func(id string) *eventsv1.Event {
		return &eventsv1.Event{Id: id, Service: "grantflow-task", Action: "task.approved", Subject: "tasks/t"}
	})
}

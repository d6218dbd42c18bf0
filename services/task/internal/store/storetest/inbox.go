package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// InboxChangesInCommitOrder: every create and update of a task is a change in the inbox of each
// assignee before or after it, numbered 1, 2, 3... per inbox in commit order (a
// transaction's own in the order it made them), each holding the task as the change left it;
// a change that takes a person out is Removed for them, with the task's id only.
func (Cases) InboxChangesInCommitOrder(t *testing.T, s store.Store) {
	ctx := t.Context()
	createSteps(t, s, newStep("req-1", 0, domain.Any))
	t1 := newTask("t-1", "req-1", 0, "u-1", "u-2")
	t2 := newStandalone("t-2", "k-2", "u-1")
	createTasks(t, s, t1, t2) // one transaction: t-1, then t-2
	t1v2 := t1.Clone()
	if err := t1v2.Decide(domain.Approve, "u-1", "fine", storetestkit.At(5)); err != nil {
		t.Fatal(err)
	}
	t2v2 := t2.Clone()
	t2v2.AssigneeIDs, t2v2.Version, t2v2.UpdateTime = []string{"u-3"}, 2, storetestkit.At(6)
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.UpdateTask(ctx, t1v2); err != nil {
			return err
		}
		return tx.UpdateTask(ctx, t2v2)
	})

	removed := store.InboxChange{Task: domain.Task{ID: "t-2"}, Removed: true}
	storetestkit.Check(t, "u-1's inbox", storetestkit.Must(s.InboxChanges(ctx, "u-1", 0, 100))(t), []store.InboxChange{
		{Seq: 1, Task: t1}, {Seq: 2, Task: t2}, {Seq: 3, Task: t1v2}, {Seq: 4, Task: removed.Task, Removed: true},
	})
	storetestkit.Check(t, "u-2's inbox", storetestkit.Must(s.InboxChanges(ctx, "u-2", 0, 100))(t), []store.InboxChange{
		{Seq: 1, Task: t1}, {Seq: 2, Task: t1v2},
	})
	storetestkit.Check(t, "u-3's inbox", storetestkit.Must(s.InboxChanges(ctx, "u-3", 0, 100))(t), []store.InboxChange{{Seq: 1, Task: t2v2}})
	storetestkit.Check(t, "u-1's inbox after 2, one at most", storetestkit.Must(s.InboxChanges(ctx, "u-1", 2, 1))(t), []store.InboxChange{{Seq: 3, Task: t1v2}})
	storetestkit.Check(t, "u-1's inbox after its last", storetestkit.Must(s.InboxChanges(ctx, "u-1", 4, 100))(t), []store.InboxChange{})
	storetestkit.Check(t, "nobody's inbox", storetestkit.Must(s.InboxChanges(ctx, "nobody", 0, 100))(t), []store.InboxChange{})
	storetestkit.Check(t, "u-1's head", storetestkit.Must(s.InboxHead(ctx, "u-1"))(t), int64(4))
	storetestkit.Check(t, "nobody's head", storetestkit.Must(s.InboxHead(ctx, "nobody"))(t), int64(0))

	// A transaction that does not commit leaves no change, and the numbers go on without a
	// gap after it.
	boom := errors.New("boom")
	t3 := newStandalone("t-3", "k-3", "u-1")
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateTask(ctx, t3); err != nil {
			return err
		}
		return boom
	})
	storetestkit.WantErr(t, "the failing transaction", err, boom)
	storetestkit.Check(t, "u-1's head after a rollback", storetestkit.Must(s.InboxHead(ctx, "u-1"))(t), int64(4))
	createTasks(t, s, t3)
	storetestkit.Check(t, "u-1's inbox after the rollback", storetestkit.Must(s.InboxChanges(ctx, "u-1", 4, 100))(t), []store.InboxChange{{Seq: 5, Task: t3}})
}

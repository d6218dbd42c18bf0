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

// seqs are the Seqs of userID's inbox changes after 0.
func seqs(t *testing.T, s store.Store, userID string) []int64 {
	t.Helper()
	out := []int64{}
	for _, c := range storetestkit.Must(s.InboxChanges(t.Context(), userID, 0, 100))(t) {
		out = append(out, c.Seq)
	}
	return out
}

// PruneInboxChanges: the inbox changes made (the task's UpdateTime) before the cut are
// deleted, at most limit per call, the later ones kept; the heads stay, and the Seqs go on
// after them.
func (Cases) PruneInboxChanges(t *testing.T, s store.Store) {
	ctx := t.Context()
	t1, t2 := newStandalone("t-1", "k-1", "u-1"), newStandalone("t-2", "k-2", "u-2")
	createTasks(t, s, t1, t2) // minute 3: u-1's 1, u-2's 1
	next := func(minute int) {
		t1.Version, t1.UpdateTime = t1.Version+1, storetestkit.At(minute)
		storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateTask(ctx, t1) })
	}
	next(10) // u-1's 2
	next(20) // u-1's 3

	cut := storetestkit.At(15) // before: u-1's 1 and 2, u-2's 1
	for _, c := range []struct{ limit, want int }{{2, 2}, {10, 1}, {10, 0}} {
		if n, err := s.PruneChanges(ctx, cut, c.limit); err != nil || n != c.want {
			t.Fatalf("PruneChanges(limit %d) = %d, %v; want %d", c.limit, n, err, c.want)
		}
	}
	storetestkit.Check(t, "u-1's inbox after the prune", seqs(t, s, "u-1"), []int64{3})
	storetestkit.Check(t, "u-2's inbox after the prune", seqs(t, s, "u-2"), []int64{})
	storetestkit.Check(t, "u-1's head", storetestkit.Must(s.InboxHead(ctx, "u-1"))(t), int64(3))
	storetestkit.Check(t, "u-2's head", storetestkit.Must(s.InboxHead(ctx, "u-2"))(t), int64(1))
	storetestkit.Check(t, "u-1's inbox after 3", storetestkit.Must(s.InboxChanges(ctx, "u-1", 2, 100))(t), []store.InboxChange{{Seq: 3, Task: t1}})

	next(30) // u-1's 4: the Seqs go on
	storetestkit.Check(t, "u-1's inbox after a new change", seqs(t, s, "u-1"), []int64{3, 4})
	if n, err := s.PruneChanges(ctx, storetestkit.At(100), 10); err != nil || n != 2 {
		t.Fatalf("PruneChanges(everything) = %d, %v; want 2", n, err)
	}
	storetestkit.Check(t, "u-1's inbox pruned whole", seqs(t, s, "u-1"), []int64{})
	storetestkit.Check(t, "u-1's head pruned whole", storetestkit.Must(s.InboxHead(ctx, "u-1"))(t), int64(4))
}

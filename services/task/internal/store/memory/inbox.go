package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/grantflow/grantflow/pkg/memstore"
	"github.com/grantflow/grantflow/pkg/watch"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// inboxes are the people's inbox logs (WatchTasks): each inbox's changes kept, oldest
// first, and its head (the Seq of its last change; the Seqs go on from 1 whatever was
// pruned). They live beside the state (its lock guards them) so that the store's shape
// stays the engine's.
type inboxes struct {
	logs  map[string][]inboxEntry
	heads map[string]int64
	hub   *watch.Hub
}

// inboxEntry is a change in an inbox's log, and when it was made (the task's UpdateTime:
// what the retention counts from).
type inboxEntry struct {
	store.InboxChange
	at time.Time
}

func newInboxes() *inboxes {
	return &inboxes{logs: map[string][]inboxEntry{}, heads: map[string]int64{}, hub: watch.NewHub()}
}

// recordInbox records the change of task from old (zero for a create) in the inbox of each
// assignee before or after it, and wakes their watchers. It runs under the write lock, so
// a woken watcher reads once the transaction ended (a rolled-back change is undone from
// the log too, and the watcher finds nothing new).
func (t *tx) recordInbox(old, task domain.Task) {
	users := slices.Clone(task.AssigneeIDs)
	for _, u := range old.AssigneeIDs {
		if !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	slices.Sort(users)
	for _, u := range slices.Compact(users) {
		c := store.InboxChange{Task: task.Clone()}
		if !task.IsAssignee(u) {
			c = store.InboxChange{Task: domain.Task{ID: task.ID}, Removed: true}
		}
		memstore.Remember(t.Tx, t.inbox.logs, u)
		c.Seq = t.inbox.heads[u] + 1
		memstore.Put(t.Tx, t.inbox.heads, u, c.Seq)
		t.inbox.logs[u] = append(slices.Clip(t.inbox.logs[u]), inboxEntry{c, task.UpdateTime})
		t.inbox.hub.Publish(u)
		if task.RequestID != "" {
			t.inbox.hub.Publish(store.InboxKey(u, task.RequestID))
		}
	}
}

// InboxChanges returns userID's changes after Seq after, oldest first, at most limit.
func (s *Store) InboxChanges(_ context.Context, userID string, after int64, limit int) ([]store.InboxChange, error) {
	st, done := s.Read()
	defer done()
	log := st.inbox.logs[userID]
	i, _ := slices.BinarySearchFunc(log, after+1, func(e inboxEntry, seq int64) int { return cmp.Compare(e.Seq, seq) })
	out := []store.InboxChange{}
	for ; i < len(log) && len(out) < limit; i++ {
		c := log[i].InboxChange
		c.Task = c.Task.Clone()
		out = append(out, c)
	}
	return out, nil
}

// PruneChanges deletes up to limit inbox changes made before before.
func (s *Store) PruneChanges(_ context.Context, before time.Time, limit int) (n int, err error) {
	err = s.Write(func(st *state, mt *memstore.Tx) error {
		n = memstore.PruneLogs(mt, st.inbox.logs, func(e inboxEntry) bool { return e.at.Before(before) }, limit)
		return nil
	})
	return n, err
}

// InboxHead is the Seq of userID's last change.
func (s *Store) InboxHead(_ context.Context, userID string) (int64, error) {
	st, done := s.Read()
	defer done()
	return st.inbox.heads[userID], nil
}

// WatchInbox subscribes to userID's inbox (woken by each change of it; with requestID, by
// each change of that request's tasks in it).
func (s *Store) WatchInbox(userID, requestID string) *watch.Watcher {
	st, done := s.Read()
	defer done()
	return st.inbox.hub.Watch(store.InboxKey(userID, requestID))
}

// Listen has nothing to do: every change of a memory store is made in this process.
func (s *Store) Listen(context.Context) {}

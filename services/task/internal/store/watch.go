package store

import (
	"context"
	"time"

	"github.com/grantflow/grantflow/pkg/watch"
	"github.com/grantflow/grantflow/services/task/internal/domain"
)

// InboxChange is one change of a person's inbox: a task of theirs changed (Task, as the
// change left it), or left their inbox (Removed: they are no longer among its assignees;
// Task then holds only the id).
type InboxChange struct {
	// Seq orders the changes of one inbox: 1, 2, 3... in commit order, none missing.
	Seq     int64
	Task    domain.Task
	Removed bool
}

// InboxWatcher is what WatchTasks reads: every change of an inbox, and a push when one
// commits. Every task create and update records one change in the inbox of each assignee
// before and after it.
type InboxWatcher interface {
	// InboxChanges returns the changes of userID's inbox with Seq > after, oldest first, at
	// most limit.
	InboxChanges(ctx context.Context, userID string, after int64, limit int) ([]InboxChange, error)
	// InboxHead is the Seq of the last change of userID's inbox (0: none yet).
	InboxHead(ctx context.Context, userID string) (int64, error)
	// WatchInbox subscribes to userID's inbox: the watcher's C receives after each commit
	// that changed it, in any process sharing the store once Listen runs. Subscribe, then
	// read. With requestID set, only the commits that changed a task of that request in the
	// inbox wake it (its other changes are still in the log, read at the next wake-up).
	WatchInbox(userID, requestID string) *watch.Watcher
	// Listen hears the changes other processes commit (PostgreSQL: LISTEN) until ctx ends.
	Listen(ctx context.Context)
	// PruneChanges deletes up to limit of the changes made (the task's UpdateTime) before
	// before from every inbox, and returns how many it deleted (fewer than limit: none is
	// left) (GRANTFLOW_WATCH_RETENTION). The inboxes' heads stay: cursors go on.
	PruneChanges(ctx context.Context, before time.Time, limit int) (int, error)
}

// InboxKey is the hub key of a watch of userID's inbox: the whole inbox (requestID empty),
// or only the changes of requestID's tasks. A change of a task in an inbox publishes both
// keys (the task's request's); the PostgreSQL engine hears them as NOTIFY payloads.
func InboxKey(userID, requestID string) string {
	if requestID == "" {
		return userID
	}
	return userID + "\t" + requestID
}

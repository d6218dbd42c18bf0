package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/watch"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// inboxChannel is the channel the inbox log's commit trigger notifies, with a person's id,
// and the changed task's request after a tab for a task of a request (migrations 00070,
// 00310).
const inboxChannel = "task_inbox"

// WatchInbox subscribes to userID's inbox (with requestID, to that request's tasks in it):
// woken by what Listen hears.
func (s *Store) WatchInbox(userID, requestID string) *watch.Watcher {
	return s.inbox.Watch(store.InboxKey(userID, requestID))
}

// Listen LISTENs to task_inbox until ctx ends: every committed change of an inbox, in this
// process or another sharing the database, wakes the inbox's watchers and those narrowed to
// the changed task's request.
func (s *Store) Listen(ctx context.Context) { s.inbox.Listen(ctx) }

// inboxKeys are the keys a task_inbox payload wakes: the person's inbox and, for a task of
// a request, the person's tasks of that request.
func inboxKeys(payload string) []string {
	userID, requestID, _ := strings.Cut(payload, "\t")
	if requestID == "" {
		return []string{userID}
	}
	return []string{userID, store.InboxKey(userID, requestID)}
}

// InboxChanges reads userID's inbox log after Seq after, each change with the task's row as
// the change left it.
func (r reader) InboxChanges(ctx context.Context, userID string, after int64, limit int) ([]store.InboxChange, error) {
	return pgstore.All(ctx, r.q, "inbox changes of "+userID, func(row pgx.CollectableRow) (store.InboxChange, error) {
		var c store.InboxChange
		t, err := scanTask(prefixed{row, []any{&c.Seq, &c.Removed}})
		if c.Task = t; c.Removed {
			c.Task = domain.Task{ID: t.ID}
		}
		return c, err
	}, `SELECT i.seq, i.removed, `+taskColumns+` FROM inbox_changes i
		JOIN task_changes c ON c.task_id = i.task_id AND c.version = i.version
		CROSS JOIN LATERAL jsonb_populate_record(NULL::tasks, c.snapshot) AS t
		WHERE i.user_id = $1 AND i.seq > $2 ORDER BY i.seq LIMIT $3`, userID, after, limit)
}

// InboxHead is the Seq of userID's last change.
func (r reader) InboxHead(ctx context.Context, userID string) (int64, error) {
	return pgstore.One(ctx, r.q, "inbox head of "+userID, pgx.RowTo[int64],
		"SELECT COALESCE((SELECT seq FROM inbox_heads WHERE user_id = $1), 0)", userID)
}

// prefixed scans its first columns into dst and the rest into what Scan is given.
type prefixed struct {
	pgx.CollectableRow
	dst []any
}

func (p prefixed) Scan(dest ...any) error {
	return p.CollectableRow.Scan(append(p.dst[:len(p.dst):len(p.dst)], dest...)...)
}

// PruneChanges deletes up to limit task changes made before before, oldest first, with
// their entries in the inboxes, in one statement (a reader never sees one without the
// other); inbox_heads stays.
func (s *Store) PruneChanges(ctx context.Context, before time.Time, limit int) (int, error) {
	return pgstore.Deleted(ctx, s.q, "prune inbox changes", `
		WITH old AS (
			SELECT task_id, version FROM task_changes WHERE at < $1 ORDER BY at LIMIT $2
		), i AS (
			DELETE FROM inbox_changes i USING old WHERE i.task_id = old.task_id AND i.version = old.version
		)
		DELETE FROM task_changes c USING old WHERE c.task_id = old.task_id AND c.version = old.version`,
		before, limit)
}

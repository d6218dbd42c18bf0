package app

import (
	"context"
	"strconv"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/watch"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// inboxBatch is how many changes WatchTasks reads at a time.
const inboxBatch = 100

// WatchQuery is a WatchTasks call.
type WatchQuery struct {
	// AssigneeID: whose inbox (default the caller's; someone else's: Admin and GM).
	AssigneeID string
	// After: the cursor of the last change received; "" from now, "0" from the first.
	After string
	// RequestID: only the changes of this request's tasks.
	RequestID string
}

// InboxChange is one change WatchTasks sends: the task after it (Removed: it left the
// inbox, and Task holds only its id), and the cursor to resume after it.
type InboxChange struct {
	Cursor  string
	Task    domain.Task
	Removed bool
}

// WatchTasks sends send every change of an inbox after q.After, in commit order: first
// those recorded already, then each new one once it commits. From now (q.After empty) the
// first thing sent is the cursor alone (a zero Task). It returns the context's error when the
// caller goes away. Who may watch: the inbox's owner, Admin and GM (ListTasks' rule); a task
// that left the inbox comes as its id only. A resume from a cursor whose next change was
// pruned is FAILED_PRECONDITION WATCH_RESUME_TOO_OLD (inboxAfter). It never polls: the store's push wakes it (see
// store.InboxWatcher).
func (s *Service) WatchTasks(ctx context.Context, q WatchQuery, send func(InboxChange) error) error {
	_, sub, err := auth.Caller(ctx)
	if err != nil {
		return err
	}
	if q.AssigneeID == "" {
		q.AssigneeID = sub.UserID
	}
	if err := deny(authz.CanListTasks(sub, q.AssigneeID)); err != nil {
		return err
	}
	after, fromNow := int64(0), q.After == ""
	if !fromNow {
		if after, err = strconv.ParseInt(q.After, 10, 64); err != nil || after < 0 {
			return errs.Invalid("after", "not a cursor of WatchTasks: send back the cursor of the last change received")
		}
	}
	// Narrowed to a request, only that request's changes in the inbox wake w; the others
	// (the removals sent whatever their request) are read at the next wake-up, in order.
	w := s.store.WatchInbox(q.AssigneeID, q.RequestID)
	defer w.Stop()
	// Subscribed first, read after: a change that commits after a read wakes w.C.
	read := !fromNow
	if fromNow {
		if after, err = s.store.InboxHead(ctx, q.AssigneeID); err != nil {
			return err
		}
		if err := send(InboxChange{Cursor: strconv.FormatInt(after, 10)}); err != nil {
			return err
		}
		// Nothing after the head yet: what commits later wakes w, so no read until then.
	}
	for {
		if read {
			changes, err := s.inboxAfter(ctx, q.AssigneeID, after)
			if err != nil {
				return err
			}
			for _, c := range changes {
				after = c.Seq
				if q.RequestID != "" && c.Task.RequestID != q.RequestID && !c.Removed {
					continue
				}
				if err := send(visible(sub, c)); err != nil {
					return err
				}
			}
			if len(changes) == inboxBatch {
				continue // more may be recorded already
			}
		}
		read = true
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.C:
		}
	}
}

// inboxAfter reads the changes of userID's inbox after the cursor after, which must follow
// it (watch.After): the changes older than GRANTFLOW_WATCH_RETENTION are pruned, and a
// resume from before them is refused (watch.ResumeTooOld), never answered with a gap.
func (s *Service) inboxAfter(ctx context.Context, userID string, after int64) ([]store.InboxChange, error) {
	return watch.After(ctx, "the inbox of "+userID, after, func(ctx context.Context, after int64) ([]store.InboxChange, error) {
		return s.store.InboxChanges(ctx, userID, after, inboxBatch)
	}, func(c store.InboxChange) int64 { return c.Seq }, func(ctx context.Context) (int64, []store.InboxChange, error) {
		head, err := s.store.InboxHead(ctx, userID)
		return head, nil, err
	})
}

// visible is c as the caller may see it: a task they may not view (the log says it left
// the inbox, or it never was theirs to see) goes as its id only.
func visible(sub authz.Subject, c store.InboxChange) InboxChange {
	out := InboxChange{Cursor: strconv.FormatInt(c.Seq, 10), Task: c.Task, Removed: c.Removed}
	if c.Removed || !authz.CanViewTask(sub, c.Task.AssigneeIDs, c.Task.RequesterID).Allowed {
		out.Task, out.Removed = domain.Task{ID: c.Task.ID}, true
	}
	return out
}

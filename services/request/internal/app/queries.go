package app

import (
	"context"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/paging"
	"github.com/grantflow/grantflow/pkg/watch"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// mayView reports whether sub may see a request.
func mayView(sub authz.Subject) func(domain.Request) bool {
	return func(r domain.Request) bool {
		return authz.CanViewRequest(sub, authz.RequestFacts{
			RequesterID: r.RequesterID, TargetUserID: r.TargetUserID, TargetManagerID: r.TargetManagerID,
			AppOwnerIDs: r.AppOwnerIDs, AssigneeIDs: r.AssigneeIDs,
		}).Allowed
	}
}

// Get returns a request the caller may see; any other is NOT_FOUND.
func (s *Service) Get(ctx context.Context, id string) (domain.Request, error) {
	_, sub, err := auth.Caller(ctx)
	if err != nil {
		return domain.Request{}, err
	}
	return appkit.Visible("request", id, mayView(sub))(s.store.GetRequest(ctx, id))
}

// List returns a page of the requests the caller may see, newest first: Admin and GM see
// every request, anyone else those they are requester, target, the target's manager, an
// owner of the app or an assignee of.
func (s *Service) List(ctx context.Context, f store.Filter, pageSize int32, token string) ([]domain.Request, string, error) {
	_, sub, err := auth.Caller(ctx)
	if err != nil {
		return nil, "", err
	}
	if !isAdminOrGM(sub) {
		f.ViewerID = sub.UserID
	}
	size, err := paging.Size(pageSize)
	if err != nil {
		return nil, "", err
	}
	before, err := paging.DecodeOne("requests", token)
	if err != nil {
		return nil, "", err
	}
	out, err := s.store.ListRequests(ctx, f, store.Page{Size: size + 1, Before: before})
	if err != nil {
		return nil, "", err
	}
	out, next := paging.Trim(out, size, "requests", func(r domain.Request) []string { return []string{r.ID} })
	return out, next, nil
}

// Cancel cancels a request in progress (requester, Admin, GM) and cancels its open tasks.
func (s *Service) Cancel(ctx context.Context, id, reason string) (domain.Request, error) {
	p, sub, err := auth.Caller(ctx)
	if err != nil {
		return domain.Request{}, err
	}
	r, err := appkit.Visible("request", id, mayView(sub))(s.store.GetRequest(ctx, id))
	if err != nil {
		return domain.Request{}, err
	}
	if d := authz.CanCancelRequest(sub, r.RequesterID); !d.Allowed {
		return domain.Request{}, errs.PermissionDenied("not allowed: " + d.Reason)
	}
	note := "cancelled by " + p.UserID
	if reason != "" {
		note += ": " + reason
	}
	err = s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		if !cur.Open() {
			return errs.FailedPrecondition("REQUEST_CLOSED", "request "+id+" is "+string(cur.Status)+", no longer in progress")
		}
		before := cur.Clone()
		cur.Close(domain.Cancelled, "")
		data := eventData(cur)
		data.Note = note
		if err := s.emit(ctx, tx, "request.cancelled", cur, "", data); err != nil {
			return err
		}
		if err := s.work(ctx, tx, workCancelTasks, cur, &eventsv1.RequestWork{Reason: note}); err != nil {
			return err
		}
		return s.update(ctx, tx, before, &cur)
	})
	if err != nil {
		return domain.Request{}, err
	}
	// The work queue cancels the open tasks; doing it now too makes the answer complete.
	if _, err := s.tasks.CancelTasks(ctx, cancelTasksRequest(id, note)); err != nil {
		s.log.WarnContext(ctx, "request: task cancellation deferred to the work queue", "request", id, "error", err.Error())
	}
	r, err = s.store.GetRequest(ctx, id)
	return r, appkit.NotFound(err, "request", id)
}

// watchBatch is how many changes Watch reads at a time.
const watchBatch = 100

// Watch sends send every change of request id after afterVersion, in order, each as the
// request after the change: first those already made, then each new one once it commits.
// It returns nil once the request is closed and its last change was sent, and the context's
// error when the caller goes away. Who may watch: who may get the request (anyone else:
// NOT_FOUND). A resume from a version whose next change was pruned is FAILED_PRECONDITION
// WATCH_RESUME_TOO_OLD (changesAfter). It never polls: the store's push wakes it (see store.Watcher).
func (s *Service) Watch(ctx context.Context, id string, afterVersion int64, send func(domain.Request) error) error {
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	w := s.store.Watch(id)
	defer w.Stop()
	for {
		// Subscribed first, read after: a change that commits after this read wakes w.C.
		changes, ended, err := s.changesAfter(ctx, id, afterVersion)
		if err != nil || ended {
			return err
		}
		for _, r := range changes {
			if err := send(r); err != nil {
				return err
			}
			afterVersion = r.Version
		}
		switch {
		case len(changes) == watchBatch:
			continue // more may be recorded already
		case len(changes) > 0 && !changes[len(changes)-1].Open():
			return nil // closed: nothing follows
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.C:
		}
	}
}

// changesAfter reads the changes of request id after afterVersion, which must follow it
// (watch.After): the changes older than GRANTFLOW_WATCH_RETENTION are pruned, and a resume
// from before them is refused (watch.ResumeTooOld), never answered with a gap. With none
// recorded after afterVersion, the request itself is the change right after it (a request
// older than its log, or whose changes were pruned). ended: none after afterVersion, and
// the request is closed.
func (s *Service) changesAfter(ctx context.Context, id string, afterVersion int64) (_ []domain.Request, ended bool, _ error) {
	var cur domain.Request
	changes, err := watch.After(ctx, "request "+id, afterVersion, func(ctx context.Context, after int64) ([]domain.Request, error) {
		return s.store.Changes(ctx, id, after, watchBatch)
	}, func(r domain.Request) int64 { return r.Version }, func(ctx context.Context) (int64, []domain.Request, error) {
		r, err := s.store.GetRequest(ctx, id)
		cur = r
		return r.Version, []domain.Request{r}, appkit.NotFound(err, "request", id)
	})
	return changes, err == nil && len(changes) == 0 && !cur.Open(), err
}

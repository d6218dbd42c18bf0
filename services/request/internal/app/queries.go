package app

import (
	"context"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/paging"
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
// NOT_FOUND). It never polls: the store's push wakes it (see store.Watcher).
func (s *Service) Watch(ctx context.Context, id string, afterVersion int64, send func(domain.Request) error) error {
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	w := s.store.Watch(id)
	defer w.Stop()
	for {
		// Subscribed first, read after: a change that commits after this read wakes w.C.
		changes, err := s.store.Changes(ctx, id, afterVersion, watchBatch)
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			// No recorded change after afterVersion: up to date, or a request older than its
			// recorded changes (submitted before they were kept): then it is sent as it is.
			cur, err := s.store.GetRequest(ctx, id)
			if err != nil {
				return appkit.NotFound(err, "request", id)
			}
			if cur.Version > afterVersion {
				changes = append(changes, cur)
			} else if !cur.Open() {
				return nil
			}
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

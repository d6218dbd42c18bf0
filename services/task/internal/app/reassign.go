package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/etag"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// Reassign gives a pending task to other people (Admin, GM). The new assignees replace the
// old; they must be existing, active users; for a task of a request, never its requester or
// target user, and (ALL, QUORUM) nobody who holds or decided another task of the step. A
// caller who is the task's requester or target user may not reassign it: handing one's own
// review to someone else is deciding it by other means.
func (s *Service) Reassign(ctx context.Context, id string, ids []string, note, ifMatch string) (domain.Task, error) {
	_, sub, err := auth.Caller(ctx)
	if err != nil {
		return domain.Task{}, err
	}
	// Cheap refusals first, before asking identity about the people.
	t, err := s.store.GetTask(ctx, id)
	if err != nil {
		return t, appkit.NotFound(err, "task", id)
	}
	if err := s.mayReassign(sub, t); err != nil {
		return t, err
	}
	if err := s.checkPeople(ctx, "assignee_ids", ids); err != nil {
		return t, err
	}
	var out domain.Task
	err = s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		t, _, err := s.lockTask(ctx, tx, sub, id)
		if err != nil {
			return err
		}
		if err := s.mayReassign(sub, t); err != nil {
			return err
		}
		if err := etag.Check(ifMatch, t.Version, "task "+t.ID); err != nil {
			return err
		}
		for _, u := range ids {
			if t.InRequest() && (u == t.RequesterID || u == t.TargetUserID) {
				return errs.Invalid("assignee_ids", fmt.Sprintf("%s is the request's requester or target user, who never decides on it", u))
			}
		}
		if t.InRequest() && t.Approval != domain.Any {
			siblings, err := tx.StepTasks(ctx, t.RequestID, t.StepIndex)
			if err != nil {
				return err
			}
			for _, o := range siblings {
				for _, u := range ids {
					if o.ID != t.ID && (o.IsAssignee(u) || o.DecidedBy == u) {
						return errs.Invalid("assignee_ids", fmt.Sprintf("%s already holds or decided task %s of this step: one person, one decision per step", u, o.ID))
					}
				}
			}
		}
		before := slices.Clone(t.AssigneeIDs)
		if err := t.Reassign(ids, sub.UserID, note, s.now()); err != nil {
			return stateError(err, t)
		}
		if err := tx.UpdateTask(ctx, t); err != nil {
			return stateError(err, t)
		}
		data := taskEvent(t)
		data.Note, data.PreviousAssigneeIds = note, before
		out = t
		return s.emit(ctx, tx, ActionReassigned, t, "", data)
	})
	return out, err
}

// mayReassign: not visible is NOT_FOUND; visible but not Admin or GM, or the task's own
// requester or target, PERMISSION_DENIED.
func (s *Service) mayReassign(sub authz.Subject, t domain.Task) error {
	if !authz.CanViewTask(sub, t.AssigneeIDs, t.RequesterID).Allowed {
		return errs.NotFound("task", t.ID)
	}
	if err := deny(authz.CanReassignTask(sub)); err != nil {
		return err
	}
	if t.Type == domain.AccessReview {
		return stateError(domain.ErrAccessReviewTask, t)
	}
	if t.InRequest() && (sub.UserID == t.RequesterID || sub.UserID == t.TargetUserID) {
		return errs.PermissionDenied("not allowed: nobody reassigns a task of a request they made or that is about them")
	}
	return nil
}

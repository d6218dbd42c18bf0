package app

import (
	"context"
	"errors"

	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// accessReviewKey is the idempotency key of a reviewer's task in a campaign.
func accessReviewKey(campaignID, reviewerID string) string {
	return "accessReview/" + campaignID + "/" + reviewerID
}

// OpenAccessReviewTasks gives each reviewer of a campaign their ACCESS_REVIEW task
// (internal: the review service, when a campaign launches). A reviewer who has the
// campaign's task already gets none more: a retry, or a concurrent call, creates nothing
// twice. The tasks come back in the order of reviewers.
func (s *Service) OpenAccessReviewTasks(ctx context.Context, campaignID string, reviewers []string, action string) ([]domain.Task, error) {
	p, err := internalCaller(ctx)
	if err != nil {
		return nil, err
	}
	if campaignID == "" {
		return nil, errs.Invalid("access_review_id", "required")
	}
	out := make([]domain.Task, len(reviewers))
	var missing []int
	for i, r := range reviewers {
		switch t, err := s.store.GetTaskByKey(ctx, accessReviewKey(campaignID, r)); {
		case err == nil:
			out[i] = t
		case errors.Is(err, store.ErrNotFound):
			missing = append(missing, i)
		default:
			return nil, err
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	now := s.now()
	err = s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, i := range missing {
			r := reviewers[i]
			t := domain.Task{
				ID: newID(), Type: domain.AccessReview, Key: accessReviewKey(campaignID, r), AccessReviewID: campaignID,
				Assignee:    domain.Assignee{Kind: "USERS", UserIDs: []string{r}},
				AssigneeIDs: []string{r}, Approval: domain.Any, Action: action, Status: domain.Pending,
				History:    []domain.HistoryEntry{{Time: now, ActorID: p.UserID, Event: domain.EventCreated}},
				CreateTime: now, UpdateTime: now, Version: 1,
			}
			switch err := tx.CreateTask(ctx, t); {
			case errors.Is(err, store.ErrConflict):
				// A concurrent call won for this reviewer: answer with its task.
				if out[i], err = tx.GetTaskByKey(ctx, t.Key); err != nil {
					return err
				}
				continue
			case err != nil:
				return err
			}
			out[i] = t
			if err := s.emit(ctx, tx, ActionCreated, t, "", taskEvent(t)); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// CloseAccessReviewTasks closes the pending ACCESS_REVIEW tasks of a campaign (internal):
// those of reviewers, or every one when reviewers is empty, as DONE or CANCELLED with
// reason. Tasks no longer pending stay as they are; it returns the ids it closed.
func (s *Service) CloseAccessReviewTasks(ctx context.Context, campaignID string, reviewers []string, status domain.Status, reason string) ([]string, error) {
	p, err := internalCaller(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case campaignID == "":
		return nil, errs.Invalid("access_review_id", "required")
	case status != domain.Done && status != domain.Cancelled:
		return nil, errs.Invalid("status", "must be DONE or CANCELLED")
	}
	actor := p.UserID
	closed := []string{}
	err = s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		closed = closed[:0]
		var ids []string
		if len(reviewers) == 0 {
			ts, err := tx.ListTasks(ctx, store.Filter{AccessReviewID: campaignID, Status: domain.Pending}, store.Page{})
			if err != nil {
				return err
			}
			for _, t := range ts {
				ids = append(ids, t.ID)
			}
		}
		for _, r := range reviewers {
			switch t, err := tx.GetTaskByKey(ctx, accessReviewKey(campaignID, r)); {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return err
			default:
				ids = append(ids, t.ID)
			}
		}
		now := s.now()
		for _, id := range ids {
			t, err := tx.LockTask(ctx, id)
			if err != nil {
				return err
			}
			if !t.FinishAccessReview(status, actor, reason, now) {
				continue
			}
			if err := tx.UpdateTask(ctx, t); err != nil {
				return err
			}
			action := ActionCompleted
			if status == domain.Cancelled {
				action = ActionCancelled
			}
			data := taskEvent(t)
			data.Note = reason
			if err := s.emit(ctx, tx, action, t, actor, data); err != nil {
				return err
			}
			closed = append(closed, t.ID)
		}
		return nil
	})
	return closed, err
}

package app

import (
	"context"
	"fmt"
	"maps"
	"slices"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
)

// hasWork are the events that also go to the work queue (SinkWork): what the reviewers'
// ACCESS_REVIEW tasks follow. Another kind of work adds its action here and its case to
// Work (the reminder needs none: notification tells its reviewers).
var hasWork = map[string]bool{ActionLaunched: true, ActionItemDecided: true, ActionClosed: true}

// Reasons written to the tasks' history.
const (
	reasonAllDecided = "every item of the reviewer is decided"
	reasonClosed     = "the access review closed"
)

// maxTaskBatch is how many reviewers one task service call names (its limit).
const maxTaskBatch = 500

// Work carries out the work queue's events (SinkWork), in outbox order, at least once: the
// task service's calls are idempotent, so a repeated event changes nothing.
//
//   - accessReview.launched: each reviewer of the campaign's items gets their ACCESS_REVIEW
//     task;
//   - accessReview.item.decided: each of the item's reviewers who has no open item left in
//     the campaign has their task DONE;
//   - accessReview.closed: the campaign's tasks still pending are CANCELLED.
func (s *Service) Work(ctx context.Context, evs []*eventsv1.Event) error {
	ctx = asSystem(ctx)
	for _, ev := range evs {
		var err error
		switch ev.GetAction() {
		case ActionLaunched:
			err = s.openReviewerTasks(ctx, ev.GetAccessReviewChanged())
		case ActionItemDecided:
			err = s.reviewerProgress(ctx, ev.GetAccessReviewItemChanged())
		case ActionClosed:
			_, err = s.tasks.CloseAccessReviewTasks(ctx, &taskv1.CloseAccessReviewTasksRequest{
				AccessReviewId: ev.GetAccessReviewChanged().GetAccessReviewId(), Status: taskv1.Task_CANCELLED, Reason: reasonClosed,
			})
		}
		if err != nil {
			return fmt.Errorf("review: %s of %s: %w", ev.GetAction(), ev.GetSubject(), err)
		}
	}
	return nil
}

// openReviewerTasks gives each reviewer of a launched campaign their ACCESS_REVIEW task.
func (s *Service) openReviewerTasks(ctx context.Context, c *eventsv1.AccessReviewChanged) error {
	action := fmt.Sprintf("Review the accesses of access review %q", c.GetName())
	for chunk := range slices.Chunk(c.GetItemReviewerIds(), maxTaskBatch) {
		if _, err := s.tasks.OpenAccessReviewTasks(ctx, &taskv1.OpenAccessReviewTasksRequest{
			AccessReviewId: c.GetAccessReviewId(), ReviewerIds: chunk, Action: action,
		}); err != nil {
			return err
		}
	}
	return nil
}

// reviewerProgress completes the task of each of the decided item's reviewers who has no
// open item left in the campaign (an Admin may have decided for them).
func (s *Service) reviewerProgress(ctx context.Context, it *eventsv1.AccessReviewItemChanged) error {
	finished := map[string]bool{}
	for _, r := range it.GetReviewerIds() {
		n, err := s.store.OpenItemCount(ctx, it.GetAccessReviewId(), r)
		if err != nil {
			return err
		}
		if n == 0 {
			finished[r] = true
		}
	}
	if len(finished) == 0 {
		return nil
	}
	_, err := s.tasks.CloseAccessReviewTasks(ctx, &taskv1.CloseAccessReviewTasksRequest{
		AccessReviewId: it.GetAccessReviewId(), ReviewerIds: slices.Sorted(maps.Keys(finished)), Status: taskv1.Task_DONE, Reason: reasonAllDecided,
	})
	return err
}

// sortedKeys returns a set's members ascending.
func sortedKeys(set map[string]bool) []string { return slices.Sorted(maps.Keys(set)) }

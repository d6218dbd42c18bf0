package app

import (
	"context"

	"github.com/grantflow/grantflow/services/review/internal/domain"
)

// openReviewerTasks gives each reviewer of a launched campaign their ACCESS_REVIEW task.
// Not built yet: the task service has no ACCESS_REVIEW type.
func (s *Service) openReviewerTasks(ctx context.Context, c domain.Campaign, reviewers map[string]bool) {
	_, _, _ = ctx, c, reviewers
}

// reviewerProgress completes the decider's ACCESS_REVIEW task when they have no open item
// left. Not built yet, as openReviewerTasks.
func (s *Service) reviewerProgress(ctx context.Context, c domain.Campaign, reviewer string, it domain.Item) {
	_, _, _, _ = ctx, c, reviewer, it
}

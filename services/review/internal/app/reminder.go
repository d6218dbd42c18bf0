package app

import (
	"context"
	"errors"
	"time"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

// KindReminder is the timer of a campaign's reminder (accessReview.reminder): one per
// campaign, keyed by its id, set by the launch and cancelled by the close.
const KindReminder = "accessReview.reminder"

// ReminderLead is how long before its due time an ACTIVE campaign reminds its reviewers.
const ReminderLead = 24 * time.Hour

func reminderKey(campaignID string) string { return KindReminder + ":" + campaignID }

// scheduleReminder sets, in the launch's transaction, the reminder of a campaign just
// launched: ReminderLead before its due time, or now when that is already past. A
// campaign without a due time gets none.
func (s *Service) scheduleReminder(ctx context.Context, tx store.Tx, c domain.Campaign) error {
	if c.DueTime.IsZero() {
		return nil
	}
	at := c.DueTime.Add(-ReminderLead)
	if now := s.now(); at.Before(now) {
		at = now
	}
	return tx.Schedule(ctx, timer.Timer{Key: reminderKey(c.ID), Kind: KindReminder, FireAt: at, Payload: []byte(c.ID)})
}

// cancelReminder removes, in the close's transaction, a campaign's reminder not yet fired.
func cancelReminder(ctx context.Context, tx store.Tx, campaignID string) error {
	return tx.Cancel(ctx, reminderKey(campaignID))
}

// HandleTimers registers the review service's timer handlers on r.
func (s *Service) HandleTimers(r *timer.Runner[store.Tx]) { r.Handle(KindReminder, s.fireReminder) }

// fireReminder tells the reviewers who still have PENDING items that the campaign is due
// (accessReview.reminder, payload as accessReview.launched with item_reviewer_ids = those
// reviewers), in the transaction that removes the timer. A campaign no longer ACTIVE, or
// whose items are all decided or blocked, reminds nobody.
func (s *Service) fireReminder(ctx context.Context, tx store.Tx, tm timer.Timer) error {
	c, err := tx.LockCampaign(ctx, string(tm.Payload))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || c.Status != domain.Active {
		return err
	}
	reviewers, err := tx.PendingReviewers(ctx, c.ID)
	if err != nil || len(reviewers) == 0 {
		return err
	}
	p, err := tx.Progress(ctx, c.ID)
	if err != nil {
		return err
	}
	return s.emitCampaign(ctx, tx, ActionReminder, c, int(p.Total), reviewers, auth.SystemUserID)
}

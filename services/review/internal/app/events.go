package app

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/events"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

// Event actions. Every change is audited with the campaign and item ids.
const (
	ActionCreated  = "accessReview.created"
	ActionLaunched = "accessReview.launched"
	ActionClosed   = "accessReview.closed"
	// ActionReminder: an ACTIVE campaign is due within a day (see KindReminder).
	ActionReminder      = "accessReview.reminder"
	ActionItemDecided   = "accessReview.item.decided"
	ActionItemBlocked   = "accessReview.item.blocked"
	ActionItemUnblocked = "accessReview.item.unblocked"
	// ActionItemRequest: the request an item's decision opened changed status.
	ActionItemRequest = "accessReview.item.request_updated"
)

// campaignEvent is the payload of a campaign event; itemReviewers are every distinct
// reviewer of the campaign's items (accessReview.launched), or those with PENDING items
// (accessReview.reminder).
func campaignEvent(c domain.Campaign, items int, itemReviewers []string) *eventsv1.AccessReviewChanged {
	e := &eventsv1.AccessReviewChanged{
		AccessReviewId: c.ID, Name: c.Name, Status: string(c.Status), AppIds: c.AppIDs,
		ReviewerKind: string(c.ReviewerKind), ReviewerUserIds: c.ReviewerUserIDs, Items: int32(items),
		ItemReviewerIds: itemReviewers,
	}
	if !c.DueTime.IsZero() {
		e.DueTime = timestamppb.New(c.DueTime)
	}
	return e
}

func itemEvent(it domain.Item) *eventsv1.AccessReviewItemChanged {
	return &eventsv1.AccessReviewItemChanged{
		AccessReviewId: it.CampaignID, ItemId: it.ID, UserId: it.UserID, AppId: it.AppID, Permission: it.Permission,
		ReviewerIds: it.ReviewerIDs, Status: string(it.Status), Decision: string(it.Decision),
		NewPermission: it.NewPermission, Justification: it.Justification, RequestId: it.RequestID,
		RequestStatus: it.RequestStatus, BlockedReason: it.BlockedReason,
	}
}

func campaignSubject(id string) string { return "accessReviews/" + id }

func itemSubject(it domain.Item) string { return "accessReviews/" + it.CampaignID + "/items/" + it.ID }

// sinksOf are the sinks of an event: audit and notification always, and the service's own
// work queue for what must follow it (the reviewers' tasks, see Work).
func sinksOf(action string) []string {
	if hasWork[action] {
		return []string{SinkAudit, SinkNotification, SinkWork}
	}
	return []string{SinkAudit, SinkNotification}
}

// emitCampaign appends a campaign event in tx. actor overrides the caller ("system" for
// what the service does by itself).
func (s *Service) emitCampaign(ctx context.Context, tx store.Tx, action string, c domain.Campaign, items int, itemReviewers []string, actor string) error {
	ev := events.New(ctx, ServiceName, action, campaignSubject(c.ID), s.now(), actor)
	ev.Payload = &eventsv1.Event_AccessReviewChanged{AccessReviewChanged: campaignEvent(c, items, itemReviewers)}
	return tx.Emit(ctx, sinksOf(action), ev)
}

// emitItem appends an item event in tx. actor overrides the caller ("system" for what the
// service does by itself); the item's request, if any, puts the event in that request's
// lineage.
func (s *Service) emitItem(ctx context.Context, tx store.Tx, action string, it domain.Item, actor string) error {
	ev := events.New(ctx, ServiceName, action, itemSubject(it), s.now(), actor)
	ev.RequestId = it.RequestID
	ev.Payload = &eventsv1.Event_AccessReviewItemChanged{AccessReviewItemChanged: itemEvent(it)}
	return tx.Emit(ctx, sinksOf(action), ev)
}

package grpcapi

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	reviewv1 "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
	"github.com/grantflow/grantflow/services/review/internal/app"
	"github.com/grantflow/grantflow/services/review/internal/domain"
)

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func campaignPB(v app.CampaignView) *reviewv1.AccessReview {
	c := v.Campaign
	p := v.Progress
	return &reviewv1.AccessReview{
		Id: c.ID, Name: c.Name, Description: c.Description,
		Status:   reviewv1.AccessReview_Status(reviewv1.AccessReview_Status_value[string(c.Status)]),
		Scope:    &reviewv1.Scope{AppIds: c.AppIDs},
		Reviewer: &reviewv1.Reviewer{Kind: reviewv1.Reviewer_Kind(reviewv1.Reviewer_Kind_value[string(c.ReviewerKind)]), UserIds: c.ReviewerUserIDs},
		DueTime:  ts(c.DueTime), CreateTime: ts(c.CreateTime), LaunchTime: ts(c.LaunchTime), CloseTime: ts(c.CloseTime),
		Progress: &reviewv1.Progress{
			Total: p.Total, Pending: p.Pending, Kept: p.Kept, Changed: p.Changed, Removed: p.Removed,
			Blocked: p.Blocked, NotReviewed: p.NotReviewed,
		},
		CreatorId: c.CreatorID,
	}
}

func itemPB(it domain.Item) *reviewv1.AccessReviewItem {
	return &reviewv1.AccessReviewItem{
		Id: it.ID, CampaignId: it.CampaignID, UserId: it.UserID, AppId: it.AppID, Permission: it.Permission,
		GrantTime: ts(it.GrantTime), ReviewerIds: it.ReviewerIDs,
		Status:        reviewv1.AccessReviewItem_Status(reviewv1.AccessReviewItem_Status_value[string(it.Status)]),
		Decision:      reviewv1.AccessReviewItem_Decision(reviewv1.AccessReviewItem_Decision_value[string(it.Decision)]),
		NewPermission: it.NewPermission, DecidedBy: it.DecidedBy, DecideTime: ts(it.DecideTime),
		Justification: it.Justification, RequestId: it.RequestID, BlockedReason: it.BlockedReason,
		RequestStatus: it.RequestStatus, UserEmail: it.UserEmail, UserDisplayName: it.UserName, AppName: it.AppName,
	}
}

func statusFromPB(s reviewv1.AccessReview_Status) domain.Status {
	if s == reviewv1.AccessReview_STATUS_UNSPECIFIED {
		return ""
	}
	return domain.Status(s.String())
}

func itemStatusFromPB(s reviewv1.AccessReviewItem_Status) domain.ItemStatus {
	if s == reviewv1.AccessReviewItem_STATUS_UNSPECIFIED {
		return ""
	}
	return domain.ItemStatus(s.String())
}

func decisionFromPB(d reviewv1.AccessReviewItem_Decision) domain.Decision {
	if d == reviewv1.AccessReviewItem_DECISION_UNSPECIFIED {
		return domain.NoDecision
	}
	return domain.Decision(d.String())
}

func kindFromPB(k reviewv1.Reviewer_Kind) domain.ReviewerKind {
	if k == reviewv1.Reviewer_KIND_UNSPECIFIED {
		return ""
	}
	return domain.ReviewerKind(k.String())
}

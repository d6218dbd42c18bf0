package grpcapi

import (
	reviewv1 "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/review/internal/app"
	"github.com/grantflow/grantflow/services/review/internal/domain"
)

// Enums travel by name (pkg/pbconv): the domain's strings are the proto enum names, and an
// unspecified value becomes "" (NoDecision for a decision).

func campaignPB(v app.CampaignView) *reviewv1.AccessReview {
	c := v.Campaign
	p := v.Progress
	return &reviewv1.AccessReview{
		Id: c.ID, Name: c.Name, Description: c.Description,
		Status:   pbconv.Value[reviewv1.AccessReview_Status](reviewv1.AccessReview_Status_value, c.Status),
		Scope:    &reviewv1.Scope{AppIds: c.AppIDs},
		Reviewer: &reviewv1.Reviewer{Kind: pbconv.Value[reviewv1.Reviewer_Kind](reviewv1.Reviewer_Kind_value, c.ReviewerKind), UserIds: c.ReviewerUserIDs},
		DueTime:  pbconv.Time(c.DueTime), CreateTime: pbconv.Time(c.CreateTime), LaunchTime: pbconv.Time(c.LaunchTime), CloseTime: pbconv.Time(c.CloseTime),
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
		GrantTime: pbconv.Time(it.GrantTime), ReviewerIds: it.ReviewerIDs,
		Status:        pbconv.Value[reviewv1.AccessReviewItem_Status](reviewv1.AccessReviewItem_Status_value, it.Status),
		Decision:      pbconv.Value[reviewv1.AccessReviewItem_Decision](reviewv1.AccessReviewItem_Decision_value, it.Decision),
		NewPermission: it.NewPermission, DecidedBy: it.DecidedBy, DecideTime: pbconv.Time(it.DecideTime),
		Justification: it.Justification, RequestId: it.RequestID, BlockedReason: it.BlockedReason,
		RequestStatus: it.RequestStatus, UserEmail: it.UserEmail, UserDisplayName: it.UserName, AppName: it.AppName,
	}
}

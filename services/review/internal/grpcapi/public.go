package grpcapi

import (
	"context"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"

	reviewv1 "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/review/internal/app"
	"github.com/grantflow/grantflow/services/review/internal/domain"
)

// Public implements grantflow.review.v1.ReviewService.
type Public struct {
	reviewv1.UnimplementedReviewServiceServer
	App *app.Service
}

func (h *Public) CreateAccessReview(ctx context.Context, r *reviewv1.CreateAccessReviewRequest) (*reviewv1.AccessReview, error) {
	var due time.Time
	if r.GetDueTime() != nil {
		due = r.GetDueTime().AsTime()
	}
	return pbconv.Reply(campaignPB)(h.App.Create(ctx, domain.NewCampaign{
		Name: r.GetName(), Description: r.GetDescription(), AppIDs: r.GetScope().GetAppIds(),
		ReviewerKind: pbconv.Name[domain.ReviewerKind](r.GetReviewer().GetKind()), ReviewerUserIDs: r.GetReviewer().GetUserIds(), DueTime: due,
	}))
}

func (h *Public) LaunchAccessReview(ctx context.Context, r *reviewv1.LaunchAccessReviewRequest) (*reviewv1.AccessReview, error) {
	return pbconv.Reply(campaignPB)(h.App.Launch(ctx, r.GetId()))
}

func (h *Public) GetAccessReview(ctx context.Context, r *reviewv1.GetAccessReviewRequest) (*reviewv1.AccessReview, error) {
	return pbconv.Reply(campaignPB)(h.App.Get(ctx, r.GetId()))
}

func (h *Public) ListAccessReviews(ctx context.Context, r *reviewv1.ListAccessReviewsRequest) (*reviewv1.ListAccessReviewsResponse, error) {
	vs, next, err := h.App.List(ctx, app.ListQuery{Status: pbconv.Name[domain.Status](r.GetStatus()), PageSize: r.GetPageSize(), PageToken: r.GetPageToken()})
	return pbconv.Page(&reviewv1.ListAccessReviewsResponse{NextPageToken: next, AccessReviews: pbconv.Map(vs, campaignPB)}, err)
}

func (h *Public) ListAccessReviewItems(ctx context.Context, r *reviewv1.ListAccessReviewItemsRequest) (*reviewv1.ListAccessReviewItemsResponse, error) {
	items, next, err := h.App.ListItems(ctx, app.ItemQuery{
		CampaignID: r.GetAccessReviewId(), ReviewerID: r.GetReviewerId(), Status: pbconv.Name[domain.ItemStatus](r.GetStatus()),
		PageSize: r.GetPageSize(), PageToken: r.GetPageToken(),
	})
	return pbconv.Page(&reviewv1.ListAccessReviewItemsResponse{NextPageToken: next, Items: pbconv.Map(items, itemPB)}, err)
}

func (h *Public) DecideAccessReviewItem(ctx context.Context, r *reviewv1.DecideAccessReviewItemRequest) (*reviewv1.AccessReviewItem, error) {
	return pbconv.Reply(itemPB)(h.App.Decide(ctx, r.GetAccessReviewId(), r.GetItemId(), domain.Verdict{
		Decision: pbconv.Name[domain.Decision](r.GetDecision()), Permission: r.GetPermission(), Justification: r.GetJustification(),
	}))
}

func (h *Public) CloseAccessReview(ctx context.Context, r *reviewv1.CloseAccessReviewRequest) (*reviewv1.AccessReview, error) {
	return pbconv.Reply(campaignPB)(h.App.Close(ctx, r.GetId()))
}

// ExportContentType is the media type of an export.
const ExportContentType = "text/csv; charset=utf-8"

func (h *Public) ExportAccessReview(r *reviewv1.ExportAccessReviewRequest, stream grpc.ServerStreamingServer[httpbody.HttpBody]) error {
	return h.App.Export(stream.Context(), r.GetId(), func(chunk []byte) error {
		return stream.Send(&httpbody.HttpBody{ContentType: ExportContentType, Data: chunk})
	})
}

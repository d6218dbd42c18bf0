package grpcapi

import (
	"context"

	reviewv1 "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/review/internal/app"
)

// Internal implements grantflow.review.v1.ReviewInternalService. The server refuses callers
// without a signed internal token before these run (pkg/auth InternalOnly).
type Internal struct {
	reviewv1.UnimplementedReviewInternalServiceServer
	App *app.Service
}

func (h *Internal) GetItem(ctx context.Context, r *reviewv1.GetItemRequest) (*reviewv1.AccessReviewItem, error) {
	return pbconv.Reply(itemPB)(h.App.InternalItem(ctx, r.GetAccessReviewId(), r.GetItemId()))
}

package grpcapi

import (
	"context"

	"google.golang.org/grpc"

	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/request/internal/app"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// Public is the RequestService.
type Public struct {
	requestv1.UnimplementedRequestServiceServer
	App *app.Service
}

func (h *Public) SubmitRequest(ctx context.Context, in *requestv1.SubmitRequestRequest) (*requestv1.Request, error) {
	sub := app.Submission{
		ClientID: in.GetRequestId(), Type: domain.Type(in.GetType().String()), TargetUserID: in.GetTargetUserId(),
		AppID: in.GetAppId(), Permission: in.GetPermission(), Reason: in.GetReason(),
		Origin:         app.Origin{AccessReviewID: in.GetOrigin().GetAccessReviewId(), ItemID: in.GetOrigin().GetItemId()},
		AccessDuration: in.GetAccessDuration().AsDuration(),
	}
	if in.GetOrigin().GetExpiry() {
		return nil, errs.Invalid("origin.expiry", "only Grantflow opens requests at an access's expiry")
	}
	if n := in.GetNewApp(); n != nil {
		sub.NewApp = &domain.NewApp{Name: n.GetName(), OwnerIDs: n.GetOwnerIds()}
		for _, p := range n.GetPermissions() {
			sub.NewApp.Permissions = append(sub.NewApp.Permissions, domain.Permission{Name: p.GetName(), Privileged: p.GetPrivileged()})
		}
	}
	return pbconv.Reply(requestPB)(h.App.Submit(ctx, sub))
}

func (h *Public) GetRequest(ctx context.Context, in *requestv1.GetRequestRequest) (*requestv1.Request, error) {
	return pbconv.Reply(requestPB)(h.App.Get(ctx, in.GetId()))
}

func (h *Public) ListRequests(ctx context.Context, in *requestv1.ListRequestsRequest) (*requestv1.ListRequestsResponse, error) {
	f := store.Filter{RequesterID: in.GetRequesterId(), TargetUserID: in.GetTargetUserId(), AppID: in.GetAppId()}
	if in.GetStatus() != requestv1.Request_STATUS_UNSPECIFIED {
		f.Status = domain.Status(in.GetStatus().String())
	}
	if in.GetType() != typev1.RequestType_REQUEST_TYPE_UNSPECIFIED {
		f.Type = domain.Type(in.GetType().String())
	}
	rs, next, err := h.App.List(ctx, f, in.GetPageSize(), in.GetPageToken())
	return pbconv.Page(&requestv1.ListRequestsResponse{Requests: pbconv.Map(rs, requestPB), NextPageToken: next}, err)
}

// WatchRequest streams the request's changes (see app.Service.Watch).
func (h *Public) WatchRequest(in *requestv1.WatchRequestRequest, stream grpc.ServerStreamingServer[requestv1.RequestChange]) error {
	return h.App.Watch(stream.Context(), in.GetId(), in.GetAfterVersion(), func(r domain.Request) error {
		return stream.Send(&requestv1.RequestChange{Version: r.Version, Request: requestPB(r)})
	})
}

func (h *Public) CancelRequest(ctx context.Context, in *requestv1.CancelRequestRequest) (*requestv1.Request, error) {
	return pbconv.Reply(requestPB)(h.App.Cancel(ctx, in.GetId(), in.GetReason()))
}

package grpcapi

import (
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/etag"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/request/internal/domain"
)

func requestPB(r domain.Request) *requestv1.Request {
	out := &requestv1.Request{
		Id: r.ID, Type: pbconv.Value[typev1.RequestType](typev1.RequestType_value, r.Type), RequesterId: r.RequesterID,
		TargetUserId: r.TargetUserID, AppId: r.AppID, Permission: r.Permission, Reason: r.Reason,
		Status:   pbconv.Value[requestv1.Request_Status](requestv1.Request_Status_value, r.Status),
		Stage:    pbconv.Value[requestv1.Request_Stage](requestv1.Request_Stage_value, r.Stage),
		PolicyId: r.PolicyID, PolicyVersion: r.PolicyVersion, TaskIds: pbconv.List(r.TaskIDs),
		CreateTime: timestamppb.New(r.CreateTime), UpdateTime: timestamppb.New(r.UpdateTime),
		RequestId: r.ClientID, PolicyLevel: r.PolicyLevel, StepIndex: int32(r.StepIndex),
		FailureReason: r.FailureReason, PreviousPermission: r.PreviousPermission, Etag: etag.Of(r.Version),
		Version: r.Version, ExpireTime: pbconv.Time(r.ExpireTime),
	}
	if r.AccessDuration > 0 {
		out.AccessDuration = durationpb.New(r.AccessDuration)
	}
	if r.OriginExpiry {
		out.Origin = &requestv1.Origin{Expiry: true}
	}
	if n := r.NewApp; n != nil {
		out.NewApp = &requestv1.NewApp{Name: n.Name, OwnerIds: n.OwnerIDs}
		for _, p := range n.Permissions {
			out.NewApp.Permissions = append(out.NewApp.Permissions, &identityv1.Permission{Name: p.Name, Privileged: p.Privileged})
		}
	}
	return out
}

package grpcapi

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/etag"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
)

// Enums travel by name (pkg/pbconv): the domain's strings are the proto enum names, and an
// unspecified value becomes "" (which the domain's validation names as missing).

func requestTypeFromPB(t typev1.RequestType) domain.RequestType {
	return pbconv.Name[domain.RequestType](t)
}

func requestTypePB(t domain.RequestType) typev1.RequestType {
	return pbconv.Value[typev1.RequestType](typev1.RequestType_value, t)
}

func scopeFromPB(s *policyv1.Scope) domain.Scope {
	return domain.Scope{AppID: s.GetAppId(), Permissions: s.GetPermissions()}
}

func scopePB(s domain.Scope) *policyv1.Scope {
	return &policyv1.Scope{AppId: s.AppID, Permissions: pbconv.List(s.Permissions)}
}

func policyPB(p domain.Policy) *policyv1.Policy {
	return &policyv1.Policy{
		Id:            p.ID,
		Name:          p.Name,
		RequestType:   requestTypePB(p.RequestType),
		Scope:         scopePB(p.Scope),
		Level:         pbconv.Value[policyv1.Level](policyv1.Level_value, p.Level),
		ActiveVersion: p.ActiveVersion,
		LatestVersion: p.LatestVersion,
		CreateTime:    timestamppb.New(p.CreateTime),
		UpdateTime:    timestamppb.New(p.UpdateTime),
		CreateBy:      p.CreateBy,
	}
}

func versionPB(v domain.Version) *policyv1.PolicyVersion {
	return &policyv1.PolicyVersion{
		PolicyId:     v.PolicyID,
		Version:      v.Version,
		State:        pbconv.Value[policyv1.PolicyVersion_State](policyv1.PolicyVersion_State_value, v.State),
		Workflow:     pbconv.WorkflowPB(v.Workflow),
		CreateTime:   timestamppb.New(v.CreateTime),
		UpdateTime:   timestamppb.New(v.UpdateTime),
		ActivateTime: pbconv.Time(v.ActivateTime), // nil until activated
		RetireTime:   pbconv.Time(v.RetireTime),
		CreateBy:     v.CreateBy,
		Etag:         etag.Of(v.Revision),
	}
}

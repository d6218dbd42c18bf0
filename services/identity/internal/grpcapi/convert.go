package grpcapi

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/etag"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/identity/internal/app"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
)

func userPB(v app.UserView) *identityv1.User {
	return &identityv1.User{
		Id:          v.ID,
		Email:       v.Email,
		DisplayName: v.DisplayName,
		Role:        roleToPB(v.Role),
		ManagerId:   v.ManagerID,
		Status:      identityv1.User_Status(identityv1.User_Status_value[string(v.Status)]),
		IsManager:   v.IsManager,
		CreateTime:  timestamppb.New(v.CreateTime),
		UpdateTime:  timestamppb.New(v.UpdateTime),
		Etag:        etag.Of(v.Version),
		ExternalId:  v.ExternalID,
	}
}

// Roles travel by name (pkg/pbconv); an unspecified role is "".

func roleToPB(r domain.Role) identityv1.Role {
	return pbconv.Value[identityv1.Role](identityv1.Role_value, r)
}

func roleFromPB(r identityv1.Role) domain.Role { return pbconv.Name[domain.Role](r) }

func groupPB(g domain.Group) *identityv1.Group {
	return &identityv1.Group{
		Id: g.ID, Name: g.Name, Description: g.Description, MemberIds: pbconv.List(g.MemberIDs),
		CreateTime: timestamppb.New(g.CreateTime), UpdateTime: timestamppb.New(g.UpdateTime), Etag: etag.Of(g.Version),
	}
}

func appPB(a domain.App) *identityv1.App {
	out := &identityv1.App{
		Id: a.ID, Name: a.Name, OwnerIds: pbconv.List(a.OwnerIDs),
		Status:     identityv1.App_Status(identityv1.App_Status_value[string(a.Status)]),
		CreateTime: timestamppb.New(a.CreateTime), UpdateTime: timestamppb.New(a.UpdateTime), Etag: etag.Of(a.Version),
	}
	for _, p := range a.Permissions {
		out.Permissions = append(out.Permissions, &identityv1.Permission{Name: p.Name, Privileged: p.Privileged})
	}
	for _, r := range a.CustomRoles {
		out.CustomRoles = append(out.CustomRoles, &identityv1.CustomRole{Name: r.Name, UserIds: pbconv.List(r.UserIDs)})
	}
	return out
}

func permissionsFromPB(ps []*identityv1.Permission) []domain.Permission {
	out := make([]domain.Permission, len(ps))
	for i, p := range ps {
		out[i] = domain.Permission{Name: p.GetName(), Privileged: p.GetPrivileged()}
	}
	return out
}

func rolesFromPB(rs []*identityv1.CustomRole) []domain.CustomRole {
	out := make([]domain.CustomRole, len(rs))
	for i, r := range rs {
		out[i] = domain.CustomRole{Name: r.GetName(), UserIDs: r.GetUserIds()}
	}
	return out
}

func accessPB(a domain.Access) *identityv1.Access {
	out := &identityv1.Access{UserId: a.UserID, AppId: a.AppID, Permission: a.Permission, RequestId: a.RequestID}
	if !a.GrantTime.IsZero() {
		out.GrantTime = timestamppb.New(a.GrantTime)
	}
	if !a.ExpireTime.IsZero() {
		out.ExpireTime = timestamppb.New(a.ExpireTime)
	}
	return out
}

func keyPB(k domain.APIKey) *identityv1.ApiKey {
	out := &identityv1.ApiKey{Id: k.ID, UserId: k.UserID, DisplayName: k.DisplayName, CreateTime: timestamppb.New(k.CreateTime), Revoked: k.Revoked(), CreatedBy: k.CreatedBy}
	if k.Revoked() {
		out.RevokeTime = timestamppb.New(k.RevokeTime)
	}
	return out
}

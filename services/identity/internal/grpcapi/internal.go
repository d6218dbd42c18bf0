package grpcapi

import (
	"context"
	"time"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/identity/internal/app"
)

// Internal implements grantflow.identity.v1.IdentityInternalService. The server refuses
// callers without a signed internal token before these run (pkg/auth InternalOnly).
type Internal struct {
	identityv1.UnimplementedIdentityInternalServiceServer
	App *app.Service
}

func (h *Internal) Authenticate(ctx context.Context, r *identityv1.AuthenticateRequest) (*identityv1.AuthenticateResponse, error) {
	p, err := h.App.Authenticate(ctx, r.GetCredential())
	if err != nil {
		return nil, err
	}
	return &identityv1.AuthenticateResponse{Principal: &identityv1.Principal{
		UserId: p.UserID, Role: p.Role, CredentialKind: p.CredentialKind, CredentialId: p.CredentialID, MintedBy: p.MintedBy, Status: identityv1.User_ACTIVE,
	}}, nil
}

func (h *Internal) GetFacts(ctx context.Context, r *identityv1.GetFactsRequest) (*identityv1.GetFactsResponse, error) {
	f, err := h.App.GetFacts(ctx, r.GetUserIds(), r.GetAppIds(), r.GetGroupIds(), r.GetIncludeAccesses(), r.GetAppNames()...)
	if err != nil {
		return nil, err
	}
	out := &identityv1.GetFactsResponse{Users: map[string]*identityv1.UserFacts{}, Apps: map[string]*identityv1.AppFacts{}, ExistingGroupIds: f.Groups}
	for id, u := range f.Users {
		out.Users[id] = &identityv1.UserFacts{
			Id: u.ID, Role: roleToPB(u.Role), Status: identityv1.User_Status(identityv1.User_Status_value[string(u.Status)]),
			ManagerId: u.ManagerID, IsManager: u.IsManager, Email: u.Email, DisplayName: u.DisplayName,
		}
	}
	for id, a := range f.Apps {
		pb := appPB(a)
		af := &identityv1.AppFacts{Id: a.ID, Name: a.Name, Status: pb.GetStatus(), OwnerIds: pb.GetOwnerIds(), Permissions: pb.GetPermissions()}
		for _, r := range a.CustomRoles {
			af.CustomRoleNames = append(af.CustomRoleNames, r.Name)
		}
		out.Apps[id] = af
	}
	for _, a := range f.Accesses {
		out.Accesses = append(out.Accesses, accessPB(a))
	}
	for _, spec := range r.GetResolve() {
		// A spec that does not resolve leaves its answer unset: the caller asks
		// ResolveAssignees, whose error says why (and is retried as that call's own).
		res, err := h.ResolveAssignees(ctx, spec)
		if err != nil {
			res = nil
		}
		out.Resolutions = append(out.Resolutions, &identityv1.FactsResolution{Result: res})
	}
	return out, nil
}

func (h *Internal) ResolveAssignees(ctx context.Context, r *identityv1.ResolveAssigneesRequest) (*identityv1.ResolveAssigneesResponse, error) {
	a := r.GetAssignee()
	if a.GetKind() == typev1.AssigneeKind_ASSIGNEE_KIND_UNSPECIFIED {
		return nil, errs.Invalid("assignee.kind", "required")
	}
	res, err := h.App.ResolveAssignees(ctx, pbconv.AssigneeFromPB(a), r.GetTargetUserId(), r.GetAppId(), r.GetExcludeUserIds())
	if err != nil {
		return nil, err
	}
	return &identityv1.ResolveAssigneesResponse{UserIds: res.UserIDs, FellBackToAdmins: res.FellBack, Explanation: res.Explanation, Agent: res.Agent}, nil
}

func (h *Internal) ApplyAccessChange(ctx context.Context, r *identityv1.ApplyAccessChangeRequest) (*identityv1.ApplyAccessChangeResponse, error) {
	var c app.Change
	switch r.GetChange() {
	case identityv1.AccessChange_GRANT:
		c = app.Grant
	case identityv1.AccessChange_CHANGE:
		c = app.Modify
	case identityv1.AccessChange_REMOVE:
		c = app.Remove
	}
	if c != app.Remove && r.GetPermission() == "" {
		return nil, errs.Invalid("permission", "required for GRANT and CHANGE")
	}
	var expire time.Time
	if r.GetExpireTime() != nil {
		expire = r.GetExpireTime().AsTime()
	}
	a, err := h.App.ApplyAccessChange(ctx, r.GetRequestId(), c, r.GetUserId(), r.GetAppId(), r.GetPermission(), expire)
	if err != nil {
		return nil, err
	}
	return &identityv1.ApplyAccessChangeResponse{Access: accessPB(a)}, nil
}

func (h *Internal) AddApp(ctx context.Context, r *identityv1.AddAppRequest) (*identityv1.AddAppResponse, error) {
	a, err := h.App.AddApp(ctx, r.GetRequestId(), r.GetRequesterId(), app.NewApp{Name: r.GetName(), OwnerIDs: r.GetOwnerIds(), Permissions: permissionsFromPB(r.GetPermissions())})
	if err != nil {
		return nil, err
	}
	return &identityv1.AddAppResponse{App: appPB(a)}, nil
}

func (h *Internal) ArchiveApp(ctx context.Context, r *identityv1.ArchiveAppRequest) (*identityv1.ArchiveAppResponse, error) {
	a, err := h.App.ArchiveApp(ctx, r.GetRequestId(), r.GetAppId())
	if err != nil {
		return nil, err
	}
	return &identityv1.ArchiveAppResponse{App: appPB(a)}, nil
}

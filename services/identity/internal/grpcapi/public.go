package grpcapi

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/identity/internal/app"
)

// Public implements grantflow.identity.v1.IdentityService.
type Public struct {
	identityv1.UnimplementedIdentityServiceServer
	App *app.Service
}

func (h *Public) GetMe(ctx context.Context, _ *identityv1.GetMeRequest) (*identityv1.GetMeResponse, error) {
	u, caps, owned, err := h.App.Me(ctx)
	if err != nil {
		return nil, err
	}
	return &identityv1.GetMeResponse{User: userPB(u), Capabilities: caps, OwnedAppIds: pbconv.List(owned)}, nil
}

func (h *Public) CreateUser(ctx context.Context, r *identityv1.CreateUserRequest) (*identityv1.User, error) {
	return pbconv.Reply(userPB)(h.App.CreateUser(ctx, app.NewUser{Email: r.GetEmail(), DisplayName: r.GetDisplayName(), Role: roleFromPB(r.GetRole()), ManagerID: r.GetManagerId(), ExternalID: r.GetExternalId()}))
}

func (h *Public) GetUser(ctx context.Context, r *identityv1.GetUserRequest) (*identityv1.User, error) {
	return pbconv.Reply(userPB)(h.App.GetUser(ctx, r.GetId()))
}

func (h *Public) ListUsers(ctx context.Context, r *identityv1.ListUsersRequest) (*identityv1.ListUsersResponse, error) {
	us, next, err := h.App.ListUsers(ctx, app.UserQuery{
		ManagerID: r.GetManagerId(), Email: r.GetEmail(), ExternalID: r.GetExternalId(), DisplayName: r.GetDisplayName(), Role: roleFromPB(r.GetRole()),
	}, r.GetPageSize(), r.GetPageToken())
	return pbconv.Page(&identityv1.ListUsersResponse{NextPageToken: next, Users: pbconv.Map(us, userPB)}, err)
}

func (h *Public) UpdateUser(ctx context.Context, r *identityv1.UpdateUserRequest) (*identityv1.User, error) {
	u := r.GetUser()
	ps := pbconv.Paths(r.GetUpdateMask(), map[string]bool{
		"email": u.GetEmail() != "", "display_name": u.GetDisplayName() != "",
		"role": u.GetRole() != identityv1.Role_ROLE_UNSPECIFIED, "manager_id": u.GetManagerId() != "",
		"external_id": u.GetExternalId() != "",
	})
	var p app.UserPatch
	p.Etag = u.GetEtag()
	for _, path := range ps {
		switch path {
		case "email":
			v := u.GetEmail()
			p.Email = &v
		case "display_name":
			v := u.GetDisplayName()
			p.DisplayName = &v
		case "role":
			v := roleFromPB(u.GetRole())
			if v == "" {
				return nil, errs.Invalid("user.role", "must be USER, ADMIN or GENERAL_MANAGER")
			}
			p.Role = &v
		case "manager_id":
			v := u.GetManagerId()
			p.ManagerID = &v
		case "external_id":
			v := u.GetExternalId()
			if len(v) > 256 {
				return nil, errs.Invalid("user.external_id", "at most 256 characters")
			}
			p.ExternalID = &v
		default:
			return nil, errs.Invalid("update_mask", "cannot update "+path+"; updatable: email, display_name, role, manager_id, external_id")
		}
	}
	return pbconv.Reply(userPB)(h.App.UpdateUser(ctx, r.GetId(), p))
}

func (h *Public) OffboardUser(ctx context.Context, r *identityv1.OffboardUserRequest) (*identityv1.User, error) {
	return pbconv.Reply(userPB)(h.App.OffboardUser(ctx, r.GetId(), r.GetReason()))
}

func (h *Public) CreateApiKey(ctx context.Context, r *identityv1.CreateApiKeyRequest) (*identityv1.CreateApiKeyResponse, error) {
	k, secret, err := h.App.CreateAPIKey(ctx, r.GetUserId(), r.GetDisplayName())
	if err != nil {
		return nil, err
	}
	return &identityv1.CreateApiKeyResponse{Id: k.ID, Secret: secret, ApiKey: keyPB(k)}, nil
}

func (h *Public) ListApiKeys(ctx context.Context, r *identityv1.ListApiKeysRequest) (*identityv1.ListApiKeysResponse, error) {
	ks, err := h.App.ListAPIKeys(ctx, r.GetUserId())
	if err != nil {
		return nil, err
	}
	return &identityv1.ListApiKeysResponse{ApiKeys: pbconv.Map(ks, keyPB)}, nil
}

func (h *Public) RevokeApiKey(ctx context.Context, r *identityv1.RevokeApiKeyRequest) (*identityv1.ApiKey, error) {
	return pbconv.Reply(keyPB)(h.App.RevokeAPIKey(ctx, r.GetUserId(), r.GetId()))
}

func (h *Public) CreateGroup(ctx context.Context, r *identityv1.CreateGroupRequest) (*identityv1.Group, error) {
	return pbconv.Reply(groupPB)(h.App.CreateGroup(ctx, r.GetName(), r.GetDescription(), r.GetMemberIds()))
}

func (h *Public) GetGroup(ctx context.Context, r *identityv1.GetGroupRequest) (*identityv1.Group, error) {
	return pbconv.Reply(groupPB)(h.App.GetGroup(ctx, r.GetId()))
}

func (h *Public) ListGroups(ctx context.Context, r *identityv1.ListGroupsRequest) (*identityv1.ListGroupsResponse, error) {
	gs, next, err := h.App.ListGroups(ctx, r.GetPageSize(), r.GetPageToken())
	return pbconv.Page(&identityv1.ListGroupsResponse{NextPageToken: next, Groups: pbconv.Map(gs, groupPB)}, err)
}

func (h *Public) UpdateGroup(ctx context.Context, r *identityv1.UpdateGroupRequest) (*identityv1.Group, error) {
	g := r.GetGroup()
	ps := pbconv.Paths(r.GetUpdateMask(), map[string]bool{"name": g.GetName() != "", "description": g.GetDescription() != "", "member_ids": g.GetMemberIds() != nil})
	p := app.GroupPatch{Etag: g.GetEtag()}
	for _, path := range ps {
		switch path {
		case "name":
			v := g.GetName()
			p.Name = &v
		case "description":
			v := g.GetDescription()
			p.Description = &v
		case "member_ids":
			v := g.GetMemberIds()
			p.MemberIDs = &v
		default:
			return nil, errs.Invalid("update_mask", "cannot update "+path+"; updatable: name, description, member_ids")
		}
	}
	return pbconv.Reply(groupPB)(h.App.UpdateGroup(ctx, r.GetId(), p))
}

func (h *Public) DeleteGroup(ctx context.Context, r *identityv1.DeleteGroupRequest) (*emptypb.Empty, error) {
	return pbconv.Empty(h.App.DeleteGroup(ctx, r.GetId()))
}

func (h *Public) CreateApp(ctx context.Context, r *identityv1.CreateAppRequest) (*identityv1.App, error) {
	return pbconv.Reply(appPB)(h.App.CreateApp(ctx, app.NewApp{Name: r.GetName(), OwnerIDs: r.GetOwnerIds(), Permissions: permissionsFromPB(r.GetPermissions()), CustomRoles: rolesFromPB(r.GetCustomRoles())}))
}

func (h *Public) GetApp(ctx context.Context, r *identityv1.GetAppRequest) (*identityv1.App, error) {
	return pbconv.Reply(appPB)(h.App.GetApp(ctx, r.GetId()))
}

func (h *Public) ListApps(ctx context.Context, r *identityv1.ListAppsRequest) (*identityv1.ListAppsResponse, error) {
	as, next, err := h.App.ListApps(ctx, r.GetOwnerId(), r.GetPageSize(), r.GetPageToken())
	return pbconv.Page(&identityv1.ListAppsResponse{NextPageToken: next, Apps: pbconv.Map(as, appPB)}, err)
}

func (h *Public) UpdateApp(ctx context.Context, r *identityv1.UpdateAppRequest) (*identityv1.App, error) {
	a := r.GetApp()
	ps := pbconv.Paths(r.GetUpdateMask(), map[string]bool{
		"name": a.GetName() != "", "owner_ids": a.GetOwnerIds() != nil,
		"permissions": a.GetPermissions() != nil, "custom_roles": a.GetCustomRoles() != nil,
	})
	p := app.AppPatch{Etag: a.GetEtag()}
	for _, path := range ps {
		switch path {
		case "name":
			v := a.GetName()
			p.Name = &v
		case "owner_ids":
			v := a.GetOwnerIds()
			p.OwnerIDs = &v
		case "permissions":
			v := permissionsFromPB(a.GetPermissions())
			p.Permissions = &v
		case "custom_roles":
			v := rolesFromPB(a.GetCustomRoles())
			p.CustomRoles = &v
		default:
			return nil, errs.Invalid("update_mask", "cannot update "+path+"; updatable: name, owner_ids, permissions, custom_roles")
		}
	}
	return pbconv.Reply(appPB)(h.App.UpdateApp(ctx, r.GetId(), p))
}

func (h *Public) ListAccesses(ctx context.Context, r *identityv1.ListAccessesRequest) (*identityv1.ListAccessesResponse, error) {
	as, next, err := h.App.ListAccesses(ctx, r.GetUserId(), r.GetAppId(), r.GetPageSize(), r.GetPageToken())
	return pbconv.Page(&identityv1.ListAccessesResponse{NextPageToken: next, Accesses: pbconv.Map(as, accessPB)}, err)
}

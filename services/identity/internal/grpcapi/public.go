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
	p := app.UserPatch{Etag: u.GetEtag()}
	if err := pbconv.Patch(r.GetUpdateMask(), "email, display_name, role, manager_id, external_id", map[string]pbconv.Field{
		"email":        pbconv.Put(u.GetEmail() != "", &p.Email, u.GetEmail()),
		"display_name": pbconv.Put(u.GetDisplayName() != "", &p.DisplayName, u.GetDisplayName()),
		"role": {Set: u.GetRole() != identityv1.Role_ROLE_UNSPECIFIED, Apply: func() error {
			v := roleFromPB(u.GetRole())
			if v == "" {
				return errs.Invalid("user.role", "must be USER, ADMIN or GENERAL_MANAGER")
			}
			p.Role = &v
			return nil
		}},
		"manager_id": pbconv.Put(u.GetManagerId() != "", &p.ManagerID, u.GetManagerId()),
		"external_id": {Set: u.GetExternalId() != "", Apply: func() error {
			v := u.GetExternalId()
			if len(v) > 256 {
				return errs.Invalid("user.external_id", "at most 256 characters")
			}
			p.ExternalID = &v
			return nil
		}},
	}); err != nil {
		return nil, err
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
	p := app.GroupPatch{Etag: g.GetEtag()}
	if err := pbconv.Patch(r.GetUpdateMask(), "name, description, member_ids", map[string]pbconv.Field{
		"name":        pbconv.Put(g.GetName() != "", &p.Name, g.GetName()),
		"description": pbconv.Put(g.GetDescription() != "", &p.Description, g.GetDescription()),
		"member_ids":  pbconv.Put(g.GetMemberIds() != nil, &p.MemberIDs, g.GetMemberIds()),
	}); err != nil {
		return nil, err
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
	p := app.AppPatch{Etag: a.GetEtag()}
	if err := pbconv.Patch(r.GetUpdateMask(), "name, owner_ids, permissions, custom_roles", map[string]pbconv.Field{
		"name":         pbconv.Put(a.GetName() != "", &p.Name, a.GetName()),
		"owner_ids":    pbconv.Put(a.GetOwnerIds() != nil, &p.OwnerIDs, a.GetOwnerIds()),
		"permissions":  pbconv.Put(a.GetPermissions() != nil, &p.Permissions, permissionsFromPB(a.GetPermissions())),
		"custom_roles": pbconv.Put(a.GetCustomRoles() != nil, &p.CustomRoles, rolesFromPB(a.GetCustomRoles())),
	}); err != nil {
		return nil, err
	}
	return pbconv.Reply(appPB)(h.App.UpdateApp(ctx, r.GetId(), p))
}

func (h *Public) ListAccesses(ctx context.Context, r *identityv1.ListAccessesRequest) (*identityv1.ListAccessesResponse, error) {
	as, next, err := h.App.ListAccesses(ctx, r.GetUserId(), r.GetAppId(), r.GetPageSize(), r.GetPageToken())
	return pbconv.Page(&identityv1.ListAccessesResponse{NextPageToken: next, Accesses: pbconv.Map(as, accessPB)}, err)
}

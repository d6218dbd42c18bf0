package scim

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	scimfilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
)

// groupHandler maps SCIM Groups onto identity's groups: displayName is the name, members'
// values the member user ids. A group's externalId is accepted and not kept (identity's
// groups have none; clients find groups by displayName).
type groupHandler struct {
	id identityv1.IdentityServiceClient
}

func (h *groupHandler) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	name, _ := attrs["displayName"].(string)
	if strings.TrimSpace(name) == "" {
		return scim.Resource{}, invalid("displayName is required")
	}
	members, _ := attrs["members"].([]any)
	g, err := h.id.CreateGroup(r.Context(), &identityv1.CreateGroupRequest{Name: strings.TrimSpace(name), MemberIds: memberIDs(nil, members)})
	if err != nil {
		return scim.Resource{}, fromStatus(err)
	}
	return groupResource(g), nil
}

func (h *groupHandler) Get(r *http.Request, id string) (scim.Resource, error) {
	g, err := h.get(r.Context(), id)
	if err != nil {
		return scim.Resource{}, err
	}
	return groupResource(g), nil
}

func (h *groupHandler) get(ctx context.Context, id string) (*identityv1.Group, error) {
	if id == "" || len(id) > 64 {
		return nil, scimerrors.ScimErrorResourceNotFound(id)
	}
	g, err := h.id.GetGroup(ctx, &identityv1.GetGroupRequest{Id: id})
	if status.Code(err) == codes.NotFound {
		return nil, scimerrors.ScimErrorResourceNotFound(id)
	}
	if err != nil {
		return nil, fromStatus(err)
	}
	return g, nil
}

// GetAll lists every group and keeps those the filter passes (the library evaluates it).
func (h *groupHandler) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	groups, err := listAll(r.Context(), func(ctx context.Context, token string) ([]*identityv1.Group, string, error) {
		res, err := h.id.ListGroups(ctx, &identityv1.ListGroupsRequest{PageSize: 500, PageToken: token})
		return res.GetGroups(), res.GetNextPageToken(), err
	})
	if err != nil {
		return scim.Page{}, fromStatus(err)
	}
	var matched []scim.Resource
	for _, g := range groups {
		res := groupResource(g)
		if params.FilterValidator == nil || params.FilterValidator.PassesFilter(filterView(res, false)) == nil {
			matched = append(matched, res)
		}
	}
	return scim.Page{TotalResults: len(matched), Resources: window(matched, params.StartIndex, params.Count)}, nil
}

func (h *groupHandler) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	name, _ := attrs["displayName"].(string)
	if strings.TrimSpace(name) == "" {
		return scim.Resource{}, invalid("displayName is required")
	}
	members, _ := attrs["members"].([]any)
	return h.change(r.Context(), id, func(g *groupState) error {
		g.name, g.members = strings.TrimSpace(name), memberIDs(nil, members)
		return nil
	})
}

func (h *groupHandler) Delete(r *http.Request, id string) error {
	if _, err := h.get(r.Context(), id); err != nil {
		return err
	}
	if _, err := h.id.DeleteGroup(r.Context(), &identityv1.DeleteGroupRequest{Id: id}); err != nil {
		if status.Code(err) == codes.NotFound {
			return scimerrors.ScimErrorResourceNotFound(id)
		}
		return fromStatus(err)
	}
	return nil
}

// Patch: displayName replaced; members added, replaced, and removed by a value filter
// (members[value eq "id"], Okta and Entra today), by a list of values (Entra's older form)
// or all at once (a remove of "members" without a value).
func (h *groupHandler) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	return h.change(r.Context(), id, func(g *groupState) error {
		for _, op := range ops {
			if err := g.apply(op); err != nil {
				return err
			}
		}
		return nil
	})
}

type groupState struct {
	name    string
	members []string
}

// change reads the group, applies edit and writes the difference with the etag of the
// read, reading again after a concurrent change.
func (h *groupHandler) change(ctx context.Context, id string, edit func(*groupState) error) (scim.Resource, error) {
	for attempt := 0; ; attempt++ {
		g, err := h.get(ctx, id)
		if err != nil {
			return scim.Resource{}, err
		}
		st := groupState{name: g.GetName(), members: slices.Clone(g.GetMemberIds())}
		if err := edit(&st); err != nil {
			return scim.Resource{}, err
		}
		var mask []string
		patch := &identityv1.Group{Etag: g.GetEtag()}
		if st.name != g.GetName() {
			mask, patch.Name = append(mask, "name"), st.name
		}
		if !slices.Equal(st.members, g.GetMemberIds()) {
			mask, patch.MemberIds = append(mask, "member_ids"), st.members
		}
		if len(mask) == 0 {
			return groupResource(g), nil
		}
		g, err = h.id.UpdateGroup(ctx, &identityv1.UpdateGroupRequest{Id: id, Group: patch, UpdateMask: &fieldmaskpb.FieldMask{Paths: mask}})
		if status.Code(err) == codes.Aborted && attempt < 5 {
			continue
		}
		if err != nil {
			return scim.Resource{}, fromStatus(err)
		}
		return groupResource(g), nil
	}
}

func (g *groupState) apply(op scim.PatchOperation) error {
	if op.Path == nil {
		values, _ := op.Value.(map[string]any)
		for key, v := range values {
			path, err := filter.ParsePath([]byte(key))
			if err != nil {
				return scimerrors.ScimErrorInvalidPath
			}
			if err := g.applyPath(op.Op, path, v); err != nil {
				return err
			}
		}
		return nil
	}
	return g.applyPath(op.Op, *op.Path, op.Value)
}

func (g *groupState) applyPath(op string, path filter.Path, v any) error {
	switch strings.ToLower(path.AttributePath.AttributeName) {
	case "displayname":
		if op == scim.PatchOperationRemove {
			return mutability("displayName is required")
		}
		s, _ := v.(string)
		if strings.TrimSpace(s) == "" {
			return invalid("displayName must not be empty")
		}
		g.name = strings.TrimSpace(s)
	case "members":
		if path.AttributePath.SubAttribute != nil || path.SubAttribute != nil {
			return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidPath,
				Detail: "a member's sub-attributes cannot be changed: add or remove the member"}
		}
		if path.ValueExpression != nil {
			if op != scim.PatchOperationRemove {
				return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidPath,
					Detail: "a value filter on members is for remove; add members with the path \"members\""}
			}
			match := scimfilter.NewFilterValidator(path.ValueExpression, schema.Schema{
				Attributes: scimfilter.MultiValuedFilterAttributes(membersAttribute()),
			})
			g.members = slices.DeleteFunc(g.members, func(id string) bool {
				return match.PassesFilter(map[string]any{"value": id, "type": "User"}) == nil
			})
			return nil
		}
		list, _ := v.([]any)
		switch op {
		case scim.PatchOperationAdd:
			g.members = memberIDs(g.members, list)
		case scim.PatchOperationReplace:
			g.members = memberIDs(nil, list)
		case scim.PatchOperationRemove:
			if v == nil {
				g.members = nil
				return nil
			}
			gone := memberIDs(nil, list)
			g.members = slices.DeleteFunc(g.members, func(id string) bool { return slices.Contains(gone, id) })
		}
	}
	return nil // externalId and the rest: not kept
}

// memberIDs appends the values of members to ids, once each, in order.
func memberIDs(ids []string, members []any) []string {
	out := slices.Clone(ids)
	for _, m := range members {
		m, _ := m.(map[string]any)
		id, _ := m["value"].(string)
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func membersAttribute() schema.CoreAttribute {
	for _, a := range schema.CoreGroupSchema().Attributes {
		if a.Name() == "members" {
			return a
		}
	}
	panic("the core Group schema has no members attribute")
}

func groupResource(g *identityv1.Group) scim.Resource {
	members := make([]any, 0, len(g.GetMemberIds()))
	for _, id := range g.GetMemberIds() {
		members = append(members, map[string]any{"value": id, "type": "User", "$ref": Prefix + "/Users/" + id})
	}
	return scim.Resource{
		ID:         g.GetId(),
		Attributes: scim.ResourceAttributes{"displayName": g.GetName(), "members": members},
		Meta:       meta(g.GetCreateTime().AsTime(), g.GetUpdateTime().AsTime(), g.GetEtag()),
	}
}

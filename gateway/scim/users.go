package scim

import (
	"context"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/auth"
)

const coreUserURN = "urn:ietf:params:scim:schemas:core:2.0:User"

// userHandler maps SCIM Users onto identity's users:
//
//	userName, emails      email (one address: userName; a PATCH of the work email alone changes it too)
//	displayName, name     display name (displayName, else name.formatted, else givenName familyName)
//	active                ACTIVE / OFFBOARDED (false offboards; an offboarded user is not reactivated)
//	externalId            external id
//	enterprise manager    manager id (no manager: the General Manager)
//
// Attributes Grantflow does not keep (title, phoneNumbers, department, ...) are accepted and
// not stored.
type userHandler struct {
	id identityv1.IdentityServiceClient
}

// userState is what SCIM may change of a user.
type userState struct {
	email, displayName, externalID, managerID string
	active                                    bool
}

func stateOf(u *identityv1.User) userState {
	return userState{email: u.GetEmail(), displayName: u.GetDisplayName(), externalID: u.GetExternalId(),
		managerID: u.GetManagerId(), active: u.GetStatus() != identityv1.User_OFFBOARDED}
}

func (h *userHandler) Create(r *http.Request, attrs scim.ResourceAttributes) (scim.Resource, error) {
	ctx := r.Context()
	in, err := fromAttributes(attrs)
	if err != nil {
		return scim.Resource{}, err
	}
	st := userState{email: in.email, displayName: in.displayName, externalID: in.externalID, active: true}
	if in.active != nil {
		st.active = *in.active
	}
	if in.managerSet {
		st.managerID = in.managerID
	}
	if st.managerID == "" {
		if st.managerID, err = h.generalManager(ctx); err != nil {
			return scim.Resource{}, err
		}
	}
	u, err := h.id.CreateUser(ctx, &identityv1.CreateUserRequest{
		Email: st.email, DisplayName: st.displayName, ManagerId: st.managerID, ExternalId: st.externalID, Role: identityv1.Role_USER,
	})
	if err != nil {
		return scim.Resource{}, fromStatus(err)
	}
	if !st.active {
		// Created as inactive: onboarded, then offboarded at once.
		if u, err = h.id.OffboardUser(ctx, &identityv1.OffboardUserRequest{Id: u.GetId(), Reason: "SCIM: created with active false"}); err != nil {
			return scim.Resource{}, fromStatus(err)
		}
	}
	return userResource(u), nil
}

func (h *userHandler) Get(r *http.Request, id string) (scim.Resource, error) {
	u, err := h.get(r.Context(), id)
	if err != nil {
		return scim.Resource{}, err
	}
	return userResource(u), nil
}

func (h *userHandler) get(ctx context.Context, id string) (*identityv1.User, error) {
	if id == "" || len(id) > 64 {
		return nil, scimerrors.ScimErrorResourceNotFound(id)
	}
	u, err := h.id.GetUser(ctx, &identityv1.GetUserRequest{Id: id})
	if status.Code(err) == codes.NotFound {
		return nil, scimerrors.ScimErrorResourceNotFound(id)
	}
	if err != nil {
		return nil, fromStatus(err)
	}
	return u, nil
}

// GetAll answers a list or a filter. An eq filter on userName, externalId, displayName or
// id is a lookup in identity; any other filter is evaluated by the library on every user.
func (h *userHandler) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	ctx := r.Context()
	var users []*identityv1.User
	var err error
	req := &identityv1.ListUsersRequest{}
	attr, value, pushed := eqLookup(params.FilterValidator, coreUserURN)
	switch {
	case pushed && attr == "id":
		var u *identityv1.User
		u, err = h.id.GetUser(ctx, &identityv1.GetUserRequest{Id: value})
		if err == nil {
			users = []*identityv1.User{u}
		} else if c := status.Code(err); c == codes.NotFound || c == codes.InvalidArgument {
			err = nil
		}
	case pushed && !lookupFits(attr, value):
		// Longer than identity keeps: nothing can match.
	default:
		if pushed {
			switch attr {
			case "username":
				req.Email = value
			case "externalid":
				req.ExternalId = value
			case "displayname":
				req.DisplayName = value
			}
		}
		users, err = listAll(ctx, func(ctx context.Context, token string) ([]*identityv1.User, string, error) {
			req.PageSize, req.PageToken = 500, token
			res, err := h.id.ListUsers(ctx, req)
			return res.GetUsers(), res.GetNextPageToken(), err
		})
	}
	if err != nil {
		return scim.Page{}, fromStatus(err)
	}
	var matched []scim.Resource
	for _, u := range users {
		res := userResource(u)
		if params.FilterValidator == nil || params.FilterValidator.PassesFilter(filterView(res, true)) == nil {
			matched = append(matched, res)
		}
	}
	return scim.Page{TotalResults: len(matched), Resources: window(matched, params.StartIndex, params.Count)}, nil
}

// Replace is PUT: userName, displayName (or name), emails and active as sent. The external
// id and the manager are kept when the body leaves them out entirely (Okta's PUT carries
// neither); an enterprise extension without a manager means no manager.
func (h *userHandler) Replace(r *http.Request, id string, attrs scim.ResourceAttributes) (scim.Resource, error) {
	in, err := fromAttributes(attrs)
	if err != nil {
		return scim.Resource{}, err
	}
	return h.change(r.Context(), id, func(st *userState) error {
		st.email, st.displayName = in.email, in.displayName
		if in.externalIDSet {
			st.externalID = in.externalID
		}
		if in.managerSet {
			st.managerID = in.managerID
		}
		if in.active != nil {
			st.active = *in.active
		}
		return nil
	})
}

func (h *userHandler) Delete(r *http.Request, id string) error {
	ctx := r.Context()
	u, err := h.get(ctx, id)
	if err != nil {
		return err
	}
	if u.GetStatus() == identityv1.User_OFFBOARDED {
		return nil // users are offboarded, never deleted: a second DELETE finds nothing more to do
	}
	if err := offboardable(ctx, u); err != nil {
		return err
	}
	if _, err := h.id.OffboardUser(ctx, &identityv1.OffboardUserRequest{Id: id, Reason: "SCIM: deleted by the identity provider"}); err != nil {
		return fromStatus(err)
	}
	return nil
}

func (h *userHandler) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	return h.change(r.Context(), id, func(st *userState) error {
		p := userPatch{}
		for _, op := range ops {
			if err := p.apply(op); err != nil {
				return err
			}
		}
		p.onto(st)
		return nil
	})
}

// change reads the user, applies edit to what SCIM may change, writes the difference
// (one UpdateUser, then an offboarding if active turned false) and answers the result. The
// write carries the etag of the read; a concurrent change makes it read and apply again.
// Everything that can be refused is checked before the first write.
func (h *userHandler) change(ctx context.Context, id string, edit func(*userState) error) (scim.Resource, error) {
	for attempt := 0; ; attempt++ {
		u, err := h.get(ctx, id)
		if err != nil {
			return scim.Resource{}, err
		}
		was := stateOf(u)
		st := was
		if err := edit(&st); err != nil {
			return scim.Resource{}, err
		}
		if u.GetRole() != identityv1.Role_GENERAL_MANAGER && st.managerID == "" {
			if st.managerID, err = h.generalManager(ctx); err != nil {
				return scim.Resource{}, err
			}
		}
		if st.active && !was.active {
			return scim.Resource{}, mutability("user " + id + " is offboarded: Grantflow does not reactivate users; provision a new one")
		}
		offboard := was.active && !st.active
		if offboard {
			if err := offboardable(ctx, u); err != nil {
				return scim.Resource{}, err
			}
		}
		mask, patch := diff(was, st)
		if len(mask) > 0 {
			if !was.active {
				return scim.Resource{}, mutability("user " + id + " is offboarded and cannot be edited")
			}
			patch.Etag = u.GetEtag()
			u, err = h.id.UpdateUser(ctx, &identityv1.UpdateUserRequest{Id: id, User: patch, UpdateMask: &fieldmaskpb.FieldMask{Paths: mask}})
			if status.Code(err) == codes.Aborted && attempt < 5 {
				continue // changed since read: read again
			}
			if err != nil {
				return scim.Resource{}, fromStatus(err)
			}
		}
		if offboard {
			if u, err = h.id.OffboardUser(ctx, &identityv1.OffboardUserRequest{Id: id, Reason: "SCIM: active set to false by the identity provider"}); err != nil {
				return scim.Resource{}, fromStatus(err)
			}
		}
		return userResource(u), nil
	}
}

// offboardable refuses, before anything is written, what identity would refuse to offboard.
func offboardable(ctx context.Context, u *identityv1.User) error {
	if u.GetRole() == identityv1.Role_GENERAL_MANAGER {
		return mutability("the General Manager cannot be offboarded; make someone else General Manager first")
	}
	if p, ok := auth.FromContext(ctx); ok && p.UserID == u.GetId() {
		return mutability("nobody offboards themselves: the credential of this SCIM client belongs to user " + u.GetId())
	}
	return nil
}

func diff(was, now userState) ([]string, *identityv1.User) {
	var mask []string
	u := &identityv1.User{}
	if !strings.EqualFold(now.email, was.email) {
		mask, u.Email = append(mask, "email"), now.email
	}
	if now.displayName != was.displayName {
		mask, u.DisplayName = append(mask, "display_name"), now.displayName
	}
	if now.externalID != was.externalID {
		mask, u.ExternalId = append(mask, "external_id"), now.externalID
	}
	if now.managerID != was.managerID {
		mask, u.ManagerId = append(mask, "manager_id"), now.managerID
	}
	return mask, u
}

// generalManager is the manager of a user the source gives none: the General Manager,
// the root of the manager line.
func (h *userHandler) generalManager(ctx context.Context) (string, error) {
	res, err := h.id.ListUsers(ctx, &identityv1.ListUsersRequest{Role: identityv1.Role_GENERAL_MANAGER, PageSize: 1})
	if err != nil {
		return "", fromStatus(err)
	}
	if len(res.GetUsers()) == 0 {
		return "", invalid("the user has no manager and the directory has no General Manager to report to: set " + managerPath)
	}
	return res.GetUsers()[0].GetId(), nil
}

// userInput is a POST or PUT body, validated by the library against the schemas.
type userInput struct {
	email, displayName, externalID, managerID string
	externalIDSet, managerSet                 bool
	active                                    *bool
}

func fromAttributes(attrs scim.ResourceAttributes) (userInput, error) {
	var in userInput
	userName, _ := attrs["userName"].(string)
	email, err := emailOf(userName)
	if err != nil {
		return in, err
	}
	in.email = email
	in.displayName, _ = attrs["displayName"].(string)
	in.displayName = strings.TrimSpace(in.displayName)
	if in.displayName == "" {
		name, _ := attrs["name"].(map[string]any)
		in.displayName = nameOf(name)
	}
	if in.displayName == "" {
		in.displayName = email
	}
	if v, ok := attrs["externalId"].(string); ok {
		in.externalID, in.externalIDSet = strings.TrimSpace(v), true
	}
	if v, ok := attrs["active"].(bool); ok {
		in.active = &v
	}
	if ext, ok := attrs[enterpriseURN].(map[string]any); ok {
		in.managerSet = true
		if m, ok := ext["manager"].(map[string]any); ok {
			in.managerID, _ = m["value"].(string)
			in.managerID = strings.TrimSpace(in.managerID)
		}
	}
	return in, nil
}

// emailOf checks that userName is an email address: Grantflow's userName is the email.
func emailOf(userName string) (string, error) {
	e := strings.TrimSpace(userName)
	if a, err := mail.ParseAddress(e); err != nil || a.Address != e || a.Name != "" {
		return "", invalid("userName must be the user's email address (Grantflow's userName is the email), not " + quote(userName))
	}
	return e, nil
}

func nameOf(name map[string]any) string {
	if f, _ := name["formatted"].(string); strings.TrimSpace(f) != "" {
		return strings.TrimSpace(f)
	}
	given, _ := name["givenName"].(string)
	family, _ := name["familyName"].(string)
	return strings.TrimSpace(strings.TrimSpace(given) + " " + strings.TrimSpace(family))
}

func userResource(u *identityv1.User) scim.Resource {
	attrs := scim.ResourceAttributes{
		"userName":    u.GetEmail(),
		"displayName": u.GetDisplayName(),
		"name":        map[string]any{"formatted": u.GetDisplayName()},
		"emails":      []any{map[string]any{"value": u.GetEmail(), "type": "work", "primary": true}},
		"active":      u.GetStatus() != identityv1.User_OFFBOARDED,
	}
	if m := u.GetManagerId(); m != "" {
		attrs[enterpriseURN] = map[string]any{"manager": map[string]any{"value": m, "$ref": Prefix + "/Users/" + m}}
	}
	res := scim.Resource{ID: u.GetId(), Attributes: attrs, Meta: meta(u.GetCreateTime().AsTime(), u.GetUpdateTime().AsTime(), u.GetEtag())}
	if e := u.GetExternalId(); e != "" {
		res.ExternalID = optional.NewString(e)
	}
	return res
}

func meta(created, modified time.Time, etag string) scim.Meta {
	m := scim.Meta{Created: &created, LastModified: &modified}
	if etag != "" {
		m.Version = "W/" + etag
	}
	return m
}

// lookupFits reports whether value is within what identity keeps for the attribute (a
// longer value matches nobody, and identity would refuse the lookup).
func lookupFits(attr, value string) bool {
	limit := map[string]int{"username": 254, "externalid": 256, "displayname": 200}[attr]
	return limit == 0 || len(value) <= limit
}

func quote(s string) string { return `"` + s + `"` }

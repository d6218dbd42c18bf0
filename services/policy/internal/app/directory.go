package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
)

// Directory is what the policy service asks identity before it writes.
type Directory interface {
	Facts(ctx context.Context, q FactsQuery) (Facts, error)
}

// FactsQuery lists the ids to look up.
type FactsQuery struct {
	UserIDs, AppIDs, GroupIDs []string
}

// Facts are the answers: only ids that exist appear.
type Facts struct {
	Users  map[string]UserFacts
	Apps   map[string]AppFacts
	Groups map[string]bool
}

// UserFacts is what a policy needs to know of a user.
type UserFacts struct {
	Active bool
}

// AppFacts is what a policy needs to know of an app.
type AppFacts struct {
	Archived    bool
	Permissions []string
	CustomRoles []string
}

// checkReferences confirms with identity that the scope's app and permissions, and the
// groups, users and custom roles the workflow names, exist; it returns one violation per
// bad field. Resolution never calls identity: only writes do.
func (s *Service) checkReferences(ctx context.Context, scope domain.Scope, w domain.Workflow) error {
	refs := domain.ReferencesOf(w)
	q := FactsQuery{UserIDs: refs.UserIDs, GroupIDs: refs.GroupIDs}
	if scope.AppID != "" {
		q.AppIDs = []string{scope.AppID}
	}
	if len(q.UserIDs) == 0 && len(q.GroupIDs) == 0 && len(q.AppIDs) == 0 {
		return nil
	}
	if s.dir == nil {
		return errs.Unavailable("identity is not configured: the policy's apps, groups and users cannot be checked")
	}
	f, err := s.dir.Facts(ctx, q)
	if err != nil {
		return err
	}
	var vs []errs.FieldViolation
	add := func(field, format string, args ...any) {
		vs = append(vs, errs.FieldViolation{Field: field, Description: fmt.Sprintf(format, args...)})
	}
	app, appKnown := f.Apps[scope.AppID]
	if scope.AppID != "" {
		switch {
		case !appKnown:
			add("scope.app_id", "no app %s", scope.AppID)
		case app.Archived:
			add("scope.app_id", "app %s is archived", scope.AppID)
		}
		for i, p := range scope.Permissions {
			if appKnown && !slices.Contains(app.Permissions, p) {
				add(fmt.Sprintf("scope.permissions[%d]", i), "app %s has no permission %q (it has %v)", scope.AppID, p, app.Permissions)
			}
		}
	}
	domain.StepPaths(w, func(path string, st domain.Step) {
		a := st.Assignee
		for i, id := range a.GroupIDs {
			if !f.Groups[id] {
				add(fmt.Sprintf("%s.assignee.group_ids[%d]", path, i), "no group %s", id)
			}
		}
		for i, id := range a.UserIDs {
			u, ok := f.Users[id]
			switch {
			case !ok:
				add(fmt.Sprintf("%s.assignee.user_ids[%d]", path, i), "no user %s", id)
			case !u.Active:
				add(fmt.Sprintf("%s.assignee.user_ids[%d]", path, i), "user %s is offboarded", id)
			}
		}
		// A custom role belongs to an app: checked when the policy names its app. A global
		// policy's custom role is looked up on each request's app, and falls back to the
		// admins where that app has no such role.
		if a.Kind == domain.CustomRole && appKnown && !slices.Contains(app.CustomRoles, a.CustomRole) {
			add(path+".assignee.custom_role", "app %s has no custom role %q", scope.AppID, a.CustomRole)
		}
	})
	if len(vs) > 0 {
		return errs.InvalidFields(vs...)
	}
	return nil
}

// invalid turns the domain's violations into the API's INVALID_ARGUMENT, or nil.
func invalid(vs ...[]domain.Violation) error {
	var out []errs.FieldViolation
	for _, list := range vs {
		for _, v := range list {
			out = append(out, errs.FieldViolation{Field: v.Field, Description: v.Description})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return errs.InvalidFields(out...)
}

package policyfile

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"buf.build/go/protovalidate"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

// Directory is what the names in a file resolve against: the organization's apps, groups
// and users as the API lists them.
type Directory struct {
	Apps   []*identityv1.App
	Groups []*identityv1.Group
	Users  []*identityv1.User
}

// Desired is one policy of a file in the API's terms: ids instead of names.
type Desired struct {
	Index int // its place in the file
	Line  int // the line of its item
	Name  string
	// Create is what POST /v1/policies would send for it (name, requestType, scope,
	// workflow): the policy as the server should hold it.
	Create *policyv1.CreatePolicyRequest
}

// Resolve checks every policy of the file and turns names into ids. It finds every problem
// it can before anything is sent: the format's rules, the API's field rules (the same
// protovalidate rules the services enforce), the policy service's workflow rules, and the
// names of apps, permissions, custom roles, groups and users. The error is Errors, one per
// problem, each with the file, line and field.
func (d *Document) Resolve(dir Directory) ([]Desired, error) {
	r := resolver{d: d, dir: dir}
	var out []Desired
	names := map[string]int{}
	for i, p := range d.File.Policies {
		field := index("policies", i)
		name := strings.TrimSpace(p.Name)
		if first, dup := names[name]; dup && name != "" {
			r.add(field+".name", name, "%q is also the name of policies[%d]: a file names each policy once", name, first)
		}
		names[name] = i
		if c := r.policy(field, p); c != nil {
			out = append(out, Desired{Index: i, Line: d.Line(field), Name: name, Create: c})
		}
	}
	if err := r.errs.err(); err != nil {
		return nil, err
	}
	return out, nil
}

type resolver struct {
	d    *Document
	dir  Directory
	errs Errors
}

func (r *resolver) add(field, policy, format string, args ...any) {
	r.errs = append(r.errs, r.d.at(field, policy, fmt.Sprintf(format, args...)))
}

// policy resolves one policy; nil when it has problems (recorded in r.errs).
func (r *resolver) policy(field string, p Policy) *policyv1.CreatePolicyRequest {
	before := len(r.errs)
	name := strings.TrimSpace(p.Name)
	switch {
	case name == "":
		r.add(field+".name", "", "required: policies are named by their name")
	case utf8.RuneCountInString(name) > 200:
		r.add(field+".name", name, "at most 200 characters")
	}
	rt := typev1.RequestType(typev1.RequestType_value[p.RequestType])
	if rt == typev1.RequestType_REQUEST_TYPE_UNSPECIFIED {
		r.add(field+".requestType", name, "%s; want one of %s", got(p.RequestType), enumNames(typev1.RequestType_name))
	}
	scope, app := r.scope(field+".scope", name, rt, p.Scope)
	wf := r.workflow(field+".workflow", name, rt, app, p.Workflow)
	if len(r.errs) > before {
		return nil
	}
	c := &policyv1.CreatePolicyRequest{Name: name, RequestType: rt, Scope: scope, Workflow: wf}
	// The API's own field rules, as the services check them.
	var ve *protovalidate.ValidationError
	if err := protovalidate.Validate(c); errors.As(err, &ve) {
		for _, v := range ve.Violations {
			f := FileField(protovalidate.FieldPathString(v.Proto.GetField()))
			r.add(field+"."+f, name, "%s", v.Proto.GetMessage())
		}
		return nil
	} else if err != nil {
		r.add(field, name, "%v", err)
		return nil
	}
	return c
}

func (r *resolver) scope(field, policy string, rt typev1.RequestType, s *Scope) (*policyv1.Scope, *identityv1.App) {
	out := &policyv1.Scope{}
	if s == nil {
		return out, nil
	}
	var app *identityv1.App
	if s.App != "" {
		var found []*identityv1.App
		for _, a := range r.dir.Apps {
			if a.GetName() == s.App {
				found = append(found, a)
			}
		}
		switch {
		case len(found) == 0:
			r.add(field+".app", policy, "no app named %q", s.App)
		case len(found) > 1:
			r.add(field+".app", policy, "%d apps are named %q: the name does not say which", len(found), s.App)
		case found[0].GetStatus() == identityv1.App_ARCHIVED:
			r.add(field+".app", policy, "app %q is archived", s.App)
		default:
			app = found[0]
			out.AppId = app.GetId()
		}
		if rt == typev1.RequestType_ADD_APP {
			r.add(field+".app", policy, "ADD_APP policies are global: the app does not exist before the request")
		}
	}
	if len(s.Permissions) > 0 {
		if s.App == "" {
			r.add(field+".permissions", policy, "needs scope.app: a permission-specific policy belongs to one app")
		}
		if rt == typev1.RequestType_ARCHIVE_APP {
			r.add(field+".permissions", policy, "ARCHIVE_APP requests name no permission: use the app scope")
		}
	}
	seen := map[string]bool{}
	for i, p := range s.Permissions {
		f := index(field+".permissions", i)
		switch {
		case seen[p]:
			r.add(f, policy, "%q is listed twice", p)
		case app != nil && !slices.ContainsFunc(app.GetPermissions(), func(ap *identityv1.Permission) bool { return ap.GetName() == p }):
			r.add(f, policy, "app %q has no permission %q (it has %s)", s.App, p, permissionNames(app))
		}
		seen[p] = true
	}
	out.Permissions = slices.Clone(s.Permissions)
	return out, app
}

func (r *resolver) workflow(field, policy string, rt typev1.RequestType, app *identityv1.App, w Workflow) *typev1.Workflow {
	out := &typev1.Workflow{}
	if len(w.ReviewSteps) > 20 {
		r.add(field+".reviewSteps", policy, "at most 20 review steps, got %d", len(w.ReviewSteps))
	}
	names := map[string]string{}
	step := func(f string, s Step, review bool) *typev1.Step {
		st := r.step(f, policy, rt, app, s, review)
		key := strings.ToLower(strings.TrimSpace(s.Name))
		if first, dup := names[key]; dup && key != "" {
			r.add(f+".name", policy, "step name %q is already used by %s; step names must be unique", strings.TrimSpace(s.Name), first)
		}
		names[key] = f
		return st
	}
	for i, s := range w.ReviewSteps {
		out.ReviewSteps = append(out.ReviewSteps, step(index(field+".reviewSteps", i), s, true))
	}
	if w.ActionStep == nil {
		r.add(field+".actionStep", policy, "required: the step that carries the change out")
	} else {
		out.ActionStep = step(field+".actionStep", *w.ActionStep, false)
	}
	return out
}

func (r *resolver) step(field, policy string, rt typev1.RequestType, app *identityv1.App, s Step, review bool) *typev1.Step {
	name := strings.TrimSpace(s.Name)
	if name == "" {
		r.add(field+".name", policy, "required")
	}
	out := &typev1.Step{Name: name, Assignee: &typev1.Assignee{}, MinApprovals: s.MinApprovals}
	a, af := s.Assignee, field+".assignee"
	kind := typev1.AssigneeKind(typev1.AssigneeKind_value[a.Kind])
	switch {
	case kind == typev1.AssigneeKind_ASSIGNEE_KIND_UNSPECIFIED:
		r.add(af+".kind", policy, "%s; want one of %s", got(a.Kind), enumNames(typev1.AssigneeKind_name))
	case kind == typev1.AssigneeKind_AGENT && review:
		r.add(af+".kind", policy, "AGENT (the system agent) may carry out only the action step, never review")
	case rt == typev1.RequestType_ADD_APP && (kind == typev1.AssigneeKind_PRIVILEGED_USERS || kind == typev1.AssigneeKind_CUSTOM_ROLE):
		r.add(af+".kind", policy, "%s names people of the request's app, and an ADD_APP request's app has nobody yet", a.Kind)
	}
	out.Assignee.Kind = kind
	// Each kind's parameter is required with that kind and refused with any other.
	switch {
	case kind == typev1.AssigneeKind_CUSTOM_ROLE && strings.TrimSpace(a.CustomRole) == "":
		r.add(af+".customRole", policy, "required with CUSTOM_ROLE")
	case kind != typev1.AssigneeKind_CUSTOM_ROLE && a.CustomRole != "":
		r.add(af+".customRole", policy, "only with CUSTOM_ROLE")
	case app != nil && a.CustomRole != "" && !slices.ContainsFunc(app.GetCustomRoles(), func(c *identityv1.CustomRole) bool { return c.GetName() == a.CustomRole }):
		r.add(af+".customRole", policy, "app %q has no custom role %q", app.GetName(), a.CustomRole)
	}
	out.Assignee.CustomRole = a.CustomRole
	switch {
	case kind == typev1.AssigneeKind_USER_GROUPS && len(a.Groups) == 0:
		r.add(af+".groups", policy, "at least one group (by name) with USER_GROUPS")
	case kind != typev1.AssigneeKind_USER_GROUPS && len(a.Groups) > 0:
		r.add(af+".groups", policy, "only with USER_GROUPS")
	}
	for i, g := range a.Groups {
		f := index(af+".groups", i)
		var ids []string
		for _, dg := range r.dir.Groups {
			if dg.GetName() == g {
				ids = append(ids, dg.GetId())
			}
		}
		switch {
		case len(ids) == 0:
			r.add(f, policy, "no group named %q", g)
		case len(ids) > 1:
			r.add(f, policy, "%d groups are named %q: the name does not say which", len(ids), g)
		case slices.Contains(out.Assignee.GroupIds, ids[0]):
			r.add(f, policy, "group %q is listed twice", g)
		default:
			out.Assignee.GroupIds = append(out.Assignee.GroupIds, ids[0])
		}
	}
	switch {
	case kind == typev1.AssigneeKind_USERS && len(a.Users) == 0:
		r.add(af+".users", policy, "at least one user (by email) with USERS")
	case kind != typev1.AssigneeKind_USERS && len(a.Users) > 0:
		r.add(af+".users", policy, "only with USERS")
	}
	for i, email := range a.Users {
		f := index(af+".users", i)
		u := r.user(email)
		switch {
		case u == nil:
			r.add(f, policy, "no user with email %q", email)
		case u.GetStatus() == identityv1.User_OFFBOARDED:
			r.add(f, policy, "user %q is offboarded", email)
		case slices.Contains(out.Assignee.UserIds, u.GetId()):
			r.add(f, policy, "user %q is listed twice", email)
		default:
			out.Assignee.UserIds = append(out.Assignee.UserIds, u.GetId())
		}
	}

	approval := typev1.Approval(typev1.Approval_value[s.Approval])
	if !review {
		if s.Approval != "" {
			r.add(field+".approval", policy, "the action step is carried out, not approved: leave approval out")
		}
		if s.MinApprovals != 0 {
			r.add(field+".minApprovals", policy, "the action step is carried out, not approved: leave minApprovals out")
		}
		return out
	}
	switch {
	case s.Approval == "":
		approval = typev1.Approval_ANY // the API's default, which the server stores
	case approval == typev1.Approval_APPROVAL_UNSPECIFIED:
		r.add(field+".approval", policy, "%s; want ANY, ALL or QUORUM", got(s.Approval))
	}
	out.Approval = approval
	switch {
	case approval != typev1.Approval_QUORUM && s.MinApprovals != 0:
		r.add(field+".minApprovals", policy, "only with QUORUM approval")
	case approval == typev1.Approval_QUORUM && s.MinApprovals < 1:
		r.add(field+".minApprovals", policy, "QUORUM needs minApprovals of at least 1")
	case approval == typev1.Approval_QUORUM && s.MinApprovals > 100:
		r.add(field+".minApprovals", policy, "at most 100")
	case approval == typev1.Approval_QUORUM && kind == typev1.AssigneeKind_USERS && len(a.Users) > 0 && int(s.MinApprovals) > len(a.Users):
		r.add(field+".minApprovals", policy, "%d approvals can never be reached by the %d users listed", s.MinApprovals, len(a.Users))
	}
	return out
}

func (r *resolver) user(email string) *identityv1.User {
	for _, u := range r.dir.Users {
		if strings.EqualFold(u.GetEmail(), strings.TrimSpace(email)) {
			return u
		}
	}
	return nil
}

func got(v string) string {
	if v == "" {
		return "required"
	}
	return fmt.Sprintf("unknown value %q", v)
}

// enumNames lists an enum's names without its UNSPECIFIED zero, in number order.
func enumNames(names map[int32]string) string {
	var out []string
	for i := int32(1); ; i++ {
		n, ok := names[i]
		if !ok {
			break
		}
		out = append(out, n)
	}
	return strings.Join(out, ", ")
}

func permissionNames(a *identityv1.App) string {
	var out []string
	for _, p := range a.GetPermissions() {
		out = append(out, p.GetName())
	}
	return strings.Join(out, ", ")
}

// FileField turns a field path of the API ("workflow.review_steps[1].assignee.group_ids[0]",
// as protovalidate and the services' BadRequest details name it) into the file's
// ("workflow.reviewSteps[1].assignee.groups[0]").
func FileField(api string) string {
	r := strings.NewReplacer(
		"request_type", "requestType", "app_id", "app", "review_steps", "reviewSteps",
		"action_step", "actionStep", "custom_role", "customRole", "group_ids", "groups",
		"user_ids", "users", "min_approvals", "minApprovals",
	)
	return r.Replace(api)
}

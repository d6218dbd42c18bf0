package domain

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/grantflow/grantflow/pkg/workflow"
)

// The workflow types are the kit's (pkg/workflow): a policy version's workflow is the one
// a request pins. What a valid workflow is stays here.
type (
	// Workflow is what a policy version prescribes: review steps in order, then one action
	// step. Zero review steps are allowed.
	Workflow = workflow.Workflow
	// Step is one step of a workflow.
	Step = workflow.Step
	// Assignee is a step's assignee spec: who, not yet resolved to people.
	Assignee = workflow.Assignee
	// Escalation adds people to a review task still pending After past its due time.
	Escalation = workflow.Escalation
)

// The assignee kinds (the names of grantflow.type.v1.AssigneeKind).
const (
	Admins          = workflow.Admins
	AppOwner        = workflow.AppOwner
	CustomRole      = workflow.CustomRole
	Manager         = workflow.Manager
	PrivilegedUsers = workflow.PrivilegedUsers
	UserGroups      = workflow.UserGroups
	Users           = workflow.Users
	Agent           = workflow.Agent
)

// AssigneeKinds lists every kind, in the API's order.
var AssigneeKinds = workflow.Kinds

// validKind reports whether k is one of AssigneeKinds.
func validKind(k string) bool { return slices.Contains(AssigneeKinds, k) }

// The approvals of a review step.
const (
	// ApprovalUnset is what an action step carries, and what a review step's ANY is
	// normalized from.
	ApprovalUnset  = workflow.ApprovalUnset
	ApprovalAny    = workflow.ApprovalAny
	ApprovalAll    = workflow.ApprovalAll
	ApprovalQuorum = workflow.ApprovalQuorum
)

// Limits of a workflow, the same as the proto's validation rules: the domain enforces them
// too, so that nothing depends on the edge having checked.
const (
	MaxReviewSteps   = 20
	MaxNameLen       = 100
	MaxCustomRoleLen = 100
	MaxGroupIDs      = 50
	MaxUserIDs       = 100
	MaxIDLen         = 64
	MaxMinApprovals  = 100
	MaxPermissions   = 100
	MaxPermissionLen = 100
)

// Violation names one bad field of the input, by its proto path
// ("workflow.review_steps[1].assignee.group_ids").
type Violation struct {
	Field       string
	Description string
}

func (v Violation) String() string { return v.Field + ": " + v.Description }

// Normalize returns w with names trimmed and review steps without an approval set to ANY
// (the API's default), so that what is stored says what runs. It does not validate.
func Normalize(w Workflow) Workflow {
	out := Workflow{ActionStep: normalizeStep(w.ActionStep, false), MaxAccessDuration: w.MaxAccessDuration}
	if len(w.ReviewSteps) > 0 {
		out.ReviewSteps = make([]Step, len(w.ReviewSteps))
		for i, s := range w.ReviewSteps {
			out.ReviewSteps[i] = normalizeStep(s, true)
		}
	}
	return out
}

func normalizeStep(s Step, review bool) Step {
	s.Name = strings.TrimSpace(s.Name)
	s.Assignee.GroupIDs = slices.Clone(s.Assignee.GroupIDs)
	s.Assignee.UserIDs = slices.Clone(s.Assignee.UserIDs)
	if review && s.Approval == ApprovalUnset {
		s.Approval = ApprovalAny
	}
	return s
}

// ValidateWorkflow checks every rule of a workflow that needs nothing but the workflow, and
// returns one violation per bad field (nil when it is valid). Fields are named under
// "workflow". Whether referenced groups, users and custom roles exist is the application
// layer's question.
func ValidateWorkflow(w Workflow) []Violation {
	var vs []Violation
	add := func(field, format string, args ...any) {
		vs = append(vs, Violation{Field: field, Description: fmt.Sprintf(format, args...)})
	}
	if len(w.ReviewSteps) > MaxReviewSteps {
		add("workflow.review_steps", "at most %d review steps, got %d", MaxReviewSteps, len(w.ReviewSteps))
	}
	names := map[string]string{} // folded name -> path of the step that used it first
	check := func(path string, s Step, review bool) {
		validateStep(path, s, review, add)
		name := strings.ToLower(strings.TrimSpace(s.Name))
		if name == "" {
			return
		}
		if first, dup := names[name]; dup {
			add(path+".name", "step name %q is already used by %s; step names must be unique", strings.TrimSpace(s.Name), first)
			return
		}
		names[name] = path
	}
	for i, s := range w.ReviewSteps {
		check(fmt.Sprintf("workflow.review_steps[%d]", i), s, true)
	}
	check("workflow.action_step", w.ActionStep, false)
	if w.MaxAccessDuration < 0 {
		add("workflow.max_access_duration", "must be positive")
	}
	for i, s := range w.ReviewSteps {
		validateTime(fmt.Sprintf("workflow.review_steps[%d]", i), s, add)
	}
	if s := w.ActionStep; s.DueAfter != 0 || s.Escalation != nil {
		add("workflow.action_step.due_after", "only review steps have a due time and an escalation")
	}
	return vs
}

// validateTime checks a review step's due time and escalation.
func validateTime(path string, s Step, add func(field, format string, args ...any)) {
	if s.DueAfter < 0 {
		add(path+".due_after", "must be positive")
	}
	e := s.Escalation
	if e == nil {
		return
	}
	ep := path + ".escalation"
	if s.DueAfter <= 0 {
		add(path+".due_after", "required with an escalation")
	}
	if e.After <= 0 {
		add(ep+".after", "required, positive")
	}
	switch e.To {
	case "MANAGER_OF_ASSIGNEE", "ADMINS":
		if len(e.UserIDs) > 0 {
			add(ep+".user_ids", "only with USERS")
		}
	case "USERS":
		if len(e.UserIDs) == 0 {
			add(ep+".user_ids", "at least one user with USERS")
		}
		validateIDs(ep+".user_ids", "user", e.UserIDs, MaxUserIDs, add)
	default:
		add(ep+".to", "MANAGER_OF_ASSIGNEE, ADMINS or USERS")
	}
}

func validateStep(path string, s Step, review bool, add func(field, format string, args ...any)) {
	name := strings.TrimSpace(s.Name)
	switch {
	case name == "":
		add(path+".name", "required")
	case utf8.RuneCountInString(name) > MaxNameLen:
		add(path+".name", "at most %d characters", MaxNameLen)
	}
	a := s.Assignee
	ap := path + ".assignee"
	switch {
	case a.Kind == "":
		add(ap+".kind", "required")
	case !validKind(a.Kind):
		add(ap+".kind", "unknown assignee kind %q", a.Kind)
	case a.Kind == Agent && review:
		add(ap+".kind", "AGENT (the system agent) may carry out only the action step, never review")
	}
	// Each kind's parameter is required with that kind and refused with any other, so
	// that a workflow never carries a setting that does nothing.
	switch {
	case a.Kind == CustomRole && strings.TrimSpace(a.CustomRole) == "":
		add(ap+".custom_role", "required with CUSTOM_ROLE")
	case a.Kind != CustomRole && a.CustomRole != "":
		add(ap+".custom_role", "only with CUSTOM_ROLE")
	case utf8.RuneCountInString(a.CustomRole) > MaxCustomRoleLen:
		add(ap+".custom_role", "at most %d characters", MaxCustomRoleLen)
	}
	switch {
	case a.Kind == UserGroups && len(a.GroupIDs) == 0:
		add(ap+".group_ids", "at least one group with USER_GROUPS")
	case a.Kind != UserGroups && len(a.GroupIDs) > 0:
		add(ap+".group_ids", "only with USER_GROUPS")
	default:
		validateIDs(ap+".group_ids", "group", a.GroupIDs, MaxGroupIDs, add)
	}
	switch {
	case a.Kind == Users && len(a.UserIDs) == 0:
		add(ap+".user_ids", "at least one user with USERS")
	case a.Kind != Users && len(a.UserIDs) > 0:
		add(ap+".user_ids", "only with USERS")
	default:
		validateIDs(ap+".user_ids", "user", a.UserIDs, MaxUserIDs, add)
	}

	if !review {
		if s.Approval != ApprovalUnset {
			add(path+".approval", "the action step is carried out, not approved: leave approval unset")
		}
		if s.MinApprovals != 0 {
			add(path+".min_approvals", "the action step is carried out, not approved: leave min_approvals unset")
		}
		return
	}
	switch s.Approval {
	case ApprovalUnset, ApprovalAny, ApprovalAll:
		if s.MinApprovals != 0 {
			add(path+".min_approvals", "only with QUORUM approval")
		}
	case ApprovalQuorum:
		switch {
		case s.MinApprovals < 1:
			add(path+".min_approvals", "QUORUM needs min_approvals of at least 1")
		case s.MinApprovals > MaxMinApprovals:
			add(path+".min_approvals", "at most %d", MaxMinApprovals)
		case a.Kind == Users && len(a.UserIDs) > 0 && int(s.MinApprovals) > len(a.UserIDs):
			add(path+".min_approvals", "%d approvals can never be reached by the %d users listed", s.MinApprovals, len(a.UserIDs))
		}
	default:
		add(path+".approval", "unknown approval %q", s.Approval)
	}
}

func validateIDs(field, what string, ids []string, max int, add func(field, format string, args ...any)) {
	if len(ids) > max {
		add(field, "at most %d, got %d", max, len(ids))
		return
	}
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		switch {
		case id == "":
			add(fmt.Sprintf("%s[%d]", field, i), "empty %s id", what)
		case len(id) > MaxIDLen:
			add(fmt.Sprintf("%s[%d]", field, i), "at most %d bytes", MaxIDLen)
		case seen[id]:
			add(fmt.Sprintf("%s[%d]", field, i), "%s %s is listed twice", what, id)
		}
		seen[id] = true
	}
}

// ValidateScope checks a scope for a request type: the rules that need nothing but the
// input. Fields are named under "scope".
func ValidateScope(rt RequestType, s Scope) []Violation {
	var vs []Violation
	add := func(field, format string, args ...any) {
		vs = append(vs, Violation{Field: field, Description: fmt.Sprintf(format, args...)})
	}
	if len(s.AppID) > MaxIDLen {
		add("scope.app_id", "at most %d bytes", MaxIDLen)
	}
	if len(s.Permissions) > 0 && s.AppID == "" {
		add("scope.app_id", "required with scope.permissions: a permission-specific policy belongs to one app")
	}
	switch {
	case rt == AddApp && s.AppID != "":
		add("scope.app_id", "ADD_APP policies are global: the app does not exist before the request")
	case rt == ArchiveApp && len(s.Permissions) > 0:
		add("scope.permissions", "ARCHIVE_APP requests name no permission: use the app scope")
	}
	if len(s.Permissions) > MaxPermissions {
		add("scope.permissions", "at most %d, got %d", MaxPermissions, len(s.Permissions))
		return vs
	}
	seen := map[string]bool{}
	for i, p := range s.Permissions {
		field := fmt.Sprintf("scope.permissions[%d]", i)
		switch {
		case strings.TrimSpace(p) == "":
			add(field, "empty permission name")
		case utf8.RuneCountInString(p) > MaxPermissionLen:
			add(field, "at most %d characters", MaxPermissionLen)
		case seen[p]:
			add(field, "permission %q is listed twice", p)
		}
		seen[p] = true
	}
	return vs
}

// ValidateFor checks what a workflow means for a request type: assignees that can only ever
// resolve to nobody are refused rather than left to fall back to the admins silently.
func ValidateFor(rt RequestType, w Workflow) []Violation {
	if rt != AddApp {
		return nil
	}
	var vs []Violation
	check := func(path string, s Step) {
		switch s.Assignee.Kind {
		case PrivilegedUsers, CustomRole:
			vs = append(vs, Violation{Field: path + ".assignee.kind", Description: fmt.Sprintf("%s names people of the request's app, and an ADD_APP request's app has nobody yet", s.Assignee.Kind)})
		}
	}
	for i, s := range w.ReviewSteps {
		check(fmt.Sprintf("workflow.review_steps[%d]", i), s)
	}
	check("workflow.action_step", w.ActionStep)
	return vs
}

// References are the identity objects a workflow names: each id once, in order of
// appearance.
type References struct {
	GroupIDs []string
	UserIDs  []string
}

// ReferencesOf lists the groups and users w names.
func ReferencesOf(w Workflow) References {
	var r References
	StepPaths(w, func(_ string, s Step) {
		for _, id := range s.Assignee.GroupIDs {
			if !slices.Contains(r.GroupIDs, id) {
				r.GroupIDs = append(r.GroupIDs, id)
			}
		}
		for _, id := range s.Assignee.UserIDs {
			if !slices.Contains(r.UserIDs, id) {
				r.UserIDs = append(r.UserIDs, id)
			}
		}
	})
	return r
}

// StepPaths calls fn with the path and step of every step, review steps first.
func StepPaths(w Workflow, fn func(path string, s Step)) {
	for i, s := range w.ReviewSteps {
		fn(fmt.Sprintf("workflow.review_steps[%d]", i), s)
	}
	fn("workflow.action_step", w.ActionStep)
}

// Package workflow is the Go form of grantflow.type.v1.Workflow: what a policy version
// prescribes (the policy service keeps it) and what a request pins at submit (the request
// service keeps a copy, which is the version, since a version never changes). Both
// services' domains use these types; what each checks or decides about a workflow stays
// in its own domain. It imports nothing but the standard library; pkg/pbconv converts it
// to and from the proto.
package workflow

import (
	"slices"
	"time"
)

// The assignee kinds: the names of grantflow.type.v1.AssigneeKind.
const (
	Admins          = "ADMINS"
	AppOwner        = "APP_OWNER"
	CustomRole      = "CUSTOM_ROLE"
	Manager         = "MANAGER"
	PrivilegedUsers = "PRIVILEGED_USERS"
	UserGroups      = "USER_GROUPS"
	Users           = "USERS"
	Agent           = "AGENT"
)

// Kinds lists every assignee kind, in the API's order.
var Kinds = []string{Admins, AppOwner, CustomRole, Manager, PrivilegedUsers, UserGroups, Users, Agent}

// The approvals of a review step: the names of grantflow.type.v1.Approval.
const (
	// ApprovalUnset is what an action step carries.
	ApprovalUnset  = ""
	ApprovalAny    = "ANY"
	ApprovalAll    = "ALL"
	ApprovalQuorum = "QUORUM"
)

// Assignee is a step's assignee spec: who, not yet resolved to people. Kind is one of
// Kinds ("" when the proto left it unspecified).
type Assignee struct {
	Kind       string   `json:"kind"`
	CustomRole string   `json:"customRole,omitempty"`
	GroupIDs   []string `json:"groupIds,omitempty"`
	UserIDs    []string `json:"userIds,omitempty"`
}

// Step is one step of a workflow.
type Step struct {
	Name     string   `json:"name"`
	Assignee Assignee `json:"assignee"`
	// Approval (review steps): one of the approvals.
	Approval string `json:"approval,omitempty"`
	// MinApprovals (QUORUM): the approvals that pass the step.
	MinApprovals int `json:"minApprovals,omitempty"`
	// DueAfter (review steps; 0: none): the tasks are due this long after they open.
	DueAfter time.Duration `json:"dueAfter,omitempty"`
	// Escalation (review steps with DueAfter; nil: none).
	Escalation *Escalation `json:"escalation,omitempty"`
}

// Escalation adds people to a review task still pending After past its due time.
type Escalation struct {
	After time.Duration `json:"after"`
	// To: MANAGER_OF_ASSIGNEE, ADMINS or USERS (with UserIDs), the names of
	// grantflow.type.v1.Escalation.Target.
	To      string   `json:"to"`
	UserIDs []string `json:"userIds,omitempty"`
}

// Workflow is review steps in order, then one action step. Zero review steps are allowed.
type Workflow struct {
	ReviewSteps []Step `json:"reviewSteps,omitempty"`
	ActionStep  Step   `json:"actionStep"`
	// MaxAccessDuration (0: no cap) caps the accessDuration of the requests it governs.
	MaxAccessDuration time.Duration `json:"maxAccessDuration,omitempty"`
}

// Clone returns a deep copy of w.
func (w Workflow) Clone() Workflow {
	w.ReviewSteps = slices.Clone(w.ReviewSteps)
	for i := range w.ReviewSteps {
		w.ReviewSteps[i] = w.ReviewSteps[i].Clone()
	}
	w.ActionStep = w.ActionStep.Clone()
	return w
}

// Clone returns a deep copy of s.
func (s Step) Clone() Step {
	s.Assignee.GroupIDs, s.Assignee.UserIDs = slices.Clone(s.Assignee.GroupIDs), slices.Clone(s.Assignee.UserIDs)
	if e := s.Escalation; e != nil {
		c := *e
		c.UserIDs = slices.Clone(e.UserIDs)
		s.Escalation = &c
	}
	return s
}

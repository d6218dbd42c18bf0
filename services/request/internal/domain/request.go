package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/grantflow/grantflow/pkg/workflow"
)

// Type is a request type (the names of grantflow.type.v1.RequestType).
type Type string

const (
	AddApp           Type = "ADD_APP"
	GrantAccess      Type = "GRANT_ACCESS"
	ChangePermission Type = "CHANGE_PERMISSION"
	RemoveAccess     Type = "REMOVE_ACCESS"
	ArchiveApp       Type = "ARCHIVE_APP"
)

// AboutUser reports whether requests of this type are about a user's access.
func (t Type) AboutUser() bool {
	return t == GrantAccess || t == ChangePermission || t == RemoveAccess
}

// Status is where a request stands.
type Status string

const (
	InProgress Status = "IN_PROGRESS"
	Declined   Status = "DECLINED"
	Done       Status = "DONE"
	Cancelled  Status = "CANCELLED"
	Failed     Status = "FAILED"
)

// Stage is the part of the workflow a request is in.
type Stage string

const (
	StageReview Stage = "REVIEW"
	StageAction Stage = "ACTION"
	StageClosed Stage = "CLOSED"
)

// The workflow of the pinned policy version, copied into the request at submit (a version
// never changes, so the copy is the version), in the kit's types (pkg/workflow): policy
// keeps the same.
type (
	Workflow   = workflow.Workflow
	Step       = workflow.Step
	Assignee   = workflow.Assignee
	Escalation = workflow.Escalation
)

// Permission is a permission level of a new app.
type Permission struct {
	Name       string `json:"name"`
	Privileged bool   `json:"privileged,omitempty"`
}

// NewApp is the app an ADD_APP request adds.
type NewApp struct {
	Name        string       `json:"name"`
	OwnerIDs    []string     `json:"ownerIds,omitempty"`
	Permissions []Permission `json:"permissions,omitempty"`
}

// Request is one ask for a change.
type Request struct {
	ID string
	// ClientID is the submit's client-chosen id (AIP-155); BodyHash fingerprints the body it
	// came with, so that a reuse with another body is refused.
	ClientID, BodyHash string

	Type         Type
	RequesterID  string
	TargetUserID string
	AppID        string
	Permission   string
	// PreviousPermission: CHANGE_PERMISSION, the permission held at submit.
	PreviousPermission string
	NewApp             *NewApp
	Reason             string

	Status        Status
	Stage         Stage
	FailureReason string

	PolicyID      string
	PolicyVersion int64
	PolicyLevel   string
	Workflow      Workflow
	// SkipManagerSteps: the requester is the General Manager, whose manager steps are
	// recorded as auto-approved.
	SkipManagerSteps bool

	// StepIndex is the current step: 0..n-1 the review steps, n the action step.
	StepIndex int
	// StepOpened: the current step's opening is recorded: its assignees resolved and its
	// task ids chosen (TaskIDs), in the commit that decided to open it and before the task
	// service is asked to make the tasks. An outcome of the step therefore always finds
	// it opened: the request owns the step position, the task service reports outcomes.
	StepOpened bool
	// Applying: the action step passed; the effect is being applied.
	Applying bool
	TaskIDs  []string

	// Who may see the request besides Admin and GM: the target's manager and the app's
	// owners as they were at submit, and everyone assigned a task of it.
	TargetManagerID string
	AppOwnerIDs     []string
	AssigneeIDs     []string

	CreateTime, UpdateTime time.Time
	Version                int64

	// AccessDuration (GRANT_ACCESS, CHANGE_PERMISSION; 0: no end) is how long the access
	// lasts once granted; ExpireTime is when it ends, set when the request is DONE.
	AccessDuration time.Duration
	ExpireTime     time.Time
	// OriginExpiry: the request service opened this REMOVE_ACCESS at the access's expiry.
	OriginExpiry bool
}

// Errors of the state machine.
var (
	ErrClosed = errors.New("the request is closed")
)

// Open reports whether the request is still in progress.
func (r Request) Open() bool { return r.Status == InProgress }

// ActionIndex is the step index of the action step.
func (r Request) ActionIndex() int { return len(r.Workflow.ReviewSteps) }

// CurrentStep returns the step at StepIndex and whether it is the action step.
func (r Request) CurrentStep() (Step, bool) {
	if r.StepIndex >= r.ActionIndex() {
		return r.Workflow.ActionStep, true
	}
	return r.Workflow.ReviewSteps[r.StepIndex], false
}

// ViewerIDs are the people who may see the request besides Admin and GM.
func (r Request) ViewerIDs() []string {
	out := []string{}
	add := func(ids ...string) {
		for _, id := range ids {
			if id != "" && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	add(r.RequesterID, r.TargetUserID, r.TargetManagerID)
	add(r.AppOwnerIDs...)
	add(r.AssigneeIDs...)
	return out
}

// AddTasks records task ids (once each, in order).
func (r *Request) AddTasks(ids ...string) {
	for _, id := range ids {
		if !slices.Contains(r.TaskIDs, id) {
			r.TaskIDs = append(r.TaskIDs, id)
		}
	}
}

// AddAssignees records people assigned a task of the request (once each).
func (r *Request) AddAssignees(ids ...string) {
	for _, id := range ids {
		if id != "" && !slices.Contains(r.AssigneeIDs, id) {
			r.AssigneeIDs = append(r.AssigneeIDs, id)
		}
	}
}

// Close ends the request in status s.
func (r *Request) Close(s Status, reason string) {
	r.Status, r.Stage, r.Applying = s, StageClosed, false
	if reason != "" {
		r.FailureReason = reason
	}
}

// Advance moves past the current step, which passed: to the next review step or the action
// step (its tasks not open yet), or, past the action step, to applying the effect.
func (r *Request) Advance() {
	if r.StepIndex >= r.ActionIndex() {
		r.Applying = true
		return
	}
	r.StepIndex++
	r.StepOpened = false
	if r.StepIndex >= r.ActionIndex() {
		r.Stage = StageAction
	}
}

// TakesOutcome reports whether an outcome (passed, failed) of the step at index applies:
// the request is open, at that step, and has recorded its opening.
func (r Request) TakesOutcome(index int) bool {
	return r.Open() && !r.Applying && r.StepOpened && index == r.StepIndex
}

// NewTaskIDs are the ids of a step's n tasks, chosen by the request in the commit that
// records the step's opening (which happens once per step: the request is locked and
// StepOpened set), and carried by the opening's work item, so that a retried OpenStep names
// the same tasks. They are UUIDv7, time-ordered like every other id: lists ordered by id
// (a request's tasks, an inbox) keep the order in which the steps opened.
func NewTaskIDs(n int) []string {
	out := make([]string, n)
	for k := range out {
		out[k] = uuid.Must(uuid.NewV7()).String()
	}
	return out
}

// Move is what a request needs next that waits for nobody.
type Move int

const (
	// MoveNone: nothing to do now; the request is closed, or waits for people to decide
	// the open step's tasks.
	MoveNone Move = iota
	// MoveOpenStep: open the current step: resolve its assignees, record the opening
	// (StepOpened) in one commit, then have the task service make the tasks.
	MoveOpenStep
	// MoveApply: the action step passed; apply the effect and close the request.
	MoveApply
	// MoveRunAgent: the open step is the action step assigned to the system agent; let the
	// agent carry it out.
	MoveRunAgent
)

func (m Move) String() string {
	return [...]string{"none", "open step", "apply", "run agent"}[m]
}

// AgentKind is the assignee kind of an action step the system agent carries out.
const AgentKind = workflow.Agent

// Next decides the request's next move from the request alone. Each move records its result
// on the request before the next is decided, so that deciding again after a crash, or twice
// at once, repeats nothing that was done.
func (r Request) Next() Move {
	switch {
	case !r.Open():
		return MoveNone
	case r.Applying:
		return MoveApply
	case !r.StepOpened:
		return MoveOpenStep
	}
	if step, isAction := r.CurrentStep(); isAction && step.Assignee.Kind == AgentKind {
		return MoveRunAgent
	}
	return MoveNone
}

// Clone returns a deep copy.
func (r Request) Clone() Request {
	r.TaskIDs = slices.Clone(r.TaskIDs)
	r.AppOwnerIDs = slices.Clone(r.AppOwnerIDs)
	r.AssigneeIDs = slices.Clone(r.AssigneeIDs)
	if r.NewApp != nil {
		n := *r.NewApp
		n.OwnerIDs = slices.Clone(n.OwnerIDs)
		n.Permissions = slices.Clone(n.Permissions)
		r.NewApp = &n
	}
	r.Workflow = r.Workflow.Clone()
	return r
}

// Body is what a submit asked for; its hash decides whether a reused client id came with
// the same body.
type Body struct {
	Type         Type    `json:"type"`
	RequesterID  string  `json:"requesterId"`
	TargetUserID string  `json:"targetUserId"`
	AppID        string  `json:"appId"`
	Permission   string  `json:"permission"`
	NewApp       *NewApp `json:"newApp,omitempty"`
	Reason       string  `json:"reason"`
	// AccessDuration: omitted when zero, so the hashes of bodies without one stay as they were.
	AccessDuration time.Duration `json:"accessDuration,omitempty"`
}

// Hash is a stable fingerprint of the body.
func (b Body) Hash() string {
	raw, _ := json.Marshal(b) // a struct of strings: cannot fail
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

package domain

import (
	"fmt"
	"slices"
	"time"
)

// Outcome is where a step stands.
type Outcome string

const (
	// Open: not settled yet.
	Open Outcome = "OPEN"
	// Passed: approved (review) or completed (action).
	Passed Outcome = "PASSED"
	// Failed: declined.
	Failed Outcome = "FAILED"
	// StepCancelled: the request's tasks were cancelled while the step was open.
	StepCancelled Outcome = "CANCELLED"
)

// Step is one opened workflow step of a request: the unit whose tasks settle together.
// It is keyed by (RequestID, Index) and is what OpenStep is idempotent on; every change
// of its tasks happens holding its lock, so the tally of its tasks is never stale.
type Step struct {
	RequestID     string
	Index         int
	Name          string
	Type          Type
	PolicyID      string
	PolicyVersion int64
	Approval      Approval
	MinApprovals  int
	RequesterID   string
	TargetUserID  string
	Outcome       Outcome
	CreateTime    time.Time
	UpdateTime    time.Time
	Version       int64
}

// Tally counts a step's tasks by state.
type Tally struct {
	Tasks     int
	Approvals int
	Declines  int
	Completed int
	Pending   int
}

// TallyOf counts tasks.
func TallyOf(tasks []Task) Tally {
	t := Tally{Tasks: len(tasks)}
	for _, x := range tasks {
		switch {
		case x.Status == Pending:
			t.Pending++
		case x.Decision == Approve:
			t.Approvals++
		case x.Decision == Decline:
			t.Declines++
		case x.Status == Done:
			t.Completed++
		}
	}
	return t
}

// Settle returns the outcome of a step whose tasks tally to t:
//
//   - action step: passed once its task is completed;
//   - ANY: the first decision settles it (approve passes, decline fails);
//   - ALL: one decline fails it; approvals of every task pass it;
//   - QUORUM: MinApprovals approvals pass it; it fails as soon as the approvals plus the
//     tasks still pending cannot reach MinApprovals.
func (s Step) Settle(t Tally) Outcome {
	if s.Type == Action {
		if t.Completed > 0 {
			return Passed
		}
		return Open
	}
	switch s.Approval {
	case All:
		switch {
		case t.Declines > 0:
			return Failed
		case t.Approvals == t.Tasks:
			return Passed
		}
	case Quorum:
		switch {
		case t.Approvals >= s.MinApprovals:
			return Passed
		case t.Approvals+t.Pending < s.MinApprovals:
			return Failed
		}
	default:
		switch {
		case t.Approvals > 0:
			return Passed
		case t.Declines > 0:
			return Failed
		}
	}
	return Open
}

// FieldError is a bad value of one input field, named as the API names it.
type FieldError struct {
	Field       string
	Description string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Description }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Description: fmt.Sprintf(format, args...)}
}

// AgentKind is the assignee kind of the system agent.
const AgentKind = "AGENT"

// StepSpec is what the request service asks for when it opens a step.
type StepSpec struct {
	Step
	Assignee    Assignee
	AssigneeIDs []string
	// ResolutionNote goes to the history of every task ("fell back to the admins").
	ResolutionNote string
	Action         string
	// AutoApproveReason, if set, settles the step at once: one task, approved by the system.
	AutoApproveReason string
	// DueAfter (review steps; 0: none) makes the tasks due that long after they open.
	DueAfter time.Duration
	// EscalateAfter (with DueAfter) adds EscalationUserIDs that long after the due time.
	EscalateAfter     time.Duration
	EscalationUserIDs []string
	EscalationNote    string
	// TaskIDs (optional): the ids of the tasks Tasks makes, in its order, chosen by the
	// caller; empty: new ones.
	TaskIDs []string
}

// TaskCount is how many tasks the step has: one shared by every assignee for ANY, an
// action step and an auto-approved step; one per assignee for ALL and QUORUM.
func (sp StepSpec) TaskCount() int {
	if sp.AutoApproveReason == "" && sp.Type == Review && sp.Approval != Any {
		return len(sp.AssigneeIDs)
	}
	return 1
}

// Normalize fills the defaults: ANY for an unspecified approval, no min_approvals outside
// QUORUM. An auto-approved step is one task settled by one decision, the system's: it is
// recorded as ANY whatever the policy's approval mode.
func (sp *StepSpec) Normalize() {
	if sp.Approval == "" || sp.AutoApproveReason != "" {
		sp.Approval = Any
	}
	if sp.Approval != Quorum {
		sp.MinApprovals = 0
	}
}

// Validate checks the rules that span several fields. Call Normalize first.
func (sp StepSpec) Validate() error {
	agent := sp.Assignee.Kind == AgentKind
	switch {
	case sp.Type != Review && sp.Type != Action:
		return invalid("type", "REVIEW or ACTION")
	case sp.Type == Action && sp.Approval != Any:
		return invalid("approval", "an action step has one shared task: ANY or unspecified")
	case agent && sp.Type != Action:
		return invalid("assignee.kind", "the agent carries out action steps only")
	case agent && len(sp.AssigneeIDs) > 0:
		return invalid("assignee_ids", "must be empty for the agent")
	case sp.AutoApproveReason != "" && sp.Type != Review:
		return invalid("auto_approve_reason", "only review steps are auto-approved")
	case !agent && sp.AutoApproveReason == "" && len(sp.AssigneeIDs) == 0:
		return invalid("assignee_ids", "at least one person is required (identity falls back to the admins)")
	case sp.Approval == Quorum && sp.MinApprovals < 1:
		return invalid("min_approvals", "QUORUM needs at least 1")
	case sp.DueAfter < 0:
		return invalid("due_after", "must be positive")
	case sp.DueAfter > 0 && sp.Type != Review:
		return invalid("due_after", "only review steps have a due time")
	case sp.EscalateAfter < 0:
		return invalid("escalate_after", "must be positive")
	case sp.EscalateAfter > 0 && sp.DueAfter == 0:
		return invalid("escalate_after", "an escalation needs due_after")
	case sp.Approval == Quorum && sp.MinApprovals > len(sp.AssigneeIDs):
		return invalid("min_approvals", "%d approvals needed but only %d assignees", sp.MinApprovals, len(sp.AssigneeIDs))
	case len(sp.TaskIDs) > 0 && len(sp.TaskIDs) != sp.TaskCount():
		return invalid("task_ids", "%d ids given for the step's %d tasks", len(sp.TaskIDs), sp.TaskCount())
	}
	for _, id := range sp.AssigneeIDs {
		if id == sp.RequesterID || (sp.TargetUserID != "" && id == sp.TargetUserID) {
			return invalid("assignee_ids", "%s is the request's requester or target user, who never decides on it", id)
		}
	}
	return nil
}

// Tasks returns the step's new tasks, created at now, with ids from newID: one task
// shared by every assignee for ANY, an action step and an auto-approved step; one task
// per assignee, in the given order, for ALL and QUORUM. An auto-approved step's task is
// already approved by the system.
func (sp StepSpec) Tasks(newID func() string, now time.Time) []Task {
	base := Task{
		Type: sp.Type, RequestID: sp.RequestID, PolicyID: sp.PolicyID, PolicyVersion: sp.PolicyVersion,
		StepIndex: sp.Index, StepName: sp.Name, Assignee: sp.Assignee, Approval: sp.Approval, MinApprovals: sp.MinApprovals,
		Action: sp.Action, Status: Pending, RequesterID: sp.RequesterID, TargetUserID: sp.TargetUserID,
		CreateTime: now, UpdateTime: now, Version: 1,
	}
	if sp.DueAfter > 0 && sp.AutoApproveReason == "" {
		base.DueTime = now.Add(sp.DueAfter)
		if sp.EscalateAfter > 0 && len(sp.EscalationUserIDs) > 0 {
			base.EscalateTime = base.DueTime.Add(sp.EscalateAfter)
			base.EscalationUserIDs, base.EscalationNote = slices.Clone(sp.EscalationUserIDs), sp.EscalationNote
		}
	}
	made := 0
	newTask := func(ids []string) Task {
		t := base.Clone()
		if made < len(sp.TaskIDs) {
			t.ID = sp.TaskIDs[made]
		} else {
			t.ID = newID()
		}
		made++
		t.AssigneeIDs = slices.Clone(ids)
		t.History = []HistoryEntry{{Time: now, ActorID: SystemActor, Event: EventCreated, Note: sp.ResolutionNote}}
		return t
	}
	if sp.AutoApproveReason != "" {
		t := newTask(sp.AssigneeIDs)
		_ = t.AutoApprove(sp.AutoApproveReason, now) // a new review task is pending
		t.Version = 1
		return []Task{t}
	}
	if sp.Type == Review && sp.Approval != Any {
		out := make([]Task, 0, len(sp.AssigneeIDs))
		for _, id := range sp.AssigneeIDs {
			out = append(out, newTask([]string{id}))
		}
		return out
	}
	return []Task{newTask(sp.AssigneeIDs)}
}

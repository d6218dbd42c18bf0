package domain

import (
	"errors"
	"slices"
	"time"

	"github.com/grantflow/grantflow/pkg/workflow"
)

// Type is a task's kind.
type Type string

const (
	Review     Type = "REVIEW"
	Action     Type = "ACTION"
	Standalone Type = "STANDALONE"
	// AccessReview is a reviewer's work in an access review campaign: it follows the
	// campaign's items (the review service closes it), never a decision on the task.
	AccessReview Type = "ACCESS_REVIEW"
)

// Status is where a task stands.
type Status string

const (
	Pending   Status = "PENDING"
	Done      Status = "DONE"
	Declined  Status = "DECLINED"
	Cancelled Status = "CANCELLED"
)

// Decision is a review task's verdict.
type Decision string

const (
	NoDecision Decision = ""
	Approve    Decision = "APPROVE"
	Decline    Decision = "DECLINE"
)

// Approval is how a review step's tasks settle it.
type Approval string

const (
	// Any: one task shared by every assignee; its decision settles the step.
	Any Approval = "ANY"
	// All: one task per assignee; one decline fails the step, all approvals pass it.
	All Approval = "ALL"
	// Quorum: one task per assignee; MinApprovals approvals pass the step, and it fails
	// as soon as the approvals still possible cannot reach MinApprovals.
	Quorum Approval = "QUORUM"
)

// History events.
const (
	EventCreated      = "created"
	EventApproved     = "approved"
	EventDeclined     = "declined"
	EventCompleted    = "completed"
	EventCancelled    = "cancelled"
	EventReassigned   = "reassigned"
	EventAutoApproved = "auto_approved"
	// EventDue: the due time passed while the task was pending (the reminder went out).
	EventDue = "due"
	// EventEscalated: the escalation target joined the assignees.
	EventEscalated = "escalated"
)

// SystemActor is the actor of what the system does by itself.
const SystemActor = "system"

// Assignee is a step's assignee spec as the policy version states it (not resolved), in the
// kit's workflow type (pkg/workflow) that policy and request keep.
type Assignee = workflow.Assignee

// HistoryEntry is one event of a task's life.
type HistoryEntry struct {
	Time    time.Time
	ActorID string
	Event   string
	Note    string
}

// Task is one piece of work.
type Task struct {
	ID   string
	Type Type
	// RequestID and the step fields are empty for a standalone task.
	RequestID     string
	PolicyID      string
	PolicyVersion int64
	StepIndex     int
	StepName      string
	Assignee      Assignee
	// AssigneeIDs are the people who may act; empty for the system agent.
	AssigneeIDs  []string
	Approval     Approval
	MinApprovals int
	Action       string
	Decision     Decision
	DecidedBy    string
	// Justification is the decider's justification or the completion note.
	Justification string
	Status        Status
	// RequesterID and TargetUserID are the request's; nobody who is either decides.
	RequesterID  string
	TargetUserID string
	// Key is a standalone or access review task's idempotency key ("" for the others).
	Key string
	// AccessReviewID is the campaign of an ACCESS_REVIEW task ("" for the others).
	AccessReviewID string
	History        []HistoryEntry
	CreateTime     time.Time
	UpdateTime     time.Time
	// Version increments on every change; it is the etag.
	Version int64
	// DueTime (zero: none) is when a review task of a step with dueAfter is due.
	DueTime time.Time
	// EscalateTime (zero: none) is when EscalationUserIDs join the assignees if the task is
	// still pending; EscalationNote says how they were found.
	EscalateTime      time.Time
	EscalationUserIDs []string
	EscalationNote    string
}

// Errors of the state machine. The application layer turns them into API errors.
var (
	// ErrNotPending: the task was already decided, completed or cancelled.
	ErrNotPending = errors.New("the task is no longer pending")
	// ErrNotReview: approve or decline on an action or standalone task.
	ErrNotReview = errors.New("only review tasks are approved or declined")
	// ErrNotCompletable: complete on a review task.
	ErrNotCompletable = errors.New("only action and standalone tasks are completed")
	// ErrAccessReviewTask: approve, decline, complete or reassign on an ACCESS_REVIEW task,
	// which follows the campaign's items instead.
	ErrAccessReviewTask = errors.New("an access review task is done by deciding the campaign's items")
)

// Clone returns a deep copy of t.
func (t Task) Clone() Task {
	t.Assignee.GroupIDs = slices.Clone(t.Assignee.GroupIDs)
	t.Assignee.UserIDs = slices.Clone(t.Assignee.UserIDs)
	t.AssigneeIDs = slices.Clone(t.AssigneeIDs)
	t.History = slices.Clone(t.History)
	t.EscalationUserIDs = slices.Clone(t.EscalationUserIDs)
	return t
}

// MarkDue records that the task's due time passed while it was pending; false (and no
// change) for a task that is no longer pending.
func (t *Task) MarkDue(now time.Time) bool {
	if t.Status != Pending {
		return false
	}
	t.touch(now, SystemActor, EventDue, "due since "+t.DueTime.UTC().Format(time.RFC3339))
	return true
}

// Escalate adds the escalation's people to a pending task's assignees and returns the
// assignees before. false (and no change) when the task is no longer pending or everyone
// the escalation names is an assignee already.
func (t *Task) Escalate(now time.Time) (before []string, ok bool) {
	if t.Status != Pending {
		return nil, false
	}
	before = slices.Clone(t.AssigneeIDs)
	for _, id := range t.EscalationUserIDs {
		if !slices.Contains(t.AssigneeIDs, id) && id != t.RequesterID && id != t.TargetUserID {
			t.AssigneeIDs = append(t.AssigneeIDs, id)
		}
	}
	if len(t.AssigneeIDs) == len(before) {
		return nil, false
	}
	note := "still pending after its due time"
	if t.EscalationNote != "" {
		note += ": " + t.EscalationNote
	}
	t.touch(now, SystemActor, EventEscalated, note)
	return before, true
}

// Reroute moves a pending task from userID, who left, to others (without the request's
// requester and target user, who never decide on it), with the reason in the history.
// false (and no change) when the task is not pending or userID is not an assignee.
func (t *Task) Reroute(userID string, to []string, reason string, now time.Time) (before []string, ok bool) {
	if t.Status != Pending || !t.IsAssignee(userID) {
		return nil, false
	}
	before = slices.Clone(t.AssigneeIDs)
	t.AssigneeIDs = slices.DeleteFunc(slices.Clone(t.AssigneeIDs), func(id string) bool { return id == userID })
	for _, id := range to {
		if !slices.Contains(t.AssigneeIDs, id) && id != userID && id != t.RequesterID && id != t.TargetUserID {
			t.AssigneeIDs = append(t.AssigneeIDs, id)
		}
	}
	t.touch(now, SystemActor, EventReassigned, reason)
	return before, true
}

// InRequest reports whether the task belongs to a request (review and action tasks).
func (t Task) InRequest() bool { return t.RequestID != "" }

// touch records a change at now by actor.
func (t *Task) touch(now time.Time, actor, event, note string) {
	t.History = append(t.History, HistoryEntry{Time: now, ActorID: actor, Event: event, Note: note})
	t.UpdateTime = now
	t.Version++
}

// Decide approves or declines a pending review task.
func (t *Task) Decide(d Decision, actor, justification string, now time.Time) error {
	if t.Type == AccessReview {
		return ErrAccessReviewTask
	}
	if t.Type != Review {
		return ErrNotReview
	}
	if t.Status != Pending {
		return ErrNotPending
	}
	event := EventApproved
	t.Status = Done
	if d == Decline {
		event = EventDeclined
		t.Status = Declined
	}
	t.Decision, t.DecidedBy, t.Justification = d, actor, justification
	t.touch(now, actor, event, justification)
	return nil
}

// AutoApprove approves a pending review task on the system's behalf.
func (t *Task) AutoApprove(reason string, now time.Time) error {
	if err := t.Decide(Approve, SystemActor, reason, now); err != nil {
		return err
	}
	t.History[len(t.History)-1].Event = EventAutoApproved
	return nil
}

// Complete marks a pending action or standalone task done.
func (t *Task) Complete(actor, note string, now time.Time) error {
	if t.Type == AccessReview {
		return ErrAccessReviewTask
	}
	if t.Type == Review {
		return ErrNotCompletable
	}
	if t.Status != Pending {
		return ErrNotPending
	}
	t.Status, t.DecidedBy, t.Justification = Done, actor, note
	t.touch(now, actor, EventCompleted, note)
	return nil
}

// Cancel cancels a pending task; a task that is not pending stays as it is and Cancel
// reports false.
func (t *Task) Cancel(actor, reason string, now time.Time) bool {
	if t.Status != Pending {
		return false
	}
	t.Status = Cancelled
	t.touch(now, actor, EventCancelled, reason)
	return true
}

// Reassign replaces the assignees of a pending task.
func (t *Task) Reassign(ids []string, actor, note string, now time.Time) error {
	if t.Type == AccessReview {
		return ErrAccessReviewTask
	}
	if t.Status != Pending {
		return ErrNotPending
	}
	t.AssigneeIDs = slices.Clone(ids)
	t.touch(now, actor, EventReassigned, note)
	return nil
}

// IsAssignee reports whether userID is one of the task's people.
func (t Task) IsAssignee(userID string) bool {
	return userID != "" && slices.Contains(t.AssigneeIDs, userID)
}

// FinishAccessReview closes a pending ACCESS_REVIEW task for the review service: DONE (the
// reviewer's last item was decided) or CANCELLED (the campaign closed first). A task that
// is not pending stays as it is and FinishAccessReview reports false.
func (t *Task) FinishAccessReview(status Status, actor, note string, now time.Time) bool {
	if t.Type != AccessReview || t.Status != Pending {
		return false
	}
	if status == Cancelled {
		return t.Cancel(actor, note, now)
	}
	t.Status, t.DecidedBy, t.Justification = Done, actor, note
	t.touch(now, actor, EventCompleted, note)
	return true
}

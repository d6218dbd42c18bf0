package app

import (
	"context"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/events"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// Event actions.
const (
	ActionCreated      = "task.created"
	ActionApproved     = "task.approved"
	ActionDeclined     = "task.declined"
	ActionCompleted    = "task.completed"
	ActionCancelled    = "task.cancelled"
	ActionReassigned   = "task.reassigned"
	ActionAutoApproved = "task.auto_approved"
	// ActionDue: a review task's due time passed while it was pending (the reminder).
	ActionDue = "task.due"
	// ActionEscalated: the escalation target joined a pending task's assignees.
	ActionEscalated = "task.escalated"
)

// taskEvent is the payload of every task event: the task as it is after the change.
func taskEvent(t domain.Task) *eventsv1.TaskChanged {
	return &eventsv1.TaskChanged{
		TaskId: t.ID, RequestId: t.RequestID, PolicyId: t.PolicyID, PolicyVersion: t.PolicyVersion,
		StepIndex: int32(t.StepIndex), StepName: t.StepName, Type: string(t.Type), Status: string(t.Status),
		AssigneeIds: t.AssigneeIDs, Action: t.Action, Decision: string(t.Decision), DecidedBy: t.DecidedBy, Justification: t.Justification,
		DueTime:        dueTimePB(t),
		AccessReviewId: t.AccessReviewID,
	}
}

// outcomeEvent is the payload of the events that the request service advances on
// (task.approved, task.declined, task.auto_approved, and task.completed of an action task):
// the task, and its step's state after this decision, computed under the step's lock.
func outcomeEvent(t domain.Task, step domain.Step, tally domain.Tally, outcome domain.Outcome, cancelled []string) *eventsv1.TaskChanged {
	e := taskEvent(t)
	e.Approval, e.MinApprovals = string(step.Approval), int32(step.MinApprovals)
	e.StepTaskCount, e.StepApprovals, e.StepDeclines = int32(tally.Tasks), int32(tally.Approvals), int32(tally.Declines)
	e.StepOutcome, e.CancelledTaskIds = string(outcome), cancelled
	return e
}

// sinksFor returns who receives an event: audit and notification always; request for the outcome events of
// a task that belongs to a request, and for its reassignments and escalations (the new
// assignees may see the request).
func sinksFor(action string, t domain.Task) []string {
	switch action {
	case ActionApproved, ActionDeclined, ActionCompleted, ActionAutoApproved, ActionReassigned, ActionEscalated:
		if t.InRequest() {
			return []string{SinkAudit, SinkNotification, SinkRequest}
		}
	}
	return []string{SinkAudit, SinkNotification}
}

// emit appends one event about task t in tx. actor overrides the principal as the actor
// ("system" for what the system decides by itself).
func (s *Service) emit(ctx context.Context, tx store.Tx, action string, t domain.Task, actor string, payload *eventsv1.TaskChanged) error {
	ev := events.New(ctx, ServiceName, action, "tasks/"+t.ID, s.now(), actor)
	ev.RequestId, ev.PolicyId, ev.PolicyVersion, ev.TaskId = t.RequestID, t.PolicyID, t.PolicyVersion, t.ID
	ev.Payload = &eventsv1.Event_TaskChanged{TaskChanged: payload}
	return tx.Emit(ctx, sinksFor(action, t), ev)
}

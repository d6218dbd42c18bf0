package app

import (
	"context"
	"encoding/json"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/auth"
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
)

// TaskEvent is the data of every task event: the task as it is after the change.
type TaskEvent struct {
	TaskID        string   `json:"taskId"`
	RequestID     string   `json:"requestId,omitempty"`
	PolicyID      string   `json:"policyId,omitempty"`
	PolicyVersion int64    `json:"policyVersion,omitempty"`
	StepIndex     int      `json:"stepIndex"`
	StepName      string   `json:"stepName,omitempty"`
	Type          string   `json:"type"`
	Status        string   `json:"status"`
	AssigneeIDs   []string `json:"assigneeIds"`
	Action        string   `json:"action,omitempty"`
	Decision      string   `json:"decision,omitempty"`
	DecidedBy     string   `json:"decidedBy,omitempty"`
	Justification string   `json:"justification,omitempty"`
	// Note: the creation note, the cancel reason, the reassign note.
	Note string `json:"note,omitempty"`
	// PreviousAssigneeIDs: task.reassigned only.
	PreviousAssigneeIDs []string `json:"previousAssigneeIds,omitempty"`
}

// OutcomeEvent is the data of the events that the request service advances on
// (task.approved, task.declined, task.auto_approved, and task.completed of an action task):
// the task, and its step's state after this decision, computed under the step's lock.
type OutcomeEvent struct {
	TaskEvent
	// Approval: ANY, ALL or QUORUM (ANY for an action step).
	Approval string `json:"approval"`
	// MinApprovals: QUORUM only (0 otherwise).
	MinApprovals int `json:"minApprovals"`
	// StepTaskCount: how many tasks the step has.
	StepTaskCount int `json:"stepTaskCount"`
	// StepApprovals and StepDeclines: the step's decisions so far, this one included.
	StepApprovals int `json:"stepApprovals"`
	StepDeclines  int `json:"stepDeclines"`
	// StepOutcome: OPEN, PASSED or FAILED.
	StepOutcome string `json:"stepOutcome"`
	// CancelledTaskIDs: the step's pending tasks this decision cancelled because it
	// settled the step (each also has its own task.cancelled event).
	CancelledTaskIDs []string `json:"cancelledTaskIds"`
}

func taskEvent(t domain.Task) TaskEvent {
	ids := t.AssigneeIDs
	if ids == nil {
		ids = []string{}
	}
	return TaskEvent{
		TaskID: t.ID, RequestID: t.RequestID, PolicyID: t.PolicyID, PolicyVersion: t.PolicyVersion,
		StepIndex: t.StepIndex, StepName: t.StepName, Type: string(t.Type), Status: string(t.Status),
		AssigneeIDs: ids, Action: t.Action, Decision: string(t.Decision), DecidedBy: t.DecidedBy, Justification: t.Justification,
	}
}

func outcomeEvent(t domain.Task, step domain.Step, tally domain.Tally, outcome domain.Outcome, cancelled []string) OutcomeEvent {
	if cancelled == nil {
		cancelled = []string{}
	}
	return OutcomeEvent{
		TaskEvent: taskEvent(t), Approval: string(step.Approval), MinApprovals: step.MinApprovals,
		StepTaskCount: tally.Tasks, StepApprovals: tally.Approvals, StepDeclines: tally.Declines,
		StepOutcome: string(outcome), CancelledTaskIDs: cancelled,
	}
}

// sinksFor returns who receives an event: audit always; request for the outcome events of
// a task that belongs to a request, and for its reassignments (the new assignees may see
// the request).
func sinksFor(action string, t domain.Task) []string {
	switch action {
	case ActionApproved, ActionDeclined, ActionCompleted, ActionAutoApproved, ActionReassigned:
		if t.InRequest() {
			return []string{SinkAudit, SinkRequest}
		}
	}
	return []string{SinkAudit}
}

// emit appends one event about task t in tx. actor overrides the principal as the actor
// ("system" for what the system decides by itself).
func (s *Service) emit(ctx context.Context, tx store.Tx, action string, t domain.Task, actor string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	p, _ := auth.FromContext(ctx)
	ev := &eventsv1.Event{
		Id:              newID(),
		Service:         ServiceName,
		Action:          action,
		Subject:         "tasks/" + t.ID,
		Time:            timestamppb.New(s.now()),
		ActorId:         p.UserID,
		ActorCredential: p.CredentialID,
		RequestId:       t.RequestID,
		PolicyId:        t.PolicyID,
		PolicyVersion:   t.PolicyVersion,
		TaskId:          t.ID,
		Data:            raw,
	}
	if actor != "" && actor != p.UserID {
		ev.ActorId, ev.ActorCredential = actor, actor
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		ev.TraceId = sc.TraceID().String()
		carrier := propagation.MapCarrier{}
		propagation.TraceContext{}.Inject(ctx, carrier)
		ev.Traceparent = carrier.Get("traceparent")
	}
	return tx.Emit(ctx, sinksFor(action, t), ev)
}

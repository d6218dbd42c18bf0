package pbconv

import (
	"google.golang.org/protobuf/types/known/durationpb"

	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/workflow"
)

// WorkflowFromPB is w as the shared workflow type, as it came: unspecified enums become "",
// nothing is defaulted or checked (the policy domain normalizes and validates).
func WorkflowFromPB(w *typev1.Workflow) workflow.Workflow {
	out := workflow.Workflow{ActionStep: StepFromPB(w.GetActionStep()), MaxAccessDuration: w.GetMaxAccessDuration().AsDuration()}
	for _, s := range w.GetReviewSteps() {
		out.ReviewSteps = append(out.ReviewSteps, StepFromPB(s))
	}
	return out
}

// StepFromPB is s as the shared step type (see WorkflowFromPB).
func StepFromPB(s *typev1.Step) workflow.Step {
	out := workflow.Step{
		Name: s.GetName(), Assignee: AssigneeFromPB(s.GetAssignee()), Approval: Name[string](s.GetApproval()),
		MinApprovals: int(s.GetMinApprovals()), DueAfter: s.GetDueAfter().AsDuration(),
	}
	if e := s.GetEscalation(); e != nil {
		out.Escalation = &workflow.Escalation{After: e.GetAfter().AsDuration(), To: Name[string](e.GetTo()), UserIDs: e.GetUserIds()}
	}
	return out
}

// AssigneeFromPB is a as the shared assignee spec (see WorkflowFromPB).
func AssigneeFromPB(a *typev1.Assignee) workflow.Assignee {
	return workflow.Assignee{Kind: Name[string](a.GetKind()), CustomRole: a.GetCustomRole(), GroupIDs: a.GetGroupIds(), UserIDs: a.GetUserIds()}
}

// WorkflowPB is w as the API carries it (lists always present).
func WorkflowPB(w workflow.Workflow) *typev1.Workflow {
	out := &typev1.Workflow{ActionStep: StepPB(w.ActionStep), ReviewSteps: make([]*typev1.Step, 0, len(w.ReviewSteps))}
	if w.MaxAccessDuration > 0 {
		out.MaxAccessDuration = durationpb.New(w.MaxAccessDuration)
	}
	for _, s := range w.ReviewSteps {
		out.ReviewSteps = append(out.ReviewSteps, StepPB(s))
	}
	return out
}

// StepPB is s as the API carries it.
func StepPB(s workflow.Step) *typev1.Step {
	out := &typev1.Step{
		Name: s.Name, Assignee: AssigneePB(s.Assignee),
		Approval: Value[typev1.Approval](typev1.Approval_value, s.Approval), MinApprovals: int32(s.MinApprovals),
	}
	if s.DueAfter > 0 {
		out.DueAfter = durationpb.New(s.DueAfter)
	}
	if e := s.Escalation; e != nil {
		out.Escalation = &typev1.Escalation{After: durationpb.New(e.After), To: Value[typev1.Escalation_Target](typev1.Escalation_Target_value, e.To),
			UserIds: List(e.UserIDs)}
	}
	return out
}

// AssigneePB is a as the API carries it.
func AssigneePB(a workflow.Assignee) *typev1.Assignee {
	return &typev1.Assignee{
		Kind: Value[typev1.AssigneeKind](typev1.AssigneeKind_value, a.Kind), CustomRole: a.CustomRole,
		GroupIds: List(a.GroupIDs), UserIds: List(a.UserIDs),
	}
}

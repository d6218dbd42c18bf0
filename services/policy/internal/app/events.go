package app

import (
	"google.golang.org/protobuf/types/known/durationpb"

	"context"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/events"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// The actions of the policy service's events.
const (
	ActionPolicyCreated    = "policy.created"
	ActionVersionCreated   = "policy.version.created"
	ActionVersionUpdated   = "policy.version.updated"
	ActionVersionDeleted   = "policy.version.deleted"
	ActionVersionActivated = "policy.version.activated"
	ActionVersionRetired   = "policy.version.retired"
)

func policyData(p domain.Policy) *eventsv1.PolicyChanged {
	return &eventsv1.PolicyChanged{
		PolicyId: p.ID, Name: p.Name, RequestType: string(p.RequestType), Level: string(p.Level),
		Scope: &eventsv1.PolicyScope{AppId: p.Scope.AppID, Permissions: p.Scope.Permissions},
	}
}

// versionData is the payload of a policy.version event about version v of policyID.
func versionData(policyID string, v int64, state domain.State, w *domain.Workflow) *eventsv1.PolicyVersionChanged {
	out := &eventsv1.PolicyVersionChanged{PolicyId: policyID, Version: v, State: string(state)}
	if w != nil {
		out.Workflow = WorkflowPB(*w)
	}
	return out
}

// WorkflowPB is w as the API (and the policy.version events) carry it.
func WorkflowPB(w domain.Workflow) *typev1.Workflow {
	out := &typev1.Workflow{ActionStep: stepPB(w.ActionStep), ReviewSteps: make([]*typev1.Step, 0, len(w.ReviewSteps))}
	if w.MaxAccessDuration > 0 {
		out.MaxAccessDuration = durationpb.New(w.MaxAccessDuration)
	}
	for _, s := range w.ReviewSteps {
		out.ReviewSteps = append(out.ReviewSteps, stepPB(s))
	}
	return out
}

func stepPB(s domain.Step) *typev1.Step {
	out := &typev1.Step{
		Name: s.Name,
		Assignee: &typev1.Assignee{
			Kind:       typev1.AssigneeKind(typev1.AssigneeKind_value[string(s.Assignee.Kind)]),
			CustomRole: s.Assignee.CustomRole,
			GroupIds:   orEmpty(s.Assignee.GroupIDs),
			UserIds:    orEmpty(s.Assignee.UserIDs),
		},
		Approval:     typev1.Approval(typev1.Approval_value[string(s.Approval)]),
		MinApprovals: s.MinApprovals,
	}
	if s.DueAfter > 0 {
		out.DueAfter = durationpb.New(s.DueAfter)
	}
	if e := s.Escalation; e != nil {
		out.Escalation = &typev1.Escalation{After: durationpb.New(e.After), To: typev1.Escalation_Target(typev1.Escalation_Target_value[e.To]),
			UserIds: orEmpty(e.UserIDs)}
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// emit appends one event for audit in tx, naming the policy and version it is about.
func (s *Service) emit(ctx context.Context, tx store.Tx, action, policyID string, version int64, payload proto.Message) error {
	subject := "policies/" + policyID
	if action != ActionPolicyCreated && action != ActionPolicyRetired {
		subject = "policies/" + versionName(policyID, version)
	}
	ev := events.New(ctx, ServiceName, action, subject, s.now(), "")
	ev.PolicyId, ev.PolicyVersion = policyID, version
	if err := events.SetPayload(ev, payload); err != nil {
		return err
	}
	return tx.Emit(ctx, []string{SinkAudit, SinkNotification}, ev)
}

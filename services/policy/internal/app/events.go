package app

import (
	"context"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/events"
	"github.com/grantflow/grantflow/pkg/pbconv"
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
		out.Workflow = pbconv.WorkflowPB(*w)
	}
	return out
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

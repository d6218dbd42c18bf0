package app

import (
	"context"
	"encoding/json"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/auth"
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

type policyEvent struct {
	PolicyID    string             `json:"policyId"`
	Name        string             `json:"name"`
	RequestType domain.RequestType `json:"requestType"`
	Level       domain.Level       `json:"level"`
	Scope       domain.Scope       `json:"scope"`
}

type versionEvent struct {
	PolicyID string           `json:"policyId"`
	Version  int64            `json:"version"`
	State    domain.State     `json:"state"`
	Workflow *domain.Workflow `json:"workflow,omitempty"`
	// The version this one replaced (activated) or was replaced by (retired).
	PreviousVersion int64 `json:"previousVersion,omitempty"`
	NextVersion     int64 `json:"nextVersion,omitempty"`
}

func policyData(p domain.Policy) policyEvent {
	return policyEvent{PolicyID: p.ID, Name: p.Name, RequestType: p.RequestType, Level: p.Level, Scope: p.Scope}
}

// emit appends one event for audit in tx, naming the policy and version it is about.
func (s *Service) emit(ctx context.Context, tx store.Tx, action, policyID string, version int64, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	subject := "policies/" + policyID
	if action != ActionPolicyCreated && action != ActionPolicyRetired {
		subject = "policies/" + versionName(policyID, version)
	}
	p, _ := auth.FromContext(ctx)
	ev := &eventsv1.Event{
		Id:              newID(),
		Service:         ServiceName,
		Action:          action,
		Subject:         subject,
		Time:            timestamppb.New(s.now()),
		ActorId:         p.UserID,
		ActorCredential: p.CredentialID,
		PolicyId:        policyID,
		PolicyVersion:   version,
		Data:            raw,
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		ev.TraceId = sc.TraceID().String()
		carrier := propagation.MapCarrier{}
		propagation.TraceContext{}.Inject(ctx, carrier)
		ev.Traceparent = carrier.Get("traceparent")
	}
	return tx.Emit(ctx, []string{SinkAudit}, ev)
}

package app

import (
	"context"
	"encoding/json"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// emit appends one event for audit (and the extra sinks) in tx.
func (s *Service) emit(ctx context.Context, tx store.Tx, action, subject string, data any, extra ...string) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
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
		Data:            raw,
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		ev.TraceId = sc.TraceID().String()
		carrier := propagation.MapCarrier{}
		propagation.TraceContext{}.Inject(ctx, carrier)
		ev.Traceparent = carrier.Get("traceparent")
	}
	if rid, ok := data.(interface{ requestID() string }); ok {
		ev.RequestId = rid.requestID()
	}
	return tx.Emit(ctx, append([]string{SinkAudit}, extra...), ev)
}

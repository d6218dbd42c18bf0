// Package events builds the events services write to their outboxes, and reads their
// typed payloads back as JSON.
//
// Every producer builds its events with New, so that each carries the same envelope: a
// fresh id, the producing service, the actor and credential of the caller, the time, and
// the trace context of the command that produced it.
package events

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/auth"
)

// New returns an event of service about subject, at time at, with a new id (UUIDv7), the
// caller in ctx as its actor, and the trace context of ctx. actor, when set and not the
// caller, overrides the actor and its credential ("system" for what a service decides by
// itself). The caller sets the lineage keys (request, policy, task) and the payload.
func New(ctx context.Context, service, action, subject string, at time.Time, actor string) *eventsv1.Event {
	p, _ := auth.FromContext(ctx)
	ev := &eventsv1.Event{
		Id:              uuid.Must(uuid.NewV7()).String(),
		Service:         service,
		Action:          action,
		Subject:         subject,
		Time:            timestamppb.New(at),
		ActorId:         p.UserID,
		ActorCredential: p.CredentialID,
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
	return ev
}

// WithTrace continues the trace of the command that produced ev, so that the work a
// delivery causes joins that trace.
func WithTrace(ctx context.Context, ev *eventsv1.Event) context.Context {
	if ev.GetTraceparent() == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": ev.GetTraceparent()})
}

var payloadOneof = (&eventsv1.Event{}).ProtoReflect().Descriptor().Oneofs().ByName("payload")

// Payload returns the typed payload of ev, or nil when it has none.
func Payload(ev *eventsv1.Event) proto.Message {
	m := ev.ProtoReflect()
	fd := m.WhichOneof(payloadOneof)
	if fd == nil {
		return nil
	}
	return m.Get(fd).Message().Interface()
}

// PayloadJSON returns the proto3 JSON of ev's payload message (field names in lowerCamelCase,
// fields at their zero value left out, 64-bit integers as strings), or nil when ev has no
// payload. The bytes are not canonical: audit canonicalizes them (RFC 8785) before it
// stores and hashes them.
func PayloadJSON(ev *eventsv1.Event) ([]byte, error) {
	p := Payload(ev)
	if p == nil {
		return nil, nil
	}
	return protojson.Marshal(p)
}

// SetPayload sets p, a message of the payload oneof (UserChanged, TaskChanged, ...), as
// ev's payload.
func SetPayload(ev *eventsv1.Event, p proto.Message) error {
	name := p.ProtoReflect().Descriptor().FullName()
	fields := payloadOneof.Fields()
	for i := range fields.Len() {
		if fd := fields.Get(i); fd.Message().FullName() == name {
			ev.ProtoReflect().Set(fd, protoreflect.ValueOfMessage(p.ProtoReflect()))
			return nil
		}
	}
	return fmt.Errorf("events: %s is not an event payload", name)
}

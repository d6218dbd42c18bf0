package events_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/events"
)

func TestNewCarriesTheCallerAndTheTrace(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	ctx = auth.WithPrincipal(ctx, auth.Principal{UserID: "u-1", CredentialID: "key-1"})
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

	ev := events.New(ctx, "grantflow-x", "thing.done", "things/1", at, "")
	if ev.GetId() == "" || ev.GetService() != "grantflow-x" || ev.GetAction() != "thing.done" || ev.GetSubject() != "things/1" ||
		!ev.GetTime().AsTime().Equal(at) || ev.GetActorId() != "u-1" || ev.GetActorCredential() != "key-1" {
		t.Fatalf("envelope: %v", ev)
	}
	if ev.GetTraceId() != tid.String() || ev.GetTraceparent() != "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" {
		t.Fatalf("trace: %q %q", ev.GetTraceId(), ev.GetTraceparent())
	}
	if got := trace.SpanContextFromContext(events.WithTrace(context.Background(), ev)); got.TraceID() != tid || got.SpanID() != sid {
		t.Fatalf("WithTrace continues %v", got)
	}
	if other := events.New(ctx, "s", "a", "x/1", at, auth.SystemUserID); other.GetActorId() != "system" || other.GetActorCredential() != "system" || other.GetId() == ev.GetId() {
		t.Fatalf("actor override: %v", other)
	}
	if bare := events.New(context.Background(), "s", "a", "x/1", at, ""); bare.GetTraceId() != "" || bare.GetTraceparent() != "" || bare.GetActorId() != "" {
		t.Fatalf("no caller, no trace: %v", bare)
	}
}

func TestPayload(t *testing.T) {
	ev := &eventsv1.Event{}
	if raw, err := events.PayloadJSON(ev); raw != nil || err != nil || events.Payload(ev) != nil {
		t.Fatalf("no payload: %s %v", raw, err)
	}
	if err := events.SetPayload(ev, &eventsv1.RequestWork{Reason: "x"}); err != nil || ev.GetRequestWork().GetReason() != "x" {
		t.Fatalf("set: %v %v", err, ev)
	}
	if err := events.SetPayload(ev, &eventsv1.PolicyVersionChanged{PolicyId: "p", Version: 2}); err != nil || ev.GetRequestWork() != nil {
		t.Fatalf("set replaces: %v %v", err, ev)
	}
	raw, err := events.PayloadJSON(ev)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil || len(got) != 2 || got["policyId"] != "p" || got["version"] != "2" {
		t.Fatalf("proto3 JSON: %s %v", raw, err)
	}
	if err := events.SetPayload(ev, &eventsv1.Event{}); err == nil {
		t.Fatal("an Event is not a payload")
	}
}

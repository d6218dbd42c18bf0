package main

import (
	"slices"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// TestOneTraceAcrossServices: a REST call that crosses the gateway and identity (twice:
// authentication, then the call itself) makes one trace, and each span carries the
// service.name of the service that made it, although both run in this one process.
func TestOneTraceAcrossServices(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	s := startSystem(t, "", sdktrace.WithSyncer(exp))
	exp.Reset() // forget the demo seeding
	if code, body := s.call("uma", "GET", "/v1/users/"+s.id["mona"], nil); code != 200 {
		t.Fatalf("GET user: %d %v", code, body)
	}
	// The exporter may still receive the end of a seeding span after Reset (a server span
	// ends after its client has its answer), so the trace is the one of the gateway's HTTP
	// span of this call, and every span of this call must be in it.
	spans := exp.GetSpans()
	var traceID trace.TraceID
	for _, sp := range spans {
		if strings.HasPrefix(sp.Name, "GET /v1/users/") {
			traceID = sp.SpanContext.TraceID()
		}
	}
	if !traceID.IsValid() {
		t.Fatalf("no HTTP span of the gateway among %d spans", len(spans))
	}
	services := map[string][]string{}
	for _, sp := range spans {
		if sp.SpanContext.TraceID() != traceID {
			if strings.Contains(sp.Name, "GetUser") || strings.HasPrefix(sp.Name, "GET ") {
				t.Errorf("span %q of this call is in another trace", sp.Name)
			}
			continue
		}
		name := ""
		for _, kv := range sp.Resource.Attributes() {
			if kv.Key == semconv.ServiceNameKey {
				name = kv.Value.AsString()
			}
		}
		services[name] = append(services[name], sp.Name)
	}
	for _, want := range []string{"grantflow-gateway", "grantflow-identity"} {
		if len(services[want]) == 0 {
			t.Errorf("no span of %s in the trace; spans by service: %v", want, services)
		}
	}
	if !slices.Contains(services["grantflow-identity"], "grantflow.identity.v1.IdentityService/GetUser") {
		t.Errorf("identity's server span of GetUser missing: %v", services)
	}
	t.Logf("one trace %s: %v", traceID, services)
}

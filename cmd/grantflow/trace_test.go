package main

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// TestOneTraceAcrossServices: a REST call that crosses the gateway and the services makes
// one trace, and each span carries the service.name of the service that made it, although
// they all run in this one process.
//
//   - GET /v1/users/{id}: the gateway (which authenticates through identity's own
//     authenticator, in this process: no call), and identity (the call).
//   - POST /v1/policies: the gateway, policy (the call), and identity, which policy asks
//     whether the app and permission the policy names exist. The audit event of the new
//     policy carries the same trace id.
func TestOneTraceAcrossServices(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	s := startSystem(t, systemOptions{tracer: []sdktrace.TracerProviderOption{sdktrace.WithSyncer(exp)}})

	t.Run("identity", func(t *testing.T) {
		exp.Reset() // forget the demo seeding
		if code, body := s.call("uma", "GET", "/v1/users/"+s.id["mona"], nil); code != 200 {
			t.Fatalf("GET user: %d %v", code, body)
		}
		// A server span ends after its client has the answer: wait for identity's.
		waitForSpans(t, exp, "grantflow.identity.v1.IdentityService/GetUser", 2)
		_, services := oneTrace(t, exp, "GET /v1/users/", "GetUser")
		for _, want := range []string{"grantflow-gateway", "grantflow-identity"} {
			if len(services[want]) == 0 {
				t.Errorf("no span of %s in the trace; spans by service: %v", want, services)
			}
		}
		if !slices.Contains(services["grantflow-identity"], "grantflow.identity.v1.IdentityService/GetUser") {
			t.Errorf("identity's server span of GetUser missing: %v", services)
		}
	})

	t.Run("policy", func(t *testing.T) {
		exp.Reset()
		code, body := s.call("ada", "POST", "/v1/policies", map[string]any{
			"name": "Figma removals", "requestType": "REMOVE_ACCESS",
			"scope":    map[string]any{"appId": s.app["Figma"], "permissions": []string{"admin"}},
			"workflow": workflow(),
		})
		if code != 200 {
			t.Fatalf("POST /v1/policies: %d %v", code, body)
		}
		waitForSpans(t, exp, "grantflow.policy.v1.PolicyService/CreatePolicy", 2)
		waitForSpans(t, exp, "grantflow.identity.v1.IdentityInternalService/GetFacts", 2)
		traceID, services := oneTrace(t, exp, "POST /v1/policies", "CreatePolicy")
		for _, want := range []string{"grantflow-gateway", "grantflow-policy", "grantflow-identity"} {
			if len(services[want]) == 0 {
				t.Errorf("no span of %s in the trace; spans by service: %v", want, services)
			}
		}
		if !slices.Contains(services["grantflow-policy"], "grantflow.policy.v1.PolicyService/CreatePolicy") {
			t.Errorf("policy's server span of CreatePolicy missing: %v", services)
		}
		if !slices.Contains(services["grantflow-identity"], "grantflow.identity.v1.IdentityInternalService/GetFacts") {
			t.Errorf("identity's server span of the GetFacts policy asked missing: %v", services)
		}
		policyID := str(body, "id")
		waitFor(t, "the policy's audit event", func() (bool, string) {
			events := s.auditEvents(t, "ada", url.Values{"subject": {"policies/" + policyID}})
			if len(events) != 1 {
				return false, "no event yet"
			}
			if got := str(events[0], "traceId"); got != traceID.String() {
				t.Fatalf("the audit event of the policy has trace %q, the call was trace %s", got, traceID)
			}
			return true, ""
		})
	})

	t.Run("request", func(t *testing.T) {
		exp.Reset()
		code, body := s.call("uma", "POST", "/v1/requests", map[string]any{"type": "GRANT_ACCESS", "appId": s.app["Figma"], "permission": "viewer"})
		if code != 200 {
			t.Fatalf("POST /v1/requests: %d %v", code, body)
		}
		_, services := oneTrace(t, exp, "POST /v1/requests", "SubmitRequest")
		for want, rpc := range map[string]string{
			"grantflow-gateway":  "",
			"grantflow-request":  "grantflow.request.v1.RequestService/SubmitRequest",
			"grantflow-policy":   "grantflow.policy.v1.PolicyService/ResolvePolicy",
			"grantflow-identity": "grantflow.identity.v1.IdentityInternalService/GetFacts",
			"grantflow-task":     "grantflow.task.v1.TaskInternalService/OpenStep",
		} {
			if len(services[want]) == 0 || (rpc != "" && !slices.Contains(services[want], rpc)) {
				t.Errorf("no span %q of %s in the submit's trace; spans by service: %v", rpc, want, services)
			}
		}

		// The manager approves: the next step opens asynchronously (task's outbox, then the
		// request service's work queue), and that work joins the approval's trace.
		var taskID string
		waitFor(t, "the manager's task", func() (bool, string) {
			for _, tk := range objects(s.must("mona", "GET", "/v1/tasks?status=PENDING&requestId="+str(body, "id"), nil), "tasks") {
				taskID = str(tk, "id")
			}
			return taskID != "", "no task yet"
		})
		exp.Reset()
		s.must("mona", "POST", "/v1/tasks/"+taskID+":approve", map[string]any{})
		// Both ends of the OpenStep call: the request service's client span ends after the
		// task service's server span, so wait for the two.
		waitFor(t, "the owner's step opened", func() (bool, string) {
			n := 0
			for _, sp := range exp.GetSpans() {
				if sp.Name == "grantflow.task.v1.TaskInternalService/OpenStep" {
					n++
				}
			}
			return n >= 2, "the two OpenStep spans not there yet"
		})
		_, services = oneTrace(t, exp, "POST /v1/tasks/", "ApproveTask")
		// (The delivery's own server span belongs to the relay's trace; the work it causes
		// continues the approval's: the request service's calls to identity and task.)
		if !slices.Contains(services["grantflow-task"], "grantflow.task.v1.TaskInternalService/OpenStep") ||
			!slices.Contains(services["grantflow-request"], "grantflow.task.v1.TaskInternalService/OpenStep") {
			t.Errorf("the asynchronous advance is not in the approval's trace: %v", services)
		}
	})

	// Event deliveries share one RPC (EventSinkService) on the shared server; the server
	// span of each is the receiver's (never the shared fallback): audit's for the events
	// every service records, and request's for the task outcome the approval above delivered
	// to it.
	t.Run("event delivery", func(t *testing.T) {
		const deliver = "grantflow.events.v1.EventSinkService/DeliverEvents"
		waitFor(t, "the deliveries' server spans of audit and request", func() (bool, string) {
			seen := map[string]int{}
			for _, sp := range exp.GetSpans() {
				if sp.Name != deliver || sp.SpanKind != trace.SpanKindServer {
					continue
				}
				name := serviceName(sp)
				// The receivers of events: audit and notification (everything), request
				// (task outcomes, triggers), review (outcomes of the requests it opened).
				if !slices.Contains([]string{"grantflow-audit", "grantflow-request", "grantflow-notification", "grantflow-review"}, name) {
					t.Fatalf("a delivery's server span carries service.name %q, not its receiver's", name)
				}
				seen[name]++
			}
			return seen["grantflow-audit"] > 0 && seen["grantflow-request"] > 0, fmt.Sprintf("server spans of deliveries by service: %v", seen)
		})
	})
}

// oneTrace finds the trace of the gateway's HTTP span named with httpPrefix among the
// exported spans, checks that no span of that call (named with rpc) is in another trace,
// and returns the trace with its spans' names by service.name.
// waitForSpans waits until the exporter holds n spans named name (a call's client and
// server spans: the server's may end after the client has its answer).
func waitForSpans(t *testing.T, exp *tracetest.InMemoryExporter, name string, n int) {
	t.Helper()
	waitFor(t, "spans "+name, func() (bool, string) {
		got := 0
		for _, sp := range exp.GetSpans() {
			if sp.Name == name {
				got++
			}
		}
		return got >= n, fmt.Sprintf("%d of %d", got, n)
	})
}

func oneTrace(t *testing.T, exp *tracetest.InMemoryExporter, httpPrefix, rpc string) (trace.TraceID, map[string][]string) {
	t.Helper()
	// The exporter may still receive the end of an earlier span after Reset (a server span
	// ends after its client has its answer), so the trace is the one of the gateway's HTTP
	// span of this call, and every span of this call must be in it.
	spans := exp.GetSpans()
	var traceID trace.TraceID
	for _, sp := range spans {
		if strings.HasPrefix(sp.Name, httpPrefix) {
			traceID = sp.SpanContext.TraceID()
		}
	}
	if !traceID.IsValid() {
		t.Fatalf("no HTTP span %q of the gateway among %d spans", httpPrefix, len(spans))
	}
	services := map[string][]string{}
	for _, sp := range spans {
		if sp.SpanContext.TraceID() != traceID {
			if strings.HasSuffix(sp.Name, "/"+rpc) || strings.HasPrefix(sp.Name, httpPrefix) {
				t.Errorf("span %q of this call is in another trace", sp.Name)
			}
			continue
		}
		name := serviceName(sp)
		services[name] = append(services[name], sp.Name)
	}
	t.Logf("one trace %s: %v", traceID, services)
	return traceID, services
}

// serviceName is the service.name of the service that made sp.
func serviceName(sp tracetest.SpanStub) string {
	for _, kv := range sp.Resource.Attributes() {
		if kv.Key == semconv.ServiceNameKey {
			return kv.Value.AsString()
		}
	}
	return ""
}

package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMetricsOfTheAllInOne: after a few REST calls, GET /metrics on GRANTFLOW_METRICS_ADDR
// shows the
// RED metrics of every layer: the gateway's HTTP requests, and the gRPC server and client
// calls of each service, each series labelled with the service that made it although they
// all share this one process; and the outbox relays' deliveries.
func TestMetricsOfTheAllInOne(t *testing.T) {
	s := startSystem(t, systemOptions{})
	s.must("uma", "GET", "/v1/me", nil)
	s.must("uma", "POST", "/v1/requests", map[string]any{"type": "GRANT_ACCESS", "appId": s.app["Figma"], "permission": "viewer"})
	s.must("ada", "POST", "/v1/policies:resolve", map[string]any{"requestType": "GRANT_ACCESS", "appId": s.app["GitHub"], "permission": "read"})
	if code, _ := s.call("nobody", "GET", "/v1/me", nil); code != http.StatusUnauthorized {
		t.Fatalf("unknown key: %d", code)
	}

	// Not on the public REST port unless GRANTFLOW_METRICS_ON_HTTP asks.
	if res, _ := s.do("", "GET", "/metrics", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the REST port: %d, want 404", res.StatusCode)
	}
	body := s.scrape(t)
	has := func(metric string, labels ...string) bool {
	next:
		for _, line := range strings.Split(body, "\n") {
			if !strings.HasPrefix(line, metric+"{") {
				continue
			}
			for _, l := range labels {
				if !strings.Contains(line, l) {
					continue next
				}
			}
			return true
		}
		return false
	}
	for _, c := range []struct{ service, method string }{
		{"grantflow-identity", "grantflow.identity.v1.IdentityInternalService/ResolveAssignees"},
		{"grantflow-identity", "grantflow.identity.v1.IdentityService/GetMe"},
		{"grantflow-request", "grantflow.request.v1.RequestService/SubmitRequest"},
		{"grantflow-policy", "grantflow.policy.v1.PolicyService/ResolvePolicy"},
		{"grantflow-task", "grantflow.task.v1.TaskInternalService/OpenStep"},
	} {
		if !has("rpc_server_call_duration_seconds_count", `service_name="`+c.service+`"`, `rpc_method="`+c.method+`"`, `rpc_response_status_code="OK"`) {
			t.Errorf("no rpc.server.call.duration series of %s %s", c.service, c.method)
		}
	}
	// The client side: the gateway's calls, and the request service's calls to the others.
	for _, c := range []struct{ service, method string }{
		{"grantflow-gateway", "grantflow.request.v1.RequestService/SubmitRequest"},
		{"grantflow-request", "grantflow.policy.v1.PolicyService/ResolvePolicy"},
		{"grantflow-request", "grantflow.task.v1.TaskInternalService/OpenStep"},
	} {
		if !has("rpc_client_call_duration_seconds_count", `service_name="`+c.service+`"`, `rpc_method="`+c.method+`"`) {
			t.Errorf("no rpc.client.call.duration series of %s calling %s", c.service, c.method)
		}
	}
	gw := `service_name="grantflow-gateway"`
	for _, code := range []string{"200", "401"} {
		if !has("http_server_request_duration_seconds_count", gw, `http_response_status_code="`+code+`"`) {
			t.Errorf("no http.server.request.duration series of the gateway with status %s", code)
		}
	}
	if !has("http_server_request_duration_seconds_bucket", gw, `http_request_method="POST"`) {
		t.Error("no duration buckets of the gateway's POSTs")
	}
	// The demo's requests advanced through the task service's outbox to the request
	// service; every service's events reach audit a moment after their commit.
	waitFor(t, "the outbox relays' counts", func() (bool, string) {
		body = s.scrape(t)
		return has("grantflow_outbox_delivered_total", `sink="request"`) && has("grantflow_outbox_delivered_total", `sink="audit"`), "no grantflow_outbox_delivered_total of the request and audit sinks"
	})
	if !has("target_info", `service_name="grantflow"`) {
		t.Error("no target_info naming the process")
	}
	if t.Failed() {
		t.Logf("GET /metrics:\n%s", body)
	}
}

// scrape returns GET /metrics on the process's GRANTFLOW_METRICS_ADDR.
func (s *system) scrape(t *testing.T) string {
	t.Helper()
	res, err := s.client.Get("http://" + s.a.p.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", res.StatusCode, err)
	}
	return string(raw)
}

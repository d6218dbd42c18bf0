package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/grantflow/grantflow/pkg/telemetry"
)

// TestMetricsRoute: GET /metrics serves the process's metrics, in which every HTTP request
// but the scrapes is counted with its method and status, labelled with the gateway's
// service.name, and without the client-chosen Host.
func TestMetricsRoute(t *testing.T) {
	m, err := telemetry.NewMetrics(Name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Provider.Shutdown(context.Background()) })
	hs := newGatewayWith(t, &fakeAudit{}, nil, func(o *Options) {
		o.MeterProvider, o.Metrics = m.Provider, m.Handler
	})
	for _, c := range []struct {
		path, credential string
		want             int
	}{{"/v1/tasks", "good", 200}, {"/v1/tasks", "good", 200}, {"/v1/tasks", "bad", 401}, {"/healthz", "", 200}, {"/metrics", "", 200}} {
		if res, body := get(t, hs, c.path, c.credential); res.StatusCode != c.want {
			t.Fatalf("GET %s: %d %s, want %d", c.path, res.StatusCode, body, c.want)
		}
	}
	res, body := get(t, hs, "/metrics", "")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	count := func(labels ...string) string {
	next:
		for _, line := range strings.Split(body, "\n") {
			if !strings.HasPrefix(line, "http_server_request_duration_seconds_count{") {
				continue
			}
			for _, l := range labels {
				if !strings.Contains(line, l) {
					continue next
				}
			}
			return line[strings.LastIndexByte(line, ' ')+1:]
		}
		return ""
	}
	gw := `service_name="grantflow-gateway"`
	if got := count(gw, `http_request_method="GET"`, `http_response_status_code="200"`, `http_route="/v1/"`); got != "2" {
		t.Errorf("200s of /v1/: %q, want 2", got)
	}
	if got := count(gw, `http_response_status_code="401"`); got != "1" {
		t.Errorf("401s: %q, want 1", got)
	}
	if got := count(gw, `http_route="/healthz"`); got != "1" {
		t.Errorf("/healthz: %q, want 1", got)
	}
	if got := count(`/metrics`); got != "" {
		t.Errorf("scrapes are counted: %s", got)
	}
	if strings.Contains(body, "server_address=") || strings.Contains(body, "server_port=") {
		t.Error("HTTP server metrics carry the Host header's address")
	}
	if t.Failed() {
		t.Logf("GET /metrics:\n%s", body)
	}
}

func TestNoMetricsRouteWithoutMetrics(t *testing.T) {
	hs := newGateway(t, &fakeAudit{}, nil)
	if res, _ := get(t, hs, "/metrics", ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics without Options.Metrics: %d, want 404", res.StatusCode)
	}
}

package process

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/config"
)

// TestMetricsOfEveryCallOnTheMetricsAddress: with GRANTFLOW_METRICS_ADDR set, the process
// serves GET /metrics there, and its gRPC servers and clients count every call (rate,
// errors by status, duration), each series labelled with the service that made it.
func TestMetricsOfEveryCallOnTheMetricsAddress(t *testing.T) {
	cfg := config.Default()
	cfg.MetricsAddr, cfg.LogLevel = "127.0.0.1:0", "error"
	cfg.InternalSecret = strings.Repeat("s", 32)
	p, err := New(t.Context(), cfg, "grantflow-callee", Options{LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Shutdown(); err != nil {
			t.Error(err)
		}
	})
	if p.MetricsAddr() == "" || strings.HasSuffix(p.MetricsAddr(), ":0") {
		t.Fatalf("metrics address %q: want the bound address", p.MetricsAddr())
	}
	srv, _, err := p.Server("grantflow-callee", auth.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := p.Serve("callee", srv, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := p.Dial("grantflow-caller", addr)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := healthpb.NewHealthClient(conn).Check(t.Context(), &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	// An error answered by a real handler (the health service does not know this service
	// name). Not an unknown method: gRPC answers those before any stats handler runs on the
	// server, and the client side then sometimes records them as OK.
	_, err = healthpb.NewHealthClient(conn).Check(t.Context(), &healthpb.HealthCheckRequest{Service: "grantflow.nothing.v1.NothingService"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("health of an unknown service: %v, want NOT_FOUND", err)
	}

	wants := []string{
		`rpc_server_call_duration_seconds_count{`,
		`rpc_method="grpc.health.v1.Health/Check"`,
		`rpc_response_status_code="OK"`,
		`rpc_response_status_code="NOT_FOUND"`,
		`rpc_client_call_duration_seconds_count{`,
		`service_name="grantflow-callee"`,
		`service_name="grantflow-caller"`,
		`target_info{`,
	}
	serverCount := func(body string) string {
		return series(body, "rpc_server_call_duration_seconds_count{", `rpc_method="grpc.health.v1.Health/Check"`, `rpc_response_status_code="OK"`)
	}
	clientCount := func(body string) string {
		return series(body, "rpc_client_call_duration_seconds_count{", `rpc_method="grpc.health.v1.Health/Check"`, `rpc_response_status_code="OK"`)
	}
	// gRPC's stats handlers may record a call's end a moment after the caller has its
	// answer: scrape until every series is there with every call counted, under a deadline
	// that only bounds a hang (a busy machine may take seconds).
	var body string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		body = scrape(t, "http://"+p.MetricsAddr()+"/metrics")
		missing := 0
		for _, want := range wants {
			if !strings.Contains(body, want) {
				missing++
			}
		}
		counted := strings.HasSuffix(serverCount(body), " 3") && strings.HasSuffix(clientCount(body), " 3")
		if (missing == 0 && counted) || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("GET /metrics lacks %s", want)
		}
	}
	if line := serverCount(body); !strings.Contains(line, `service_name="grantflow-callee"`) || !strings.HasSuffix(line, " 3") {
		t.Errorf("server count of Check: %q, want 3 calls of grantflow-callee", line)
	}
	if line := clientCount(body); !strings.Contains(line, `service_name="grantflow-caller"`) || !strings.HasSuffix(line, " 3") {
		t.Errorf("client count of Check: %q, want 3 calls of grantflow-caller", line)
	}
	if t.Failed() {
		t.Logf("GET /metrics:\n%s", body)
	}
}

func TestNoMetricsListenerByDefault(t *testing.T) {
	cfg := config.Default()
	cfg.LogLevel = "error"
	p, err := New(context.Background(), cfg, "grantflow-x", Options{LogWriter: io.Discard, AllowRandomSecret: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()
	if p.MetricsAddr() != "" {
		t.Errorf("metrics served on %q without GRANTFLOW_METRICS_ADDR", p.MetricsAddr())
	}
	if p.Meter() == nil || p.Metrics() == nil {
		t.Error("no MeterProvider or metrics handler")
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return string(raw)
}

// series returns the first line of body that starts with prefix and holds every label.
func series(body, prefix string, labels ...string) string {
next:
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(line, l) {
				continue next
			}
		}
		return line
	}
	return ""
}

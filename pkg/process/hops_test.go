package process

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestReadHopsSumsCallsAndDeliveries: every served call but health checks, every delivered
// event, whatever their labels.
func TestReadHopsSumsCallsAndDeliveries(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`# HELP rpc_server_call_duration_seconds x
rpc_server_call_duration_seconds_count{rpc_method="SubmitRequest",rpc_service="grantflow.request.v1.RequestService"} 7
rpc_server_call_duration_seconds_count{rpc_method="Check",rpc_service="grpc.health.v1.Health"} 100
rpc_server_call_duration_seconds_count{rpc_method="OpenStep",rpc_service="grantflow.task.v1.TaskInternalService"} 3
rpc_server_call_duration_seconds_sum{rpc_method="OpenStep"} 0.5
grantflow_outbox_delivered_total{sink="audit"} 11
grantflow_outbox_delivered_total{sink="task"} 4
`))
	}))
	defer srv.Close()
	got, err := ReadHops(context.Background(), srv.Client(), strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Hops{Served: 10, Delivered: 15}); got != want {
		t.Fatalf("ReadHops = %+v, want %+v", got, want)
	}
}

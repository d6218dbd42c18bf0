package distributed_test

import (
	"context"
	"encoding/hex"
	"net"
	"sort"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

// receiver is an OTLP/gRPC trace receiver, the collector's TraceService: every process of
// the cluster exports its spans to it.
type receiver struct {
	coltracepb.UnimplementedTraceServiceServer
	endpoint string // for OTEL_EXPORTER_OTLP_ENDPOINT

	mu    sync.Mutex
	spans []span
}

// span is what the test needs of a received span.
type span struct {
	service string // the resource's service.name
	name    string
	traceID string // hex
}

// startReceiver serves a receiver on a free loopback port until the test ends. Start it
// before the cluster, so that it stops after the processes have flushed their spans.
func startReceiver(t *testing.T) *receiver {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{endpoint: "http://" + lis.Addr().String()}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, r)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return r
}

// Export stores the spans of one batch.
func (r *receiver) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				r.spans = append(r.spans, span{service: service, name: sp.GetName(), traceID: hex.EncodeToString(sp.GetTraceId())})
			}
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// trace returns the span names of one trace by service.name, each list sorted.
func (r *receiver) trace(traceID string) map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]string{}
	for _, sp := range r.spans {
		if sp.traceID == traceID {
			out[sp.service] = append(out[sp.service], sp.name)
		}
	}
	for _, names := range out {
		sort.Strings(names)
	}
	return out
}

// count is how many spans arrived.
func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.spans)
}

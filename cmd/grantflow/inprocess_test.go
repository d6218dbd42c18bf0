package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/memstore"
	"github.com/grantflow/grantflow/pkg/process"
)

// served is one call the shared server served, as it began.
type served struct {
	service, method, network string
	trace                    trace.TraceID
}

// TestInternalCallsStayInMemory: in the all-in-one, the gateway's calls and the services'
// calls to each other (a submit, its synchronous calls and the event deliveries it causes)
// reach the shared server through its in-memory listener, never its TCP port, and are still
// traced (one trace from the submit to the step it opens), while the TCP port still serves
// clients outside the process. The in-memory listener is no way around authentication:
// without an internal caller token an internal method is refused there as over TCP.
func TestInternalCallsStayInMemory(t *testing.T) {
	var mu sync.Mutex
	var calls []served
	mark := memstore.Outboxes()
	s := startSystem(t, systemOptions{onServe: func(ctx context.Context, service, method string) {
		c := served{service: service, method: strings.TrimPrefix(method, "/grantflow."), trace: trace.SpanContextFromContext(ctx).TraceID()}
		if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
			c.network = p.Addr.Network()
		}
		mu.Lock()
		calls = append(calls, c)
		mu.Unlock()
	}})
	if s.a.mem == nil || s.a.mem.Dials() == 0 {
		t.Fatal("the services did not dial the in-memory listener")
	}
	quiet := func() {
		t.Helper()
		waitFor(t, "every outbox delivered", func() (bool, string) {
			n := memstore.UndeliveredSince(mark)
			return n == 0, fmt.Sprintf("%d events not delivered yet", n)
		})
	}
	quiet() // the demo's seeding (through the TCP port, as a client outside would)
	mu.Lock()
	from := len(calls)
	mu.Unlock()

	s.must("uma", "POST", "/v1/requests", map[string]any{"type": "GRANT_ACCESS", "appId": s.app["Figma"], "permission": "viewer"})
	quiet()
	mu.Lock()
	got := append([]served(nil), calls[from:]...)
	mu.Unlock()
	by := map[string]served{}
	for _, c := range got {
		if c.network != process.InMemoryNetwork {
			t.Errorf("%s %s came over %q, want the in-memory listener (%s)", c.service, c.method, c.network, process.InMemoryNetwork)
		}
		if !c.trace.IsValid() {
			t.Errorf("%s %s is not traced", c.service, c.method)
		}
		by[c.method] = c
	}
	submit, open := by["request.v1.RequestService/SubmitRequest"], by["task.v1.TaskInternalService/OpenStep"]
	if submit.service != "grantflow-request" || open.service != "grantflow-task" {
		t.Fatalf("want the submit served as request's and the step it opens as task's; served: %v", got)
	}
	if open.trace != submit.trace {
		t.Errorf("the step the submit opened is in trace %s, the submit in %s", open.trace, submit.trace)
	}
	if _, ok := by["events.v1.EventSinkService/DeliverEvents"]; !ok {
		t.Errorf("no event delivery among the calls served: %v", got)
	}

	// The TCP port still serves a client outside the process, with a person's key.
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+s.key["uma"])
	tcp, err := grpc.NewClient(s.a.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	mu.Lock()
	from = len(calls)
	mu.Unlock()
	if _, err := identityv1.NewIdentityServiceClient(tcp).GetMe(ctx, &identityv1.GetMeRequest{}); err != nil {
		t.Fatalf("GetMe over TCP: %v", err)
	}
	mu.Lock()
	if n := len(calls); n != from+1 || calls[from].network != "tcp" {
		t.Errorf("GetMe over TCP: served %v, want one call over tcp", calls[from:n])
	}
	mu.Unlock()

	// In memory, an internal method still needs an internal caller token.
	mem, err := grpc.NewClient(process.InMemoryTarget, grpc.WithContextDialer(s.a.mem.Dial), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	tasks := taskv1.NewTaskInternalServiceClient(mem)
	if _, err := tasks.OpenStep(context.Background(), &taskv1.OpenStepRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("OpenStep in memory without credentials: %v, want UNAUTHENTICATED", err)
	}
	if _, err := tasks.OpenStep(ctx, &taskv1.OpenStepRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("OpenStep in memory with a person's key: %v, want PERMISSION_DENIED (internal to Grantflow)", err)
	}
}

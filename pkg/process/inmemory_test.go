package process

import (
	"context"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/pkg/outbox"
)

// sink is an event receiver that accepts every delivery.
type sink struct {
	eventsv1.UnimplementedEventSinkServiceServer
}

func (sink) DeliverEvents(_ context.Context, r *eventsv1.DeliverEventsRequest) (*eventsv1.DeliverEventsResponse, error) {
	return &eventsv1.DeliverEventsResponse{Accepted: int32(len(r.GetEvents()))}, nil
}

// quietProcess is a process named grantflow that logs nothing, shut down when tb ends.
func quietProcess(tb testing.TB) *Process {
	tb.Helper()
	cfg := config.Default()
	cfg.LogLevel, cfg.InternalSecret = "error", strings.Repeat("s", 32)
	p, err := New(context.Background(), cfg, "grantflow", Options{LogWriter: io.Discard})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = p.Shutdown() })
	return p
}

// sharedServer is a process's shared server, with an internal-only event receiver, served
// on TCP and on an in-memory listener; it returns the process, the TCP address and the
// in-memory listener.
func sharedServer(tb testing.TB) (*Process, string, *InMemory) {
	tb.Helper()
	p := quietProcess(tb)
	srv, _, err := p.SharedServer(auth.ServerOptions{InternalOnly: func(string) bool { return true }}, "grantflow-audit")
	if err != nil {
		tb.Fatal(err)
	}
	eventsv1.RegisterEventSinkServiceServer(srv, sink{})
	mem := NewInMemory()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range []net.Listener{lis, mem.Listener()} {
		go func() { _ = srv.Serve(l) }()
	}
	tb.Cleanup(srv.Stop)
	return p, lis.Addr().String(), mem
}

func deliver(ctx context.Context, conn *grpc.ClientConn) error {
	ctx = metadata.AppendToOutgoingContext(ctx, outbox.ReceiverKey, "audit")
	_, err := eventsv1.NewEventSinkServiceClient(conn).DeliverEvents(ctx, &eventsv1.DeliverEventsRequest{Events: []*eventsv1.Event{{Id: "e1", Action: "test.done", Service: "grantflow-task", Subject: "tests/1"}}})
	return err
}

// A connection from DialInMemory carries the caller's internal token as over TCP: the
// internal-only receiver takes its delivery, and refuses one from a connection without a
// signer; each connection dials the listener once.
func TestDialInMemory(t *testing.T) {
	p, _, mem := sharedServer(t)
	conn, err := p.DialInMemory("grantflow-task", mem)
	if err != nil {
		t.Fatal(err)
	}
	if err := deliver(t.Context(), conn); err != nil {
		t.Fatalf("a delivery in memory: %v", err)
	}
	if n := mem.Dials(); n != 1 {
		t.Errorf("%d dials, want 1", n)
	}
	bare, err := grpc.NewClient(InMemoryTarget, grpc.WithContextDialer(mem.Dial), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	if err := deliver(t.Context(), bare); status.Code(err) != codes.Unauthenticated {
		t.Errorf("a delivery without a token in memory: %v, want UNAUTHENTICATED", err)
	}
}

// BenchmarkInternalCall is one call between two services of a process, through the whole
// client and server chain (token, interceptors, stats handlers), over loopback TCP and
// through the in-memory listener. cpu-ns/op is the process's CPU time (user and system,
// both ends of the call) per call.
func BenchmarkInternalCall(b *testing.B) {
	p, addr, mem := sharedServer(b)
	for _, c := range []struct {
		name string
		dial func() (*grpc.ClientConn, error)
	}{
		{"tcp", func() (*grpc.ClientConn, error) { return p.Dial("grantflow-task", addr) }},
		{"inmemory", func() (*grpc.ClientConn, error) { return p.DialInMemory("grantflow-task", mem) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			conn, err := c.dial()
			if err != nil {
				b.Fatal(err)
			}
			if err := deliver(b.Context(), conn); err != nil {
				b.Fatal(err)
			}
			before := cpu()
			b.ResetTimer()
			for b.Loop() {
				if err := deliver(b.Context(), conn); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpu()-before)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpu is the process's CPU time so far (user and system), in nanoseconds.
func cpu() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

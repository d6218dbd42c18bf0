package kit

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/outbox"
)

type fixedReceiver struct {
	eventsv1.UnimplementedEventSinkServiceServer
	n int32
}

func (f fixedReceiver) DeliverEvents(context.Context, *eventsv1.DeliverEventsRequest) (*eventsv1.DeliverEventsResponse, error) {
	return &eventsv1.DeliverEventsResponse{Accepted: f.n}, nil
}

// registrar records what reaches the server.
type registrar map[string]any

func (r registrar) RegisterService(desc *grpc.ServiceDesc, impl any) { r[desc.ServiceName] = impl }

type sinkModule struct {
	Module
	receiver eventsv1.EventSinkServiceServer
}

func (m sinkModule) Register(srv grpc.ServiceRegistrar) {
	eventsv1.RegisterEventSinkServiceServer(srv, m.receiver)
}

func deliver(t *testing.T, srv eventsv1.EventSinkServiceServer, receiver string) (int32, error) {
	t.Helper()
	ctx := context.Background()
	if receiver != "" {
		ctx = metadata.NewIncomingContext(ctx, metadata.Pairs(outbox.ReceiverKey, receiver))
	}
	resp, err := srv.DeliverEvents(ctx, &eventsv1.DeliverEventsRequest{})
	return resp.GetAccepted(), err
}

// One server, several receivers: EventSinkService is registered once, and each delivery
// goes to the receiver its metadata names.
func TestEventDeliveryIsRoutedByReceiver(t *testing.T) {
	set := &Set{
		names: []string{"grantflow-audit", "grantflow-request"},
		modules: []Module{
			sinkModule{receiver: fixedReceiver{n: 1}},
			sinkModule{receiver: fixedReceiver{n: 2}},
		},
	}
	reg := registrar{}
	set.Register(reg)
	srv, ok := reg[eventsv1.EventSinkService_ServiceDesc.ServiceName].(eventsv1.EventSinkServiceServer)
	if !ok || len(reg) != 1 {
		t.Fatalf("want one EventSinkService on the server, got %v", reg)
	}
	if n, err := deliver(t, srv, "audit"); err != nil || n != 1 {
		t.Fatalf("audit: %d %v", n, err)
	}
	if n, err := deliver(t, srv, "request"); err != nil || n != 2 {
		t.Fatalf("request: %d %v", n, err)
	}
	for _, bad := range []string{"", "notification"} {
		if _, err := deliver(t, srv, bad); !errs.Is(err, errs.KindInvalid) {
			t.Fatalf("receiver %q: want INVALID_ARGUMENT, got %v", bad, err)
		}
	}
	// A server with one receiver takes a delivery that names none (an older producer).
	one := &Set{names: []string{"grantflow-audit"}, modules: []Module{sinkModule{receiver: fixedReceiver{n: 1}}}}
	reg = registrar{}
	one.Register(reg)
	if n, err := deliver(t, reg[eventsv1.EventSinkService_ServiceDesc.ServiceName].(eventsv1.EventSinkServiceServer), ""); err != nil || n != 1 {
		t.Fatalf("single receiver: %d %v", n, err)
	}
}

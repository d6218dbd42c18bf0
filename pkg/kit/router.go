package kit

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/outbox"
)

// collector is the registrar a module registers on: it passes every service through to
// the server but EventSinkService, which it records as the module's receiver.
type collector struct {
	grpc.ServiceRegistrar
	name string
	r    *router
}

func (c collector) RegisterService(desc *grpc.ServiceDesc, impl any) {
	if desc.ServiceName == eventsv1.EventSinkService_ServiceDesc.ServiceName {
		c.r.receivers[c.name] = impl.(eventsv1.EventSinkServiceServer)
		return
	}
	c.ServiceRegistrar.RegisterService(desc, impl)
}

// router serves grantflow.events.v1.EventSinkService for every receiver of a process.
type router struct {
	eventsv1.UnimplementedEventSinkServiceServer
	receivers map[string]eventsv1.EventSinkServiceServer
}

// Receiver names the receiver a delivery's metadata asks for ("" if none).
func Receiver(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(outbox.ReceiverKey); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (r *router) DeliverEvents(ctx context.Context, req *eventsv1.DeliverEventsRequest) (*eventsv1.DeliverEventsResponse, error) {
	name := Receiver(ctx)
	if name == "" && len(r.receivers) == 1 {
		// A producer of an older release names no receiver; a process with one receiver
		// knows who it is for.
		for _, only := range r.receivers {
			return only.DeliverEvents(ctx, req)
		}
	}
	rec, ok := r.receivers[name]
	if !ok {
		names := make([]string, 0, len(r.receivers))
		for n := range r.receivers {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, errs.Invalid(outbox.ReceiverKey, "metadata names receiver "+quote(name)+"; this process receives events for "+strings.Join(names, ", "))
	}
	return rec.DeliverEvents(ctx, req)
}

func quote(s string) string { return "\"" + s + "\"" }

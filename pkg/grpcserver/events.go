package grpcserver

import (
	"context"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
)

// Deliver is the body of a receiver's DeliverEvents handler: it hands the delivery's events
// to receive (the application layer, which stores each event id once) and answers how many
// were new.
func Deliver(ctx context.Context, r *eventsv1.DeliverEventsRequest, receive func(context.Context, []*eventsv1.Event) (int, error)) (*eventsv1.DeliverEventsResponse, error) {
	n, err := receive(ctx, r.GetEvents())
	if err != nil {
		return nil, err
	}
	return &eventsv1.DeliverEventsResponse{Accepted: int32(n)}, nil
}

// Receiver is an application layer that takes other services' events: Ingest handles a
// delivery (each event id once) and answers how many events were new.
type Receiver interface {
	Ingest(ctx context.Context, batch []*eventsv1.Event) (int, error)
}

// Sink implements grantflow.events.v1.EventSinkService on App: a service's grpcapi names
// it for its application layer (type Sink = grpcserver.Sink[*app.Service]). The server
// refuses callers without a signed internal token before it runs (pkg/auth InternalOnly),
// and the receiver checks again.
type Sink[A Receiver] struct {
	eventsv1.UnimplementedEventSinkServiceServer
	App A
}

// DeliverEvents hands the delivery to App.Ingest.
func (h *Sink[A]) DeliverEvents(ctx context.Context, r *eventsv1.DeliverEventsRequest) (*eventsv1.DeliverEventsResponse, error) {
	return Deliver(ctx, r, h.App.Ingest)
}

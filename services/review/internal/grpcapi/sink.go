package grpcapi

import (
	"context"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/services/review/internal/app"
)

// Sink implements grantflow.events.v1.EventSinkService: the events of identity (owners
// of apps) and request (requests opened and closed) that block, release and follow items.
type Sink struct {
	eventsv1.UnimplementedEventSinkServiceServer
	App *app.Service
}

func (h *Sink) DeliverEvents(ctx context.Context, r *eventsv1.DeliverEventsRequest) (*eventsv1.DeliverEventsResponse, error) {
	return grpcserver.Deliver(ctx, r, h.App.Receive)
}

package grpcapi

import (
	"context"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/services/task/internal/app"
)

// Sink implements grantflow.events.v1.EventSinkService: identity's user events (a user's
// new manager moves their pending manager reviews).
type Sink struct {
	eventsv1.UnimplementedEventSinkServiceServer
	App *app.Service
}

func (h *Sink) DeliverEvents(ctx context.Context, in *eventsv1.DeliverEventsRequest) (*eventsv1.DeliverEventsResponse, error) {
	return grpcserver.DeliverAll(ctx, in, h.App.DeliverEvents)
}

package grpcapi

import (
	"context"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/services/notification/internal/app"
)

// Sink implements grantflow.events.v1.EventSinkService: every service's outbox relay
// delivers here. The server refuses callers without a signed internal token before it
// runs (pkg/auth InternalOnly), and Ingest checks again.
type Sink struct {
	eventsv1.UnimplementedEventSinkServiceServer
	App *app.Service
}

func (h *Sink) DeliverEvents(ctx context.Context, r *eventsv1.DeliverEventsRequest) (*eventsv1.DeliverEventsResponse, error) {
	return grpcserver.Deliver(ctx, r, h.App.Ingest)
}

package grpcapi

import (
	"context"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/services/request/internal/app"
)

// Internal implements grantflow.request.v1.RequestInternalService (deprecated) and
// grantflow.events.v1.EventSinkService with the same handler: the inbox of other services'
// events (task outcomes, identity's onboarding and offboarding). The server refuses
// callers without a signed internal token before it runs (pkg/auth InternalOnly).
type Internal struct {
	requestv1.UnimplementedRequestInternalServiceServer
	eventsv1.UnimplementedEventSinkServiceServer
	App *app.Service
}

func (h *Internal) DeliverEvents(ctx context.Context, in *eventsv1.DeliverEventsRequest) (*eventsv1.DeliverEventsResponse, error) {
	return grpcserver.Deliver(ctx, in, h.App.Ingest)
}

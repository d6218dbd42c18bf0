package grpcapi

import (
	"context"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	"github.com/grantflow/grantflow/services/request/internal/app"
)

// Internal is the RequestInternalService: the inbox of other services' events.
type Internal struct {
	requestv1.UnimplementedRequestInternalServiceServer
	eventsv1.UnimplementedEventSinkServiceServer
	App *app.Service
}

func (h *Internal) DeliverEvents(ctx context.Context, in *eventsv1.DeliverEventsRequest) (*eventsv1.DeliverEventsResponse, error) {
	if err := h.App.DeliverEvents(ctx, in.GetEvents()); err != nil {
		return nil, err
	}
	return &eventsv1.DeliverEventsResponse{Accepted: int32(len(in.GetEvents()))}, nil
}

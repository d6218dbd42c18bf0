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

// DeliverAll is Deliver for a receiver that handles the whole delivery or fails: it answers
// that every event was accepted.
func DeliverAll(ctx context.Context, r *eventsv1.DeliverEventsRequest, receive func(context.Context, []*eventsv1.Event) error) (*eventsv1.DeliverEventsResponse, error) {
	return Deliver(ctx, r, func(ctx context.Context, evs []*eventsv1.Event) (int, error) {
		return len(evs), receive(ctx, evs)
	})
}

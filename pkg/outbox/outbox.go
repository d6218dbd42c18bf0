package outbox

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
)

// Store is an outbox as the relay sees it.
type Store interface {
	// Pending returns up to limit undelivered events of sink, oldest position first, with
	// SourceSeq set. limit must be positive.
	Pending(ctx context.Context, sink string, limit int) ([]*eventsv1.Event, error)
	// Ack removes delivered events of sink, identified by the SourceSeq Pending gave them.
	Ack(ctx context.Context, sink string, events []*eventsv1.Event) error
}

// Sink receives relayed events.
type Sink interface {
	// DeliverEvents returns nil only once the receiver has all of events; on error the relay
	// sends the same events again later.
	DeliverEvents(ctx context.Context, events []*eventsv1.Event) error
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(ctx context.Context, events []*eventsv1.Event) error

// DeliverEvents calls f.
func (f SinkFunc) DeliverEvents(ctx context.Context, events []*eventsv1.Event) error {
	return f(ctx, events)
}

// ReceiverKey is the gRPC metadata key naming the service a delivery is for ("audit",
// "request"): a process serving several receivers on one server (the all-in-one) routes
// grantflow.events.v1.EventSinkService/DeliverEvents by it.
const ReceiverKey = "grantflow-event-receiver"

// GRPCSink delivers to the EventSinkService of receiver ("audit", "request") through its
// generated client; the call carries receiver under ReceiverKey.
func GRPCSink(client eventsv1.EventSinkServiceClient, receiver string) Sink {
	return SinkFunc(func(ctx context.Context, events []*eventsv1.Event) error {
		ctx = metadata.AppendToOutgoingContext(ctx, ReceiverKey, receiver)
		_, err := client.DeliverEvents(ctx, &eventsv1.DeliverEventsRequest{Events: events})
		return err
	})
}

// Stamp fills what the producer may leave out: Id (a new random UUID) when empty and Time
// (now) when nil. Both engines call it on append; it changes ev in place, so the caller sees
// the id it got.
func Stamp(ev *eventsv1.Event) {
	if ev.Id == "" {
		ev.Id = uuid.NewString()
	}
	if ev.Time == nil {
		ev.Time = timestamppb.Now()
	}
}

// CheckAppend reports what makes an append invalid in every engine: no event, no sinks, or an
// empty or repeated sink name.
func CheckAppend(sinks []string, ev *eventsv1.Event) error {
	if ev == nil {
		return fmt.Errorf("outbox: append: nil event")
	}
	if len(sinks) == 0 {
		return fmt.Errorf("outbox: append %s: no sinks", ev.GetAction())
	}
	for i, s := range sinks {
		if s == "" {
			return fmt.Errorf("outbox: append %s: empty sink name", ev.GetAction())
		}
		for _, earlier := range sinks[:i] {
			if s == earlier {
				return fmt.Errorf("outbox: append %s: sink %q listed twice", ev.GetAction(), s)
			}
		}
	}
	return nil
}

// CheckLimit reports an invalid Pending limit, in every engine.
func CheckLimit(limit int) error {
	if limit <= 0 {
		return fmt.Errorf("outbox: pending: limit must be positive, got %d", limit)
	}
	return nil
}

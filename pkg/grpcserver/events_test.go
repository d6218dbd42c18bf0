package grpcserver

import (
	"context"
	"errors"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
)

type receiver struct {
	got []*eventsv1.Event
	err error
}

func (r *receiver) Ingest(_ context.Context, batch []*eventsv1.Event) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	r.got = append(r.got, batch...)
	return len(batch) - 1, nil // one of them seen before
}

func TestSinkHandsTheDeliveryToIngest(t *testing.T) {
	r := &receiver{}
	sink := &Sink[*receiver]{App: r}
	res, err := sink.DeliverEvents(context.Background(), &eventsv1.DeliverEventsRequest{Events: []*eventsv1.Event{{Id: "a"}, {Id: "b"}}})
	if err != nil || res.GetAccepted() != 1 || len(r.got) != 2 {
		t.Fatalf("accepted %d, got %d events, err %v", res.GetAccepted(), len(r.got), err)
	}
	r.err = errors.New("down")
	if res, err := sink.DeliverEvents(context.Background(), &eventsv1.DeliverEventsRequest{}); !errors.Is(err, r.err) || res != nil {
		t.Fatalf("a failed delivery: %v, %v", res, err)
	}
}

package servicetest

import (
	"context"
	"errors"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/grpcserver"
)

// refusing is a receiver that checks its caller is another service and refuses every
// delivery with an INVALID_ARGUMENT naming a field.
type refusing struct{ caller auth.Principal }

func (r *refusing) Ingest(ctx context.Context, _ []*eventsv1.Event) (int, error) {
	r.caller, _ = auth.FromContext(ctx)
	return 0, errs.Invalid("events[0].subject", "not a subject of mine")
}

// TestAsServiceIsAProductionConnection: a connection dialled AsService carries the caller as
// an internal token and hands its callers domain errors (errs.FromStatus), as the
// connections of grpcclient.Dial do in production, not bare gRPC statuses.
func TestAsServiceIsAProductionConnection(t *testing.T) {
	signer := Signer(t)
	srv := Server(t, signer, nil, func(string) bool { return true }) // every method internal
	recv := &refusing{}
	eventsv1.RegisterEventSinkServiceServer(srv, &grpcserver.Sink[*refusing]{App: recv})
	client := eventsv1.NewEventSinkServiceClient(Serve(t, srv, AsService(signer)...))

	_, err := client.DeliverEvents(auth.WithPrincipal(t.Context(), auth.System()), &eventsv1.DeliverEventsRequest{
		Events: []*eventsv1.Event{{Id: "e1", Service: "s", Action: "a", Subject: "x"}}})
	if !recv.caller.Internal || recv.caller.UserID != auth.SystemUserID {
		t.Fatalf("the receiver saw caller %+v, want the system as an internal caller", recv.caller)
	}
	var de *errs.Error
	if !errors.As(err, &de) || de.Kind != errs.KindInvalid || len(de.Fields) != 1 || de.Fields[0].Field != "events[0].subject" {
		t.Fatalf("error %#v (%v): want a domain INVALID_ARGUMENT naming events[0].subject", err, err)
	}
}

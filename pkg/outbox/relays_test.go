package outbox_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
)

// Relays are made in the order of the targets; a target without a sink is logged, never
// dropped silently.
func TestRelaysForAListOfSinks(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	sink := outbox.SinkFunc(func(context.Context, []*eventsv1.Event) error { return nil })
	st := &outbox.Memory{}
	rs, err := outbox.NewRelays("grantflow-test", st, log,
		outbox.Target{Name: "audit", Sink: sink}, outbox.Target{Name: "request"}, outbox.Target{Name: "work", Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	if rs.Len() != 2 {
		t.Fatalf("%d relays, want 2", rs.Len())
	}
	if !strings.Contains(logs.String(), "sink=request") || !strings.Contains(logs.String(), "wait in the outbox") {
		t.Fatalf("the sink left without a receiver is not logged: %s", logs.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rs.Run(ctx) // returns once every relay stopped
	var none *outbox.Relays
	none.Notify() // safe before the relays exist
}

package storekit

import (
	"context"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
)

// Emitter is the outbox side of a service's Tx: what a service that emits events embeds in
// its store.Tx (memstore.Tx and pgoutbox.Tx implement it).
type Emitter interface {
	// Emit appends an event to the outbox for the given sinks; it commits with the change.
	Emit(ctx context.Context, sinks []string, ev *eventsv1.Event) error
}

// Marker is the receiver's dedupe in a service's Tx (memstore.Tx and pgoutbox.Tx implement
// it).
type Marker interface {
	// MarkProcessed records that the receiver applies a delivered event in this
	// transaction, and reports whether it is new: false means an earlier transaction (or a
	// concurrent one, which this one waited for) applied it, and the event must be skipped.
	// The mark commits with the change.
	MarkProcessed(ctx context.Context, eventID string) (bool, error)
}

// OutboxShell is the Shell of a store whose transactions emit events, with the outbox as the
// relays read it: what a service's store.Store embeds beside its queries.
type OutboxShell[Tx any] interface {
	outbox.Store
	Shell[Tx]
}

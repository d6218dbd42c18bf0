package outboxtest

import (
	"context"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
)

// Engine is one outbox engine under test, empty.
type Engine struct {
	// Store is the engine's outbox as the relay reads it.
	Store outbox.Store
	// InTx runs fn in one store transaction: what fn appends or marks takes effect only if
	// fn returns nil (then InTx returns nil, or the commit error).
	InTx func(ctx context.Context, fn func(Tx) error) error
}

// Tx is the outbox side of a store transaction.
type Tx interface {
	Append(sinks []string, ev *eventsv1.Event) error
	MarkProcessed(eventID string) (isNew bool, err error)
	Retract(sink, eventID string) error
}

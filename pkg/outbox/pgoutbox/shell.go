package pgoutbox

import (
	"context"

	"github.com/jackc/pgx/v5"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/pgstore"
)

// Shell is a service store's pgstore.Shell (transactions, Ping, Close) with its schema's
// outbox as the relays read it (Pending, Ack, Lease). A service's Store embeds it.
type Shell[T any] struct {
	pgstore.Shell[T]
	*Store
}

// NewShell is the shell of the store on db; its outbox is db's schema's. A transaction reaches
// its closure as newTx(q, k): the service's own Tx, reading and writing its rows through q
// (the transaction, answering with db's store errors: see pgstore.DB.Q) and its events
// through k.
func NewShell[T any](db *pgstore.DB, newTx func(q pgstore.Q, k Tx) T) Shell[T] {
	return ShellOf(db, func(ptx pgx.Tx) T { return newTx(db.On(ptx), Tx{PgTx: ptx}) })
}

// ShellOf is the shell of the store on db whose transactions reach their closure as
// begin(tx), for a kit shell that adds its own side to the transaction (pgtimer's).
func ShellOf[T any](db *pgstore.DB, begin func(pgx.Tx) T) Shell[T] {
	return Shell[T]{Shell: pgstore.NewShell(db, begin), Store: NewStore(db.Pool())}
}

// Tx is the outbox side of one transaction: a service's store.Tx embeds it for Emit and
// MarkProcessed, and writes its own rows through PgTx.
type Tx struct {
	PgTx pgx.Tx
}

// Emit appends ev to the outbox for sinks, in the transaction (see Append).
func (t Tx) Emit(ctx context.Context, sinks []string, ev *eventsv1.Event) error {
	return Append(ctx, t.PgTx, sinks, ev)
}

// MarkProcessed records eventID as handled, in the transaction (see MarkProcessed).
func (t Tx) MarkProcessed(ctx context.Context, eventID string) (bool, error) {
	return MarkProcessed(ctx, t.PgTx, eventID)
}

// Retract deletes the undelivered event eventID of sink, in the transaction (see Retract).
func (t Tx) Retract(ctx context.Context, sink, eventID string) error {
	return Retract(ctx, t.PgTx, sink, eventID)
}

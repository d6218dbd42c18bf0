package pgtimer

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/outbox/pgoutbox"
	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/timer"
)

// Shell is the shell of a service store that keeps timers: pgoutbox.Shell (transactions,
// Ping, Close, the outbox as the relays read it) with the schema's timers (FireDue,
// Postpone). A service's Store embeds it.
type Shell[T any] struct {
	pgoutbox.Shell[T]
	Timers[T]
}

// NewShell is the shell of the store on db. A transaction (InTx's, and the one a due timer
// fires in) reaches its closure as newTx(q, k): the service's own Tx, reading and writing its
// rows through q (the transaction, answering with db's store errors: see pgstore.DB.Q), its
// events and timers through k.
func NewShell[T any](db *pgstore.DB, newTx func(q pgstore.Q, k Tx) T) Shell[T] {
	begin := func(ptx pgx.Tx) T { return newTx(db.On(ptx), NewTx(ptx)) }
	return Shell[T]{pgoutbox.ShellOf(db, begin), NewTimers(db, begin)}
}

// Tx is the kit's side of one transaction of a store with timers: the outbox's (Emit,
// MarkProcessed, Retract) and the timers' (Schedule, Cancel, as [Scheduler]). A service's
// store.Tx embeds it and writes its own rows through PgTx.
type Tx struct {
	pgoutbox.Tx
}

// NewTx is the kit's side of the transaction ptx.
func NewTx(ptx pgx.Tx) Tx { return Tx{pgoutbox.Tx{PgTx: ptx}} }

var _ timer.Scheduler = Tx{}

// Schedule implements timer.Scheduler.
func (t Tx) Schedule(ctx context.Context, tm timer.Timer) error { return Schedule(ctx, t.PgTx, tm) }

// Cancel implements timer.Scheduler.
func (t Tx) Cancel(ctx context.Context, key string) error { return Cancel(ctx, t.PgTx, key) }

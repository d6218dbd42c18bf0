package pgoutbox_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox/outboxtest"
	"github.com/grantflow/grantflow/pkg/outbox/pgoutbox"
	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/pgtest"
)

// pgTx is how a PostgreSQL store hands its transaction to the suite.
type pgTx struct {
	ctx context.Context
	tx  pgx.Tx
}

func (t pgTx) Append(sinks []string, ev *eventsv1.Event) error {
	return pgoutbox.Append(t.ctx, t.tx, sinks, ev)
}

func (t pgTx) Retract(sink, id string) error {
	return pgoutbox.Retract(t.ctx, t.tx, sink, id)
}

func (t pgTx) MarkProcessed(id string) (bool, error) {
	return pgoutbox.MarkProcessed(t.ctx, t.tx, id)
}

func newDB(t *testing.T) *pgstore.DB {
	return pgtest.NewDatabase(t, pgstore.Options{Schema: "outboxtest"})
}

func TestPostgresContract(t *testing.T) {
	outboxtest.Run(t, func(t *testing.T) outboxtest.Engine {
		db := newDB(t)
		return outboxtest.Engine{
			Store: pgoutbox.NewStore(db.Pool()),
			InTx: func(ctx context.Context, fn func(outboxtest.Tx) error) error {
				return db.InTx(ctx, func(tx pgx.Tx) error { return fn(pgTx{ctx, tx}) })
			},
		}
	})
}

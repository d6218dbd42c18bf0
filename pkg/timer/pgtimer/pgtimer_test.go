package pgtimer_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/pkg/timer/pgtimer"
	"github.com/grantflow/grantflow/pkg/timer/timertest"
)

// harness is a PostgreSQL schema holding timers only (the kit's migrations).
type harness struct {
	pgtimer.Timers[timer.Scheduler]
	db *pgstore.DB
}

func begin(ptx pgx.Tx) timer.Scheduler { return pgtimer.Scheduler{PgTx: ptx} }

func newHarness(t testing.TB) harness {
	db := pgtest.NewDatabase(t, pgstore.Options{Schema: "timertest"})
	return harness{pgtimer.NewTimers(db, begin), db}
}

func (h harness) InTx(ctx context.Context, fn func(timer.Scheduler) error) error {
	return h.db.InTx(ctx, func(ptx pgx.Tx) error { return fn(begin(ptx)) })
}

func (h harness) Get(ctx context.Context, key string) (timer.Timer, bool, error) {
	return pgtimer.Get(ctx, h.db.Pool(), key)
}

func TestPostgres(t *testing.T) {
	timertest.Run(t, func(t *testing.T) timertest.Harness { return newHarness(t) })
}

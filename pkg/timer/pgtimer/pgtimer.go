// Package pgtimer keeps durable timers (package timer) in the kit table "timers" of a
// service's PostgreSQL schema.
//
// Why a table of our own rather than river (github.com/riverqueue/river): the work a timer
// does must commit with the timer's removal, in the service's own closure transaction
// (pgstore.DB.InTx, with its retry of serialization failures), and the memory engine must
// keep the same contract in process. River's JobCompleteTx can join a transaction, but river
// brings its own tables, migrations, leader election and maintenance goroutines per schema,
// has no memory engine, and takes its time from its own clock. Here a timer is one row in the
// service's schema (a kit migration beside the outbox), taken with FOR UPDATE SKIP LOCKED
// (replicas share the work, none fires a row another holds) and deleted in the transaction
// that does its work; the runner's injected clock decides what is due.
//
// A service store with timers embeds [Shell] (pgoutbox's shell with [Timers]) and its
// transaction type embeds [Tx] (pgoutbox's Tx with Schedule and Cancel).
//
// pgtimer must not import services.
package pgtimer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/timer"
)

// Schedule sets t in tx, replacing the timer with its key (its attempts start again).
func Schedule(ctx context.Context, tx pgx.Tx, t timer.Timer) error {
	if err := t.Validate(); err != nil {
		return err
	}
	payload := t.Payload
	if payload == nil {
		payload = []byte{}
	}
	_, err := tx.Exec(ctx, `INSERT INTO timers (key, kind, fire_at, payload) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE SET kind = EXCLUDED.kind, fire_at = EXCLUDED.fire_at,
			payload = EXCLUDED.payload, attempts = 0, created_at = now()`,
		t.Key, t.Kind, t.FireAt, payload)
	if err != nil {
		return fmt.Errorf("pgtimer: schedule %s: %w", t.Key, err)
	}
	return nil
}

// Cancel removes the timer key in tx.
func Cancel(ctx context.Context, tx pgx.Tx, key string) error {
	if _, err := tx.Exec(ctx, "DELETE FROM timers WHERE key = $1", key); err != nil {
		return fmt.Errorf("pgtimer: cancel %s: %w", key, err)
	}
	return nil
}

// Get returns the timer key, if set.
func Get(ctx context.Context, q pgstore.Querier, key string) (timer.Timer, bool, error) {
	var t timer.Timer
	err := q.QueryRow(ctx, "SELECT key, kind, fire_at, payload, attempts FROM timers WHERE key = $1", key).
		Scan(&t.Key, &t.Kind, &t.FireAt, &t.Payload, &t.Attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return timer.Timer{}, false, nil
	}
	if err != nil {
		return timer.Timer{}, false, fmt.Errorf("pgtimer: get %s: %w", key, err)
	}
	return t, true, nil
}

// Take deletes and returns, in tx, up to limit timers due at now, earliest first, leaving
// out rows another transaction holds. The rows are gone for others once tx commits; a
// rollback brings them back.
func Take(ctx context.Context, tx pgx.Tx, now time.Time, limit int) ([]timer.Timer, error) {
	rows, err := tx.Query(ctx, `DELETE FROM timers WHERE key IN (
			SELECT key FROM timers WHERE fire_at <= $1 ORDER BY fire_at, key LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING key, kind, fire_at, payload, attempts`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("pgtimer: take due: %w", err)
	}
	due, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (timer.Timer, error) {
		var t timer.Timer
		err := row.Scan(&t.Key, &t.Kind, &t.FireAt, &t.Payload, &t.Attempts)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgtimer: take due: %w", err)
	}
	// DELETE ... RETURNING gives no order: fire earliest first.
	timer.SortDue(due)
	return due, nil
}

// Timers is the timer.Store of a service's PostgreSQL store, whose transactions reach
// handlers as begin(tx): a service's Store embeds it.
type Timers[T any] struct {
	db    *pgstore.DB
	begin func(pgx.Tx) T
}

// NewTimers is the timers of db's schema.
func NewTimers[T any](db *pgstore.DB, begin func(pgx.Tx) T) Timers[T] {
	return Timers[T]{db: db, begin: begin}
}

// FireDue implements timer.Store.
func (s Timers[T]) FireDue(ctx context.Context, now time.Time, limit int, fire func(context.Context, T, timer.Timer) error) (int, error) {
	n := 0
	err := s.db.InTx(ctx, func(ptx pgx.Tx) error {
		due, err := Take(ctx, ptx, now, limit)
		if err != nil {
			return err
		}
		n, err = timer.Fire(ctx, s.begin(ptx), due, fire)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Postpone implements timer.Store.
func (s Timers[T]) Postpone(ctx context.Context, key string, dueAt, at time.Time) error {
	_, err := s.db.Pool().Exec(ctx,
		"UPDATE timers SET fire_at = $3, attempts = attempts + 1 WHERE key = $1 AND fire_at = $2", key, dueAt, at)
	if err != nil {
		return fmt.Errorf("pgtimer: postpone %s: %w", key, err)
	}
	return nil
}

// Scheduler is the timer side of one transaction (timer.Scheduler): a service's store.Tx
// embeds it beside pgoutbox.Tx (or embeds [Tx], which is both).
type Scheduler struct {
	PgTx pgx.Tx
}

// Schedule implements timer.Scheduler.
func (t Scheduler) Schedule(ctx context.Context, tm timer.Timer) error {
	return Schedule(ctx, t.PgTx, tm)
}

// Cancel implements timer.Scheduler.
func (t Scheduler) Cancel(ctx context.Context, key string) error { return Cancel(ctx, t.PgTx, key) }

package pgtimer_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/pkg/timer/pgtimer"
)

// Issue 18's targets: with 100,000 pending timers stored, firing 1,000 due in the same
// second takes under 2 s, and a poll with nothing due costs under 1 ms of database time.

const pending = 100_000

var benchT0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

// seedPending stores n timers due a day and more after benchT0.
func seedPending(b *testing.B, h harness, n int) {
	b.Helper()
	_, err := h.db.Pool().Exec(b.Context(), `INSERT INTO timers (key, kind, fire_at)
		SELECT 'later:' || i, 'work', $1::timestamptz + make_interval(secs => i) FROM generate_series(1, $2) i`,
		benchT0.Add(24*time.Hour), n)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := h.db.Pool().Exec(b.Context(), "ANALYZE timers"); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFire1000Of100k fires 1,000 timers due in the same second among 100,000 pending;
// each firing's work is one row written in its transaction.
func BenchmarkFire1000Of100k(b *testing.B) {
	h := newHarness(b)
	if _, err := h.db.Pool().Exec(b.Context(), "CREATE TABLE fired (key text PRIMARY KEY)"); err != nil {
		b.Fatal(err)
	}
	seedPending(b, h, pending-1000)
	r := timer.NewRunner[timer.Scheduler](h, timer.Options{Clock: timer.NewManualClock(benchT0.Add(time.Second))})
	r.Handle("work", func(ctx context.Context, tx timer.Scheduler, t timer.Timer) error {
		_, err := tx.(pgtimer.Scheduler).PgTx.Exec(ctx, "INSERT INTO fired (key) VALUES ($1)", t.Key)
		return err
	})
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		_, err := h.db.Pool().Exec(b.Context(), `INSERT INTO timers (key, kind, fire_at)
			SELECT 'due:' || $2::int || ':' || i, 'work', $1::timestamptz + make_interval(secs => i / 1000.0) FROM generate_series(0, 999) i`,
			benchT0, i)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		n, err := r.FireDue(b.Context())
		total += time.Since(start)
		if err != nil || n != 1000 {
			b.Fatalf("FireDue = %d, %v; want 1000", n, err)
		}
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/1000-fired")
	var left int
	if err := h.db.Pool().QueryRow(b.Context(), "SELECT count(*) FROM timers").Scan(&left); err != nil || left != pending-1000 {
		b.Fatalf("timers left = %d (%v), want %d", left, err, pending-1000)
	}
}

// BenchmarkPollIdle is one poll of the runner with 100,000 timers pending and none due: its
// wall time (a transaction's round trips included) and the database's own execution time of
// the poll's query (EXPLAIN ANALYZE).
func BenchmarkPollIdle(b *testing.B) {
	h := newHarness(b)
	seedPending(b, h, pending)
	r := timer.NewRunner[timer.Scheduler](h, timer.Options{Clock: timer.NewManualClock(benchT0)})
	for b.Loop() {
		if n, err := r.FireDue(b.Context()); err != nil || n != 0 {
			b.Fatalf("FireDue = %d, %v", n, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/poll")
	b.ReportMetric(pollExecutionMs(b, h), "db-ms/poll")
}

// pollExecutionMs is the median execution time PostgreSQL reports for the poll's query.
func pollExecutionMs(b *testing.B, h harness) float64 {
	var times []float64
	for range 21 {
		var ms float64
		err := h.db.InTx(context.WithoutCancel(b.Context()), func(tx pgx.Tx) error {
			var plan []map[string]any
			err := tx.QueryRow(b.Context(), `EXPLAIN (ANALYZE, FORMAT JSON) DELETE FROM timers WHERE key IN (
				SELECT key FROM timers WHERE fire_at <= $1 ORDER BY fire_at, key LIMIT 100 FOR UPDATE SKIP LOCKED)
				RETURNING key, kind, fire_at, payload, attempts`, benchT0).Scan(&plan)
			if err != nil {
				return err
			}
			v, ok := plan[0]["Execution Time"].(float64)
			if !ok {
				return fmt.Errorf("no Execution Time in %v", plan)
			}
			ms = v
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, ms)
	}
	slices.Sort(times)
	return times[len(times)/2]
}

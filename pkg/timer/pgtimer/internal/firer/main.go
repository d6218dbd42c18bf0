// Command firer is the process of pgtimer's restart test: it fires the timers of the schema
// "timertest" at TIMER_TEST_URL until it is stopped (or killed). Each firing's work is one
// row in the table fired, written in the transaction that removes the timer. Not for
// production.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/pkg/timer/pgtimer"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	db, err := pgstore.Open(ctx, pgstore.Options{URL: os.Getenv("TIMER_TEST_URL"), Schema: "timertest"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer db.Close()
	begin := func(ptx pgx.Tx) pgx.Tx { return ptx }
	r := timer.NewRunner(pgtimer.NewTimers(db, begin), timer.Options{Poll: 10 * time.Millisecond, Batch: 5})
	r.Handle("work", func(ctx context.Context, tx pgx.Tx, t timer.Timer) error {
		// A little work that takes time, so that a kill lands in the middle of a batch.
		_, err := tx.Exec(ctx, "INSERT INTO fired (key) SELECT $1 FROM pg_sleep(0.002)", t.Key)
		return err
	})
	fmt.Println("firing")
	r.Run(ctx)
}

package pgtimer_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/proctest"
	"github.com/grantflow/grantflow/pkg/timer"
)

// TestRestartLosesAndRepeatsNone: a process firing timers is killed (SIGKILL) in the middle
// of its work and started again: every timer fires exactly once (its work row exists once),
// none is lost.
func TestRestartLosesAndRepeatsNone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a process")
	}
	bins := proctest.Binaries(t, "pkg/timer/pgtimer/internal/firer")
	h := newHarness(t)
	ctx := t.Context()
	if _, err := h.db.Pool().Exec(ctx, "CREATE TABLE fired (key text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	const n = 400
	var ts []timer.Timer
	for i := range n {
		ts = append(ts, timer.Timer{Key: fmt.Sprintf("k%03d", i), Kind: "work", FireAt: time.Now().Add(-time.Minute)})
	}
	if err := h.InTx(ctx, func(tx timer.Scheduler) error {
		for _, tm := range ts {
			if err := tx.Schedule(ctx, tm); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	count := func(sql string) int {
		var c int
		if err := h.db.Pool().QueryRow(ctx, sql).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	p := proctest.New(t, "firer", bins["firer"], proctest.BaseEnv("TIMER_TEST_URL="+pgtest.URL(t)))
	p.Start()
	proctest.Poll(t, 60*time.Second, "some timers fired", func() (bool, string) {
		c := count("SELECT count(*) FROM fired")
		return c >= 40, fmt.Sprintf("%d fired", c)
	})
	p.Kill9()
	left := count("SELECT count(*) FROM timers")
	t.Logf("killed with %d of %d timers pending", left, n)
	p.Start()
	proctest.Poll(t, 60*time.Second, "every timer fired", func() (bool, string) {
		pending := count("SELECT count(*) FROM timers")
		return pending == 0, fmt.Sprintf("%d pending", pending)
	})
	p.Stop()
	if got := count("SELECT count(DISTINCT key) FROM fired"); got != n {
		t.Errorf("%d distinct timers fired, want %d (lost some)", got, n)
	}
	if dup := count("SELECT count(*) FROM (SELECT key FROM fired GROUP BY key HAVING count(*) > 1) d"); dup != 0 {
		t.Errorf("%d timers fired more than once", dup)
	}
}

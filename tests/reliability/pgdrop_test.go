package reliability_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"

	"github.com/grantflow/grantflow/pkg/testenv"
)

// TestPostgresConnectionsDroppedUnderLoad: while workers drive full request lifecycles,
// every backend of the services' database is terminated (pg_terminate_backend, the way a
// failover, a restart or an idle-connection reaper ends them), again and again. PostgreSQL
// itself is shared and is never stopped: only the sessions on this test's own database end.
//
//   - A call may fail, but only with a code that tells the client to retry: UNAVAILABLE or
//     ABORTED, never INTERNAL.
//   - No request is ever half-written: with the load paused and every outbox drained, each
//     request is DONE with its access, or IN_PROGRESS with the one pending task of its
//     current step.
//   - Retrying the failed calls (the same request_id for a submit) finishes every lifecycle.
//   - The services recover by themselves: afterwards a fresh round of lifecycles runs
//     without a single failure, and the audit trail of every request is whole.
func TestPostgresConnectionsDroppedUnderLoad(t *testing.T) {
	began := time.Now()
	const (
		requesters, apps = 10, 8 // 80 lifecycles at most
		workers          = 6
		rounds           = 12 // of terminations
		between          = 4  // successful submits and decisions of the load between two rounds
		clean            = 6  // lifecycles after the terminations, none of whose calls may fail
	)
	c := newCluster(t, requesters, apps)
	admin, err := pgx.Connect(t.Context(), testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	terminate := func() int64 {
		t.Helper()
		var n int64
		err := admin.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = $1 AND backend_type = 'client backend' AND application_name <> $2 AND pid <> pg_backend_pid()`,
			databaseName(c.dbURL), testApp).Scan(&n)
		if err != nil {
			t.Fatalf("terminate the services' sessions: %v", err)
		}
		return n
	}

	l := newLoad(t, c, []string{"terminations", "after", "clean round"}, codes.Unavailable, codes.Aborted)
	defer l.summary()
	loadBegan := time.Now()
	l.start(workers, 0, requesters*apps-clean)
	defer l.wait()
	defer l.finish()

	var terminated, hit int64
	for round := 1; round <= rounds; round++ {
		base := l.mutated.Load()
		c.poll(time.Minute, fmt.Sprintf("%d successful submits and decisions before termination round %d", between, round), func() (bool, string) {
			if why := l.ended(); why != "" {
				t.Fatal(why)
			}
			n := l.mutated.Load() - base
			return n >= between, fmt.Sprintf("%d since the last round, %d lifecycles DONE", n, l.done.Load())
		})
		n := terminate()
		terminated += n
		if n > 0 {
			hit++
		}
	}
	l.setPhase(1)
	l.finish() // the lifecycles under way end; no new one starts
	killPhase := time.Since(loadBegan)
	failedKills, failedKillsN := l.failures(l.phases[0])

	// Quiescence: no mutation in flight, every hand-off done. Then no request may be
	// half-written.
	var drainedIn time.Duration
	var midDone, midOpen int
	func() {
		l.pause()
		defer l.resume() // also when a check below ends the test
		drainedIn = c.waitDrained()
		midDone, midOpen = checkLifecycles(t, c.snapshot(), l.lifecycles(), false)
	}()

	l.wait()
	l.summary() // the disallowed failures fail the test; the checks below still run
	total := len(l.lifecycles())
	if got := l.done.Load(); got != int64(total) {
		t.Fatalf("%d of %d lifecycles reached DONE", got, total)
	}
	failedAfter, _ := l.failures(l.phases[1])
	retried, ambiguous := l.retried, l.ambiguous

	// Recovered by themselves: a fresh round in which nothing may fail.
	l.allowed, l.failFast = map[codes.Code]bool{}, true
	l.setPhase(2)
	l.start(workers, total, clean)
	l.wait()
	l.finish()
	l.summary()
	if failed, n := l.failures(l.phases[2]); n > 0 {
		t.Errorf("the services did not recover by themselves: %d calls of the clean round failed (%s)", n, failed)
	}
	if got := l.done.Load(); got != int64(total+clean) {
		t.Fatalf("%d of %d lifecycles reached DONE", got, total+clean)
	}

	doneN, events := checkFinal(t, c, l.lifecycles())
	median, longest := l.durations()
	t.Logf("figures: %d termination rounds in %s ended %d sessions (%d rounds found some); calls during the terminations: %d, failed: %s (%d); "+
		"at the pause, with every outbox drained in %s: %d requests DONE, %d IN_PROGRESS, all whole; calls after the terminations: %d, failed: %s; "+
		"%d calls needed a retry, %d decisions had committed before their failure; clean round: %d lifecycles, %d calls, none failed; "+
		"%d lifecycles in all, %d requests DONE in the store, %d audit events; lifecycle median %s, longest %s; test took %s",
		rounds, killPhase.Round(time.Millisecond), terminated, hit, l.calls[0].Load(), failedKills, failedKillsN,
		drainedIn.Round(time.Millisecond), midDone, midOpen, l.calls[1].Load(), failedAfter,
		retried, ambiguous, clean, l.calls[2].Load(),
		total+clean, doneN, events, median, longest, time.Since(began).Round(time.Millisecond))
}

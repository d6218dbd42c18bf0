package reliability_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/process"
	"google.golang.org/grpc/codes"
)

// TestTwoReplicasShareTheLifecycles: two processes each of request, task and audit run
// behind the same database (make up's GRANTFLOW_REPLICAS=2), every process and the test's
// clients given both addresses of each. Workers drive lifecycles from submit to DONE at
// once. Every lifecycle must reach DONE with each advance done exactly once: one task per
// step, each step passed once, the access granted once, and audit holding every event of
// each request and task once and in order. And the replicas must share the work: each
// process serves gRPC calls, and each request and task process delivers outbox events (the
// relays lease a share of the outbox partitions each).
func TestTwoReplicasShareTheLifecycles(t *testing.T) {
	began := time.Now()
	const (
		requesters, apps = 8, 5 // 40 lifecycles
		workers          = 8
		loadTimeout      = 3 * time.Minute
	)
	c := newReplicatedCluster(t, requesters, apps, 2)
	l := newLoad(t, c, []string{"load"})
	l.failFast = true // no call may fail
	defer l.summary()
	total := requesters * apps
	l.start(workers, 0, total)
	defer l.wait()
	defer l.finish()
	c.poll(loadTimeout, fmt.Sprintf("%d lifecycles DONE", total), func() (bool, string) {
		n := l.done.Load()
		if why := l.ended(); why != "" && n < int64(total) {
			t.Fatalf("%s (%d lifecycles DONE)", why, n)
		}
		return n == int64(total), fmt.Sprintf("%d lifecycles DONE", n)
	})
	l.finish()
	l.wait()
	l.summary()

	doneN, events := checkFinal(t, c, l.lifecycles()) // waits for every outbox to drain

	// The split of the hops: gRPC calls served (health checks left out) and outbox events
	// delivered, per process.
	var split []string
	for _, svc := range replicated {
		var served, delivered [2]float64
		for k, name := range instances(svc, 2) {
			hops, err := process.ReadHops(context.Background(), &http.Client{Timeout: callTimeout}, c.metrics[name])
			if err != nil {
				t.Fatalf("%s's metrics: %v", name, err)
			}
			served[k], delivered[k] = hops.Served, hops.Delivered
			if served[k] == 0 {
				t.Errorf("%s served no gRPC call: the clients do not reach every replica", name)
			}
		}
		if svc != "audit" { // audit keeps no outbox
			for k, name := range instances(svc, 2) {
				if delivered[k] == 0 {
					t.Errorf("%s delivered no outbox event: its relays lease no partition", name)
				}
			}
		}
		split = append(split, fmt.Sprintf("%s calls served %.0f/%.0f (%.0f%%/%.0f%%), events delivered %.0f/%.0f (%.0f%%/%.0f%%)",
			svc, served[0], served[1], pct(served[0], served[1]), pct(served[1], served[0]),
			delivered[0], delivered[1], pct(delivered[0], delivered[1]), pct(delivered[1], delivered[0])))
	}
	median, longest := l.durations()
	t.Logf("figures: %d lifecycles by %d workers on two replicas of request, task and audit, all DONE (%d checked in the store, %d audit events, each once and in order); "+
		"split between replica 1 and 2: %s; lifecycle median %s, longest %s; test took %s",
		total, workers, doneN, events, strings.Join(split, "; "), median, longest, time.Since(began).Round(time.Millisecond))
}

// TestAReplicaKilledUnderLoadLosesNothing: with two replicas of request, task and audit,
// request-2 is killed with kill -9 while workers drive lifecycles. Its callers see
// UNAVAILABLE at worst (and try again, reaching the other replica); the relays of request's
// outbox in request-2 die with it, and request takes their partitions over: every lifecycle
// reaches DONE, each advance done once, every outbox drains, and audit holds every event
// once and in order.
func TestAReplicaKilledUnderLoadLosesNothing(t *testing.T) {
	began := time.Now()
	const (
		requesters, apps = 8, 5 // 40 lifecycles
		workers          = 8
		beforeKill       = 10
		loadTimeout      = 3 * time.Minute
	)
	c := newReplicatedCluster(t, requesters, apps, 2)
	l := newLoad(t, c, []string{"both replicas", "request-2 dead"}, codes.Unavailable)
	defer l.summary()
	total := requesters * apps
	l.start(workers, 0, total)
	defer l.wait()
	defer l.finish()
	wait := func(n int64) {
		t.Helper()
		c.poll(loadTimeout, fmt.Sprintf("%d lifecycles DONE", n), func() (bool, string) {
			done := l.done.Load()
			if why := l.ended(); why != "" && done < n {
				t.Fatalf("%s (%d lifecycles DONE)", why, done)
			}
			return done >= n, fmt.Sprintf("%d lifecycles DONE", done)
		})
	}
	wait(beforeKill)
	c.procs["request-2"].Kill9()
	l.setPhase(1)
	killedAt := l.done.Load()
	wait(int64(total))
	l.finish()
	l.wait()
	l.summary()

	doneN, events := checkFinal(t, c, l.lifecycles()) // every outbox drains: request-2's partitions were taken over
	failedAfter, _ := l.failures(l.phases[1])
	t.Logf("figures: %d lifecycles by %d workers, all DONE (%d checked in the store, %d audit events, each once and in order); request-2 killed after %d were DONE; "+
		"calls after the kill %d (failed: %s); test took %s",
		total, workers, doneN, events, killedAt, l.calls[1].Load(), failedAfter, time.Since(began).Round(time.Millisecond))
}

// pct is a's share of a+b, in percent.
func pct(a, b float64) float64 {
	if a+b == 0 {
		return 0
	}
	return 100 * a / (a + b)
}

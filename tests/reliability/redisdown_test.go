package reliability_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestRedisDownUnderLoad: Redis is optional. Identity, policy, task, request and audit run
// with a Redis of the test's own while workers drive full request lifecycles; Redis is
// killed in the middle of the load, stays down while a good share of the lifecycles run
// (longer than the second the cache steps aside after a failure), and is started again.
// Every call must succeed, with no error at all, and every lifecycle must reach DONE, with
// its access granted and its whole trail in audit. The services must have noticed the
// outage (their logs say so) and use Redis again afterwards.
func TestRedisDownUnderLoad(t *testing.T) {
	began := time.Now()
	const (
		requesters, apps = 10, 10 // 100 lifecycles at most
		workers          = 6
		perPhase         = 12 // lifecycles that reach DONE before, during and after the outage
		minOutage        = 2 * time.Second
		phaseTimeout     = 2 * time.Minute
	)
	c := newCluster(t, requesters, apps)
	l := newLoad(t, c, []string{"before the outage", "Redis down", "after the restart"})
	l.failFast = true // no failure is allowed at all
	defer l.summary()
	l.start(workers, 0, requesters*apps)
	defer l.wait()
	defer l.finish() // on a failure below, the workers end after their lifecycle

	// progress waits until perPhase more lifecycles are DONE and extra holds.
	progress := func(what string, extra func() (bool, string)) {
		t.Helper()
		target := l.done.Load() + perPhase
		c.poll(phaseTimeout, what, func() (bool, string) {
			n := l.done.Load()
			if why := l.ended(); why != "" {
				t.Fatalf("%s (%d lifecycles DONE)", why, n)
			}
			ok, state := true, ""
			if extra != nil {
				ok, state = extra()
			}
			return n >= target && ok, fmt.Sprintf("%d lifecycles DONE, want %d; %s", n, target, state)
		})
	}
	progress(fmt.Sprintf("%d lifecycles with Redis up, the cache in use", perPhase), func() (bool, string) {
		n := c.redis.keys("gf:")
		return n > 0, fmt.Sprintf("%d keys of the services in Redis", n)
	})
	cached := c.redis.keys("gf:")

	c.redis.kill()
	l.setPhase(1)
	down := time.Now()
	atKill := l.done.Load()
	progress(fmt.Sprintf("%d lifecycles with Redis down for at least %s", perPhase, minOutage), func() (bool, string) {
		d := time.Since(down)
		return d >= minOutage, fmt.Sprintf("down for %s", d.Round(time.Millisecond))
	})
	c.redis.start()
	l.setPhase(2)
	outage := time.Since(down)
	atRestart := l.done.Load()
	// After the outage the services go back to Redis by themselves (the cache steps aside
	// for a second after a failure, then tries again).
	progress(fmt.Sprintf("%d lifecycles after the restart, the cache in use again", perPhase), func() (bool, string) {
		n := c.redis.keys("gf:")
		return n > 0, fmt.Sprintf("%d keys of the services in Redis", n)
	})
	recached := c.redis.keys("gf:")
	l.finish()
	l.wait()
	l.summary()
	total := len(l.lifecycles())
	if got := l.done.Load(); got != int64(total) {
		t.Fatalf("%d of %d lifecycles reached DONE", got, total)
	}

	doneN, events := checkFinal(t, c, l.lifecycles())

	// The services noticed the outage.
	var noticed []string
	for _, name := range services {
		if n := c.procs[name].Count(func(l string) bool { return strings.Contains(l, "redis cache unavailable") }); n > 0 {
			noticed = append(noticed, fmt.Sprintf("%s %d", name, n))
		}
	}
	if len(noticed) == 0 {
		t.Error("no service logged that the Redis cache was unavailable: the outage went unseen")
	}

	failedBefore, _ := l.failures(l.phases[0])
	failedDown, _ := l.failures(l.phases[1])
	failedAfter, _ := l.failures(l.phases[2])
	median, longest := l.durations()
	t.Logf("figures: %d lifecycles by %d workers, all DONE (%d checked in the store, %d audit events); "+
		"calls: %d before the outage (failed: %s), %d during %s of outage (failed: %s; %d lifecycles finished meanwhile), %d after the restart (failed: %s; %d lifecycles); "+
		"lifecycle median %s, longest %s; Redis keys of the services: %d before the outage, %d after it; outage logged by %s; test took %s",
		total, workers, doneN, events,
		l.calls[0].Load(), failedBefore, l.calls[1].Load(), outage.Round(time.Millisecond), failedDown, atRestart-atKill,
		l.calls[2].Load(), failedAfter, int64(total)-atRestart, median, longest, cached, recached, strings.Join(noticed, ", "), time.Since(began).Round(time.Millisecond))
}

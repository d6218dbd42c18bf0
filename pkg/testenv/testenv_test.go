package testenv

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// recorder stands in for testing.TB to observe Skipf and Fatalf, which end the calling
// goroutine like the real ones do.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// call runs f in its own goroutine, as a test function would run, and returns what it reported.
func call(t *testing.T, f func(testing.TB) string) (rec *recorder, got string) {
	rec = &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = f(rec)
	}()
	<-done
	return rec, got
}

func TestUnreachableServerSkipsLoudlyOrFailsInCI(t *testing.T) {
	if testing.Short() {
		t.Skip("exercises the non-short path")
	}
	down := errors.New("connection refused")
	for _, tc := range []struct {
		ci         string
		wantSkip   bool
		wantPrefix string
	}{
		{ci: "", wantSkip: true, wantPrefix: "INTEGRATION TIER SKIPPED: PostgreSQL not reachable at postgres://nowhere:1/x"},
		{ci: "false", wantSkip: true, wantPrefix: "INTEGRATION TIER SKIPPED: PostgreSQL not reachable at postgres://nowhere:1/x"},
		{ci: "true", wantSkip: false, wantPrefix: "INTEGRATION TIER FAILED (CI=true): PostgreSQL not reachable at postgres://nowhere:1/x"},
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			t.Setenv("GF_TESTENV_FAKE", "postgres://nowhere:1/x")
			s := &server{name: "PostgreSQL", env: "GF_TESTENV_FAKE", def: "unused",
				probe: func(context.Context, string) error { return down }}

			rec, got := call(t, s.url)

			msg := rec.failed
			if tc.wantSkip {
				msg = rec.skipped
				if rec.failed != "" {
					t.Fatalf("failed instead of skipping: %q", rec.failed)
				}
			} else if rec.skipped != "" {
				t.Fatalf("skipped instead of failing: %q", rec.skipped)
			}
			if !strings.HasPrefix(msg, tc.wantPrefix) {
				t.Errorf("message = %q, want prefix %q", msg, tc.wantPrefix)
			}
			if !strings.Contains(msg, "set GF_TESTENV_FAKE") || !strings.Contains(msg, "connection refused") {
				t.Errorf("message %q does not name the variable and the cause", msg)
			}
			if got != "" {
				t.Errorf("url returned %q after the test was stopped", got)
			}
		})
	}
}

func TestServerProbedOnceWithURLFromEnvironmentOrDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("exercises the non-short path")
	}
	for _, tc := range []struct{ env, want string }{
		{env: "", want: "proto://default"},
		{env: "proto://override", want: "proto://override"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Setenv("GF_TESTENV_FAKE", tc.env)
			var probes atomic.Int32
			var probed string
			s := &server{name: "Fake", env: "GF_TESTENV_FAKE", def: "proto://default",
				probe: func(_ context.Context, url string) error {
					probes.Add(1)
					probed = url
					return nil
				}}
			for range 3 {
				rec, got := call(t, s.url)
				if rec.skipped != "" || rec.failed != "" {
					t.Fatalf("reachable server reported skip %q / fail %q", rec.skipped, rec.failed)
				}
				if got != tc.want {
					t.Fatalf("url = %q, want %q", got, tc.want)
				}
			}
			if n := probes.Load(); n != 1 || probed != tc.want {
				t.Errorf("probed %d times (last %q), want once at %q", n, probed, tc.want)
			}
		})
	}
}

func TestIntegrationSkipsUnderShort(t *testing.T) {
	rec, _ := call(t, func(tb testing.TB) string { Integration(tb); return "" })
	if testing.Short() != (rec.skipped != "") {
		t.Errorf("testing.Short()=%v but skipped=%q", testing.Short(), rec.skipped)
	}
}

func TestProbesReportUnreachableServers(t *testing.T) {
	// Port 1 on loopback refuses connections: the probes must say so, not hang or succeed.
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	if err := probePostgres(ctx, "postgres://postgres@127.0.0.1:1/postgres"); err == nil {
		t.Error("probePostgres succeeded against a closed port")
	}
	if err := probeRedis(ctx, "redis://127.0.0.1:1/0"); err == nil {
		t.Error("probeRedis succeeded against a closed port")
	}
}

func TestRealServersAnswer(t *testing.T) {
	ctx := t.Context()
	if err := probePostgres(ctx, PostgresURL(t)); err != nil {
		t.Errorf("PostgreSQL: %v", err)
	}
	if err := probeRedis(ctx, RedisURL(t)); err != nil {
		t.Errorf("Redis: %v", err)
	}
}

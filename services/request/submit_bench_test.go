package request_test

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkSubmitPostgres is the latency of SubmitRequest as its caller sees it, on
// PostgreSQL, with the real identity, policy and task services (the harness: in-memory
// listeners, so the round trips cost their services' work and the commits, not a network):
// a GRANT_ACCESS whose first step (the manager's review) opens while the caller waits. It
// reports the p50 and p99 of the calls in µs beside the mean (ns/op); the relays deliver the
// events meanwhile, as in production.
func BenchmarkSubmitPostgres(b *testing.B) {
	if testing.Short() {
		b.Skip("PostgreSQL")
	}
	h := newHarness(b, harnessOptions{postgres: true})
	in := h.grant("", "Figma", "viewer")
	ctx := h.as("uma")
	for range 20 { // connections, statement caches
		if _, err := h.req.SubmitRequest(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	d := make([]time.Duration, 0, b.N)
	for b.Loop() {
		t0 := time.Now()
		if _, err := h.req.SubmitRequest(ctx, in); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(t0))
	}
	slices.Sort(d)
	at := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Nanoseconds()) / 1000 }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

package pgtest

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchSize is how many rows a store benchmark seeds: the positive number in the
// environment variable env (GRANTFLOW_BENCH_REQUESTS, say), def when it is unset.
func BenchSize(b *testing.B, env string, def int) int {
	b.Helper()
	v := os.Getenv(env)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", env, v)
	}
	return n
}

// ReportPercentiles reports the given percentiles of the latencies d (sorted in place) as
// the benchmark's metrics what-p<q>-µs.
func ReportPercentiles(b *testing.B, what string, d []time.Duration, percentiles ...int) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	for _, q := range percentiles {
		us := float64(d[min(len(d)-1, len(d)*q/100)].Nanoseconds()) / 1e3
		b.ReportMetric(us, what+"-p"+strconv.Itoa(q)+"-µs")
	}
}

package pgtest

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
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

// Explain is the plan of query with args, as EXPLAIN (ANALYZE, BUFFERS) shows it on pool,
// one line a step.
func Explain(b *testing.B, pool *pgxpool.Pool, query string, args ...any) string {
	b.Helper()
	rows, err := pool.Query(context.Background(), "EXPLAIN (ANALYZE, BUFFERS) "+query, args...)
	if err != nil {
		b.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	return strings.Join(lines, "\n")
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

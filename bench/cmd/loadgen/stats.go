package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"
)

// recorder keeps every call's start and duration; the report keeps those that started
// inside the measurement window.
type recorder struct {
	mu    sync.Mutex
	base  time.Time
	calls map[string][]sample
	errs  map[string]map[string]int // call -> first line of the error -> count
}

type sample struct {
	start time.Duration // since base
	dur   time.Duration
	ok    bool
}

func newRecorder(base time.Time) *recorder {
	return &recorder{base: base, calls: map[string][]sample{}, errs: map[string]map[string]int{}}
}

func (r *recorder) add(name string, start time.Time, dur time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[name] = append(r.calls[name], sample{start: start.Sub(r.base), dur: dur, ok: err == nil})
	if err != nil {
		m := r.errs[name]
		if m == nil {
			m = map[string]int{}
			r.errs[name] = m
		}
		msg := err.Error()
		if len(msg) > 160 {
			msg = msg[:160]
		}
		m[msg]++
	}
}

// Stat summarizes one call (or the lifecycles) in a window. Latencies in milliseconds.
type Stat struct {
	Count  int     `json:"count"`
	Errors int     `json:"errors"`
	PerSec float64 `json:"perSec"`
	P50    float64 `json:"p50Ms"`
	P95    float64 `json:"p95Ms"`
	P99    float64 `json:"p99Ms"`
	Max    float64 `json:"maxMs"`
	Mean   float64 `json:"meanMs"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// summarize takes the successful durations of the samples that started in [from, to).
func summarize(samples []sample, from, to time.Duration) Stat {
	var d []time.Duration
	var st Stat
	var sum time.Duration
	for _, s := range samples {
		if s.start < from || s.start >= to {
			continue
		}
		st.Count++
		if !s.ok {
			st.Errors++
			continue
		}
		d = append(d, s.dur)
		sum += s.dur
	}
	if w := (to - from).Seconds(); w > 0 {
		st.PerSec = float64(st.Count) / w
	}
	if len(d) == 0 {
		return st
	}
	slices.Sort(d)
	st.P50, st.P95, st.P99 = ms(pct(d, 50)), ms(pct(d, 95)), ms(pct(d, 99))
	st.Max, st.Mean = ms(d[len(d)-1]), ms(sum/time.Duration(len(d)))
	return st
}

// pct is the q-th percentile of sorted d (nearest rank).
func pct(d []time.Duration, q int) time.Duration {
	i := (len(d)*q + 99) / 100
	return d[min(max(i-1, 0), len(d)-1)]
}

func printStats(w io.Writer, stats map[string]Stat) {
	names := make([]string, 0, len(stats))
	for n := range stats {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "  %-22s %8s %6s %9s %9s %9s %9s %9s\n", "call", "count", "errors", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms")
	for _, n := range names {
		s := stats[n]
		fmt.Fprintf(w, "  %-22s %8d %6d %9.1f %9.2f %9.2f %9.2f %9.2f\n", n, s.Count, s.Errors, s.PerSec, s.P50, s.P95, s.P99, s.Max)
	}
}

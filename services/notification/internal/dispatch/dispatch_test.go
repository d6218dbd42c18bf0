package dispatch_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/grantflow/grantflow/services/notification/internal/dispatch"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
)

func TestRetrySchedule(t *testing.T) {
	r := dispatch.DefaultRetry()
	if r.Window < 24*time.Hour {
		t.Fatalf("window %s: API.md asks for at least 24 hours", r.Window)
	}
	var total time.Duration
	prev := time.Duration(0)
	n := int32(0)
	for total < r.Window {
		n++
		d := r.Next(n)
		lo, hi := time.Duration(float64(prev)*1.0), r.Max+time.Duration(float64(r.Max)*r.Jitter)
		if n > 1 && d < lo/2 || d > hi {
			t.Fatalf("attempt %d: wait %s out of [%s, %s]", n, d, lo/2, hi)
		}
		prev, total = d, total+d
	}
	if first := r.Next(1); first < 4*time.Second || first > 6*time.Second {
		t.Fatalf("first wait %s, want about 5s", first)
	}
	if n < 20 || n > 60 {
		t.Fatalf("%d attempts in the window; want a few dozen", n)
	}
}

func TestSettle(t *testing.T) {
	r := dispatch.Retry{Initial: time.Second, Max: time.Minute, Multiplier: 2, Window: time.Hour}
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	until := now.Add(time.Hour)
	for _, c := range []struct {
		name          string
		ok, permanent bool
		now           time.Time
		want          domain.Status
		next          time.Time
	}{
		{"sent", true, false, now, domain.Succeeded, time.Time{}},
		{"down, window open", false, false, now, domain.Pending, now.Add(2 * time.Second)},
		{"down, window closed", false, false, until, domain.Failed, time.Time{}},
		{"refused for good", false, true, now, domain.Failed, time.Time{}},
	} {
		st, next := r.Settle(c.ok, c.permanent, 2, c.now, until)
		if st != c.want || !next.Equal(c.next) {
			t.Errorf("%s: %s %v, want %s %v", c.name, st, next, c.want, c.next)
		}
	}
}

// queue is a Queue of ints, each due once.
type queue struct {
	mu   sync.Mutex
	due  []int
	done chan int
}

func (q *queue) Claim(_ context.Context, _, _ time.Time, limit int) ([]int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := min(limit, len(q.due))
	out := q.due[:n]
	q.due = q.due[n:]
	return out, nil
}

func (q *queue) NextDue(context.Context) (time.Time, bool, error) { return time.Time{}, false, nil }

// TestLoopWorksEveryItem: every item is attempted once, a kick wakes the loop, and Run
// returns when its context ends.
func TestLoopWorksEveryItem(t *testing.T) {
	q := &queue{done: make(chan int, 100)}
	for i := range 10 {
		q.due = append(q.due, i)
	}
	l := dispatch.NewLoop[int](q, func(_ context.Context, i int) { q.done <- i }, dispatch.Options{Workers: 3, Poll: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); l.Run(ctx) }()
	seen := map[int]bool{}
	deadline := time.After(60 * time.Second)
	for len(seen) < 10 {
		select {
		case i := <-q.done:
			if seen[i] {
				t.Fatalf("item %d twice", i)
			}
			seen[i] = true
		case <-deadline:
			t.Fatal("timed out")
		}
	}
	q.mu.Lock()
	q.due = append(q.due, 42)
	q.mu.Unlock()
	l.Kick()
	select {
	case i := <-q.done:
		if i != 42 {
			t.Fatalf("got %d, want 42", i)
		}
	case <-deadline:
		t.Fatal("a kick did not wake the loop")
	}
	cancel()
	<-stopped
}

package dispatch

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Queue is a store of leased work: Claim hands out up to limit items due at now, each
// leased until leaseUntil (no other Claim hands it out before then); NextDue is the
// earliest time an item is due (ok false: none).
type Queue[J any] interface {
	Claim(ctx context.Context, now, leaseUntil time.Time, limit int) ([]J, error)
	NextDue(ctx context.Context) (t time.Time, ok bool, err error)
}

// Options configure a Loop.
type Options struct {
	// Name says what the loop sends, in its log lines.
	Name   string
	Logger *slog.Logger
	Now    func() time.Time
	// Workers is how many attempts run at once (default 32).
	Workers int
	// Lease is how long a claimed item is reserved for its attempt (default 1 minute).
	Lease time.Duration
	// Poll bounds how long the loop sleeps without looking at the queue (default 1s).
	Poll time.Duration
}

// Loop works a Queue: it claims due items and runs attempt on each, Workers at a time.
type Loop[J any] struct {
	q       Queue[J]
	attempt func(context.Context, J)
	o       Options
	wake    chan struct{}
}

// NewLoop assembles a loop over q.
func NewLoop[J any](q Queue[J], attempt func(context.Context, J), o Options) *Loop[J] {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Workers <= 0 {
		o.Workers = 32
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	return &Loop[J]{q: q, attempt: attempt, o: o, wake: make(chan struct{}, 1)}
}

// Kick wakes the loop: items were just queued.
func (l *Loop[J]) Kick() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *Loop[J]) clock() time.Time { return l.o.Now().UTC().Truncate(time.Microsecond) }

// Run works the queue until ctx ends, and returns when the attempts under way have
// finished. Several loops (replicas) may work one store: Claim leases each item to one.
func (l *Loop[J]) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, l.o.Workers)
	for range l.o.Workers {
		slots <- struct{}{}
	}
	for ctx.Err() == nil {
		free := len(slots)
		var jobs []J
		if free > 0 {
			now := l.clock()
			var err error
			jobs, err = l.q.Claim(ctx, now, now.Add(l.o.Lease), free)
			if err != nil {
				if ctx.Err() == nil {
					l.o.Logger.Warn("notification: claim "+l.o.Name, "error", err)
				}
				jobs = nil
			}
		}
		for _, j := range jobs {
			<-slots
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { slots <- struct{}{}; l.Kick() }()
				l.attempt(ctx, j)
			}()
		}
		if len(jobs) == free && free > 0 {
			continue // there may be more due at once
		}
		l.sleep(ctx)
	}
}

// sleep waits for a kick, the earliest due item, or the poll interval, whichever comes
// first. An item due already that Claim did not hand out waits behind an earlier one (whose
// attempt ending kicks the loop) or is another replica's: it does not shorten the wait, or
// the loop would spin.
func (l *Loop[J]) sleep(ctx context.Context) {
	wait := l.o.Poll
	if next, ok, err := l.q.NextDue(ctx); err == nil && ok {
		if d := next.Sub(l.o.Now()); d > 0 && d < wait {
			wait = d
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-l.wake:
	case <-t.C:
	}
}

// Record runs the store write that records an attempt's outcome: even when ctx ended after
// the attempt went through (the receiver has it), bounded by its own deadline.
func Record(ctx context.Context, write func(context.Context) error) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return write(rctx)
}

package app

import (
	"context"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"sync"
	"time"

	"github.com/grantflow/grantflow/services/notification/internal/domain"
	"github.com/grantflow/grantflow/services/notification/internal/store"
)

// kick wakes the dispatcher: deliveries were just queued.
func (s *Service) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run sends due deliveries until ctx ends, Workers at a time, and returns when the
// attempts under way have finished. Several dispatchers (replicas) may run on one store:
// Claim leases each delivery to one of them.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, s.workers)
	for range s.workers {
		slots <- struct{}{}
	}
	for ctx.Err() == nil {
		free := len(slots)
		var jobs []domain.Job
		if free > 0 {
			now := s.clock()
			var err error
			jobs, err = s.store.Claim(ctx, now, now.Add(s.lease), free)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("notification: claim deliveries", "error", err)
				}
				jobs = nil
			}
		}
		for _, j := range jobs {
			<-slots
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { slots <- struct{}{}; s.kick() }()
				s.attempt(ctx, j)
			}()
		}
		if len(jobs) == free && free > 0 {
			continue // there may be more due at once
		}
		s.maybePrune(ctx)
		s.sleep(ctx)
	}
}

// sleep waits for a kick, the earliest due delivery, or the poll interval, whichever
// comes first. A delivery due already that Claim did not hand out waits behind an earlier
// one of its subject (whose attempt ending kicks the dispatcher) or is another replica's:
// it does not shorten the wait, or the dispatcher would spin.
func (s *Service) sleep(ctx context.Context) {
	wait := s.poll
	if next, ok, err := s.store.NextDue(ctx); err == nil && ok {
		if d := next.Sub(s.now()); d > 0 && d < wait {
			wait = d
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-s.wake:
	case <-t.C:
	}
}

// attempt sends one claimed delivery and records the outcome: SUCCEEDED on a 2xx; else
// FAILED once the retry window has closed, PENDING for the next backoff step otherwise.
func (s *Service) attempt(ctx context.Context, j domain.Job) {
	o := s.sender.Send(ctx, j.URL, j.Secret, j.EventID, j.Body)
	if ctx.Err() != nil && !o.Delivered() {
		return // shutting down: the lease runs out and the delivery is tried again
	}
	now := s.clock()
	f := store.Finish{ID: j.ID, Attempt: j.Attempts, Outcome: o, Now: now}
	switch {
	case o.Delivered():
		f.Status = domain.Succeeded
	case !now.Before(j.RetryUntil):
		f.Status = domain.Failed
	default:
		f.Status = domain.Pending
		f.NextAttemptTime = now.Add(s.retry.Next(j.Attempts))
	}
	// Record even when ctx ended after a 2xx: the receiver has it.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	recorded, err := s.store.Finish(rctx, f)
	if err != nil {
		s.log.Warn("notification: record delivery attempt", "delivery", j.ID, "error", err)
	}
	if recorded {
		s.attempts.Add(rctx, 1, metric.WithAttributes(attribute.String("status", f.Status.String())))
	}
}

// pruneBatch is how many finished deliveries one statement deletes: small enough that a
// batch holds no lock for long.
const pruneBatch = 1000

// maybePrune deletes the finished deliveries older than the retention, in batches, at most
// once per pruneEvery (by the service's clock).
func (s *Service) maybePrune(ctx context.Context) {
	now := s.clock()
	if !s.lastPrune.IsZero() && now.Sub(s.lastPrune) < s.pruneEvery {
		return
	}
	s.lastPrune = now
	if _, err := s.Prune(ctx, now); err != nil && ctx.Err() == nil {
		s.log.Warn("notification: prune deliveries", "error", err)
	}
}

// Prune deletes the deliveries finished (SUCCEEDED or FAILED) before now minus the
// retention, pruneBatch at a time, and returns how many it deleted.
func (s *Service) Prune(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for ctx.Err() == nil {
		n, err := s.store.PruneDeliveries(ctx, now.Add(-s.retention), pruneBatch)
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
	return total, ctx.Err()
}

package app

import (
	"context"
	"sync"

	"github.com/grantflow/grantflow/services/notification/internal/dispatch"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
	"github.com/grantflow/grantflow/services/notification/internal/store"
)

// kick wakes the dispatchers: deliveries or messages were just queued.
func (s *Service) kick() {
	s.hooks.Kick()
	s.msgs.Kick()
}

// Run sends due webhook deliveries and messages until ctx ends, each queue Workers at a
// time, and returns when the attempts under way have finished. Several dispatchers
// (replicas) may run on one store: the claims lease each item to one of them.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.hooks.Run(ctx) })
	wg.Go(func() { s.msgs.Run(ctx) })
	wg.Wait()
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
	f.Status, f.NextAttemptTime = s.retry.Settle(o.Delivered(), false, j.Attempts, now, j.RetryUntil)
	if err := dispatch.Record(ctx, func(ctx context.Context) error { _, err := s.store.Finish(ctx, f); return err }); err != nil {
		s.log.Warn("notification: record delivery attempt", "delivery", j.ID, "error", err)
	}
}

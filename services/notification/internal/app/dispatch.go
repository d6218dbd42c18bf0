package app

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

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
	wg.Go(func() { s.pruner.Run(ctx) })
	wg.Wait()
}

// attempt sends one claimed delivery and records the outcome: SUCCEEDED on a 2xx; else
// FAILED once the retry window has closed, PENDING for the next backoff step otherwise.
func (s *Service) attempt(ctx context.Context, j domain.Job) {
	var o domain.Outcome
	if secret, err := s.openSecret(j.WebhookID, j.Secret); err != nil {
		// Not sent: the secret was sealed under another GRANTFLOW_SECRETS_KEY (or altered).
		// The attempt fails like an unreachable endpoint, and is retried: the right key
		// restored, the delivery goes out.
		s.log.Error("notification: a webhook's signing secret does not open under GRANTFLOW_SECRETS_KEY", "webhook", j.WebhookID, "delivery", j.ID)
		o.Err = "the subscription's signing secret does not open under the service's key"
	} else {
		o = s.sender.Send(ctx, j.URL, secret, j.EventID, j.Body)
	}
	if ctx.Err() != nil && !o.Delivered() {
		return // shutting down: the lease runs out and the delivery is tried again
	}
	now := s.clock()
	f := store.Finish{ID: j.ID, Attempt: j.Attempts, Outcome: o, Now: now}
	f.Status, f.NextAttemptTime = s.retry.Settle(o.Delivered(), false, j.Attempts, now, j.RetryUntil)
	recorded := false
	err := dispatch.Record(ctx, func(ctx context.Context) error {
		var err error
		recorded, err = s.store.Finish(ctx, f)
		return err
	})
	if err != nil {
		s.log.Warn("notification: record delivery attempt", "delivery", j.ID, "error", err)
	}
	if recorded {
		s.attempts.Add(context.WithoutCancel(ctx), 1, metric.WithAttributes(attribute.String("status", f.Status.String())))
	}
}

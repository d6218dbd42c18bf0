package dispatch

import (
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/grantflow/grantflow/services/notification/internal/domain"
)

// Retry is the schedule of a delivery's attempts: exponential backoff (each wait Multiplier
// times the one before, from Initial up to Max, randomized by Jitter) while the retry
// window (Window, from the delivery's creation or redelivery) is open. An attempt that
// fails after the window closed makes the delivery FAILED.
type Retry struct {
	Initial    time.Duration
	Max        time.Duration
	Multiplier float64
	Jitter     float64
	Window     time.Duration
}

// DefaultRetry retries for 25 hours (API.md: at least 24), first after 5 s, then ever
// less often, at most an hour apart: about 35 attempts.
func DefaultRetry() Retry {
	return Retry{Initial: 5 * time.Second, Max: time.Hour, Multiplier: 2, Jitter: 0.2, Window: 25 * time.Hour}
}

// Next is the wait after the attempts-th failed attempt (1 for the first).
func (r Retry) Next(attempts int32) time.Duration {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     r.Initial,
		RandomizationFactor: r.Jitter,
		Multiplier:          r.Multiplier,
		MaxInterval:         r.Max,
	}
	b.Reset()
	var d time.Duration
	for range min(max(attempts, 1), 64) { // past 64 doublings every interval is Max
		d = b.NextBackOff()
	}
	return d
}

// Settle is the state an attempt leaves its item in: Succeeded when it went through;
// Failed when it failed for good (permanent) or at or after retryUntil (the window
// closed); Pending otherwise, due again after the backoff of its attempts-th failure.
func (r Retry) Settle(ok, permanent bool, attempts int32, now, retryUntil time.Time) (domain.Status, time.Time) {
	switch {
	case ok:
		return domain.Succeeded, time.Time{}
	case permanent || !now.Before(retryUntil):
		return domain.Failed, time.Time{}
	}
	return domain.Pending, now.Add(r.Next(attempts))
}

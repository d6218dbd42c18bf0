package timer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Handler does a timer's work inside the transaction that removes it.
type Handler[Tx any] func(ctx context.Context, tx Tx, t Timer) error

// Options tune a Runner; the zero value is usable.
type Options struct {
	// Clock is the time the runner fires by (default System).
	Clock Clock
	// Poll is how often Run looks for due timers (default 1 s).
	Poll time.Duration
	// Batch is how many timers one transaction fires at most (default 100).
	Batch int
	// MaxBackoff caps the delay after a failed firing (default 1 h); the delay doubles from
	// 1 s with each failure.
	MaxBackoff time.Duration
	Log        *slog.Logger
	// Fired, if set, is called after a transaction that fired timers committed (a service
	// wakes its outbox relays with it).
	Fired func()
}

// Runner fires a store's due timers through the handlers registered by kind.
type Runner[Tx any] struct {
	store    Store[Tx]
	opts     Options
	handlers map[string]Handler[Tx]
}

// NewRunner is a runner on store with no handlers yet (see Handle).
func NewRunner[Tx any](store Store[Tx], opts Options) *Runner[Tx] {
	if opts.Clock == nil {
		opts.Clock = System
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 100
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = time.Hour
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Runner[Tx]{store: store, opts: opts, handlers: map[string]Handler[Tx]{}}
}

// Handle registers h for the timers of kind. Register every handler before Run.
func (r *Runner[Tx]) Handle(kind string, h Handler[Tx]) { r.handlers[kind] = h }

// Clock is the runner's clock.
func (r *Runner[Tx]) Clock() Clock { return r.opts.Clock }

// ErrNoHandler is a timer whose kind has no handler: it is postponed like a failure.
var ErrNoHandler = errors.New("no handler for this kind")

func (r *Runner[Tx]) fire(ctx context.Context, tx Tx, t Timer) error {
	h, ok := r.handlers[t.Kind]
	if !ok {
		return ErrNoHandler
	}
	return h(ctx, tx, t)
}

// FireDue fires every timer due at the clock's now, a batch per transaction, and returns
// how many fired. A timer whose handler fails is postponed (backoff doubling from 1 s up to
// MaxBackoff, by the clock) and the others still fire. It stops at the first store error.
func (r *Runner[Tx]) FireDue(ctx context.Context) (int, error) {
	total := 0
	now := r.opts.Clock.Now()
	for {
		n, err := r.store.FireDue(ctx, now, r.opts.Batch, r.fire)
		total += n
		if n > 0 && r.opts.Fired != nil {
			r.opts.Fired()
		}
		var fe *FireError
		switch {
		case errors.As(err, &fe):
			r.opts.Log.WarnContext(ctx, "timer failed; postponed", "key", fe.Timer.Key, "kind", fe.Timer.Kind, "attempts", fe.Timer.Attempts+1, "error", fe.Err)
			if err := r.store.Postpone(ctx, fe.Timer.Key, fe.Timer.FireAt, now.Add(r.backoff(fe.Timer.Attempts))); err != nil {
				return total, fmt.Errorf("timer: postpone %s: %w", fe.Timer.Key, err)
			}
		case err != nil:
			return total, err
		case n < r.opts.Batch:
			return total, nil
		}
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

func (r *Runner[Tx]) backoff(attempts int) time.Duration {
	d := time.Second
	for range attempts {
		d *= 2
		if d >= r.opts.MaxBackoff {
			return r.opts.MaxBackoff
		}
	}
	return d
}

// Run fires due timers every Poll until ctx ends; errors are logged and tried again on the
// next poll.
func (r *Runner[Tx]) Run(ctx context.Context) {
	t := time.NewTicker(r.opts.Poll)
	defer t.Stop()
	for {
		if _, err := r.FireDue(ctx); err != nil && ctx.Err() == nil {
			r.opts.Log.ErrorContext(ctx, "firing timers", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

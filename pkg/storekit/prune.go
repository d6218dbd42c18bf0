package storekit

import (
	"context"
	"log/slog"
	"time"
)

// PruneBatch is how many records one statement of a prune deletes: small enough that a
// batch holds no lock for long.
const PruneBatch = 1000

// PruneFunc deletes up to limit records made before before, and returns how many it
// deleted (a store's PruneDeliveries, PruneChanges).
type PruneFunc func(ctx context.Context, before time.Time, limit int) (int, error)

// Prune deletes with prune everything made before before, PruneBatch at a time (each
// batch its own statement), and returns how many it deleted.
func Prune(ctx context.Context, before time.Time, prune PruneFunc) (int, error) {
	total := 0
	for ctx.Err() == nil {
		n, err := prune(ctx, before, PruneBatch)
		total += n
		if err != nil || n < PruneBatch {
			return total, err
		}
	}
	return total, ctx.Err()
}

// Pruner keeps a store's records for Retention: its Run prunes those older at start and
// then once per Every (a background loop of the service, kit.Base's Loops). Replicas may
// each run one: their deletes of one batch do not conflict beyond waiting.
type Pruner struct {
	// Name is what a failure's log names ("request changes").
	Name string
	// Prune deletes a batch.
	Prune PruneFunc
	// Now is the service's clock; Retention how long a record is kept; Every how often Run
	// prunes (default an hour).
	Now       func() time.Time
	Retention time.Duration
	Every     time.Duration
	Log       *slog.Logger
}

// Once deletes the records older than the retention by the clock's now, and returns how
// many it deleted.
func (p Pruner) Once(ctx context.Context) (int, error) {
	return Prune(ctx, p.Now().Add(-p.Retention), p.Prune)
}

// Run prunes at start and then once per Every until ctx ends; a failure is logged and
// retried at the next round.
func (p Pruner) Run(ctx context.Context) {
	every := p.Every
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := p.Once(ctx); err != nil && ctx.Err() == nil && p.Log != nil {
			p.Log.Warn("prune "+p.Name, "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

package kit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/storekit"
	"github.com/grantflow/grantflow/pkg/timer"
)

// Base is what every assembled service shares: its store, the relays of its outbox, its
// timers and any further background loops. A service's Service embeds it and so has the
// Module's Run, Ping and Close, and Notify and FireDueTimers.
type Base struct {
	// Store is the service's store (readiness and release).
	Store Store
	// Relays deliver the outbox; nil: the service has none.
	Relays *outbox.Relays
	// Timers fire the service's due timers; nil: it has none (see NewTimers).
	Timers interface {
		Run(context.Context)
		FireDue(context.Context) (int, error)
	}
	// Loops are more background work Run does beside the relays and the timers.
	Loops []func(context.Context)

	name        string           // the service's, in Ping's errors and the relays' logs (set by Engines.On)
	watchPruner *storekit.Pruner // the watch change log's (Parts.PruneWatch), or nil
}

// Run does the background work (timers, loops, relays) until ctx ends, and returns when
// all of it stopped.
func (b *Base) Run(ctx context.Context) {
	var wg sync.WaitGroup
	if b.Timers != nil {
		wg.Go(func() { b.Timers.Run(ctx) })
	}
	for _, loop := range b.Loops {
		wg.Go(func() { loop(ctx) })
	}
	if b.Relays != nil {
		b.Relays.Run(ctx)
	}
	wg.Wait()
}

// Notify wakes the relays: events were committed (safe before the relays exist).
func (b *Base) Notify() { b.Relays.Notify() }

// FireDueTimers fires the timers due now by the service's clock, and returns how many fired
// (tests call it after moving their clock, instead of waiting for Run's poll).
func (b *Base) FireDueTimers(ctx context.Context) (int, error) {
	if b.Timers == nil {
		return 0, nil
	}
	return b.Timers.FireDue(ctx)
}

// PruneWatchLog deletes the watch log's changes older than the retention by the service's
// clock, and returns how many it deleted (tests call it after moving their clock, instead of
// waiting for Run's hourly round); a service without one prunes nothing.
func (b *Base) PruneWatchLog(ctx context.Context) (int, error) {
	if b.watchPruner == nil {
		return 0, nil
	}
	return b.watchPruner.Once(ctx)
}

// Ping reports whether the store answers (readiness); its error names the service's store.
func (b *Base) Ping(ctx context.Context) error {
	err := b.Store.Ping(ctx)
	if err != nil && b.name != "" {
		return fmt.Errorf("%s store: %w", Short(b.name), err)
	}
	return err
}

// Close releases the store.
func (b *Base) Close() { b.Store.Close() }

// NewTimers is the timer runner of p's service on st (its Base's Timers): by the clock of
// its settings, looking for due timers every TimerPoll, waking its relays when timers fired
// (their handlers commit events).
func NewTimers[Tx any, S Store](p *Parts[S], st timer.Store[Tx]) *timer.Runner[Tx] {
	r := timer.NewRunner[Tx](st, timer.Options{Clock: p.set.Clock, Poll: p.set.TimerPoll, Log: p.Log, Fired: p.Base.Notify})
	p.Base.Timers = r
	return r
}

// Now is the time by clock as the stores keep it: UTC, to the microsecond.
func Now(clock timer.Clock) func() time.Time {
	return func() time.Time { return clock.Now().UTC().Truncate(time.Microsecond) }
}

// Deps dials what one constructor needs: each call returns a connection, a sink or a
// client, nil after a failure, and Err reports the first failure. A constructor asks for
// everything in turn and checks Err once.
type Deps struct {
	env *Env
	err error
}

// Deps starts dialing what the service's constructor needs.
func (e *Env) Deps() *Deps { return &Deps{env: e} }

// Conn is the connection to service to (see Env.Conn).
func (d *Deps) Conn(to string) *grpc.ClientConn {
	c, err := d.env.Conn(to)
	d.fail(err)
	return c
}

// Sink delivers this service's outbox to receiver (see Env.Sink).
func (d *Deps) Sink(receiver string) outbox.Sink {
	s, err := d.env.Sink(receiver)
	d.fail(err)
	return s
}

// Identity is identity's internal API (see Env.Identity).
func (d *Deps) Identity() identityv1.IdentityInternalServiceClient {
	return identityv1.NewIdentityInternalServiceClient(d.Conn("identity"))
}

// Err is the first failure, or nil.
func (d *Deps) Err() error { return d.err }

func (d *Deps) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Assemble is a Service.New from a service's options, made from env and dialing through
// d, and its constructor: Kit's New is Assemble(options, New), so both ways to run build
// the options one way and a failed dial stops the assembly.
func Assemble[O any, M Module](options func(env *Env, d *Deps) O, build func(context.Context, O) (M, error)) func(context.Context, *Env) (Module, error) {
	return func(ctx context.Context, env *Env) (Module, error) {
		d := env.Deps()
		o := options(env, d)
		if err := d.Err(); err != nil {
			return nil, err
		}
		m, err := build(ctx, o)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
}

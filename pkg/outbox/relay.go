package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
)

// Relay defaults.
const (
	DefaultBatchSize    = 100
	DefaultPollInterval = time.Second
	DefaultMaxBackoff   = 10 * time.Second

	// ackTimeout bounds an ack that runs after Run's context ended: a delivered batch is
	// still removed on shutdown rather than sent again at the next start.
	ackTimeout = 5 * time.Second
)

// RelayOptions configures a Relay.
type RelayOptions struct {
	// Name is the sink's name in the outbox ("audit", "request", ...). Required.
	Name string
	// Store is the outbox to read. Required.
	Store Store
	// Sink receives the events. Required.
	Sink Sink
	// BatchSize is the most events per delivery; default 100.
	BatchSize int
	// PollInterval is how long an idle relay waits before looking again when nobody calls
	// Notify; default 1s.
	PollInterval time.Duration
	// MaxBackoff caps the exponential wait after a failure; default 10s.
	MaxBackoff time.Duration
	// Logger receives failures; default slog.Default().
	Logger *slog.Logger
	// Linger is how long a woken relay waits before it reads, so that the events of the
	// next commits join the batch (fewer deliveries, and fewer commits on both sides). For
	// sinks that keep a record (audit, notification), off a request's critical path; 0 for
	// the hand-offs a request waits for. A full batch never waits.
	Linger time.Duration
	// Partitions, when set, limits the relay to the outbox partitions it returns at each
	// step: those this replica leases (see Leaser, whose PendingIn the Store must have). None
	// (nil or empty): the relay reads nothing until it is woken with some. Unset: the relay
	// reads the whole outbox of its sink.
	Partitions func() []int
}

// RelayStats counts what a relay did since it was made. The same counts go to the global
// OpenTelemetry MeterProvider as grantflow.outbox.delivered and grantflow.outbox.failures,
// labelled sink (in Prometheus: grantflow_outbox_delivered_total, ...).
type RelayStats struct {
	// Delivered counts events the sink accepted (a batch sent again after a failed ack
	// counts again).
	Delivered uint64
	// Failures counts failed steps: sink deliveries, store reads and acks.
	Failures uint64
}

// Relay moves events from an outbox to a sink. Make it with NewRelay, start Run in a
// goroutine, and call Notify after each commit that appended events.
type Relay struct {
	opts      RelayOptions
	log       *slog.Logger
	notify    chan struct{}
	running   atomic.Bool
	delivered atomic.Uint64
	failures  atomic.Uint64
	metrics   relayMetrics
}

// relayMetrics are the relay's counters as OpenTelemetry instruments, from the global
// MeterProvider of the moment the relay is made (pkg/process sets it), labelled with the
// sink's name.
type relayMetrics struct {
	delivered, failures metric.Int64Counter
	sink                metric.MeasurementOption
}

func newRelayMetrics(sink string) relayMetrics {
	m := otel.GetMeterProvider().Meter("github.com/grantflow/grantflow/pkg/outbox")
	delivered, err := m.Int64Counter("grantflow.outbox.delivered", metric.WithUnit("{event}"),
		metric.WithDescription("Events the outbox relays delivered and their sink accepted."))
	if err != nil {
		otel.Handle(err)
	}
	failures, err := m.Int64Counter("grantflow.outbox.failures", metric.WithUnit("{failure}"),
		metric.WithDescription("Failed outbox relay steps (deliveries, reads, acks); each is retried."))
	if err != nil {
		otel.Handle(err)
	}
	return relayMetrics{delivered: delivered, failures: failures,
		sink: metric.WithAttributeSet(attribute.NewSet(attribute.String("sink", sink)))}
}

// NewRelay checks opts and fills its defaults.
func NewRelay(opts RelayOptions) (*Relay, error) {
	switch {
	case opts.Name == "":
		return nil, errors.New("outbox: relay: Name is required")
	case opts.Store == nil:
		return nil, errors.New("outbox: relay: Store is required")
	case opts.Sink == nil:
		return nil, errors.New("outbox: relay: Sink is required")
	case opts.Partitions != nil && !isLeaser(opts.Store):
		return nil, errors.New("outbox: relay: Partitions needs a Store that is a Leaser")
	case opts.BatchSize < 0 || opts.PollInterval < 0 || opts.MaxBackoff < 0:
		return nil, errors.New("outbox: relay: BatchSize, PollInterval and MaxBackoff must not be negative")
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Relay{
		opts:    opts,
		log:     log.With(slog.String("sink", opts.Name)),
		notify:  make(chan struct{}, 1),
		metrics: newRelayMetrics(opts.Name),
	}, nil
}

// Notify wakes an idle relay to look for new events now. It never blocks.
func (r *Relay) Notify() {
	select {
	case r.notify <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Stats returns the relay's counters.
func (r *Relay) Stats() RelayStats {
	return RelayStats{Delivered: r.delivered.Load(), Failures: r.failures.Load()}
}

// Run delivers until ctx ends, then returns nil. It never gives up on failures: it logs them,
// counts them and tries again after a backoff. A relay runs once at a time.
func (r *Relay) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("outbox: relay: already running")
	}
	defer r.running.Store(false)

	wait := r.newBackoff()
	for ctx.Err() == nil {
		n, err := r.step(ctx, wait)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			r.fail(err)
			sleep(ctx, wait.NextBackOff(), nil)
		case n == r.opts.BatchSize:
			wait.Reset() // more may be waiting: go on at once
		default:
			// The outbox held less than a batch: it was empty after this step, but for what
			// committed meanwhile, which woke r.notify. So wait for a wake-up (or the poll)
			// rather than read again at once for nothing.
			wait.Reset()
			if sleep(ctx, r.opts.PollInterval, r.notify) && r.opts.Linger > 0 {
				sleep(ctx, r.opts.Linger, nil)
			}
		}
	}
	return nil
}

func (r *Relay) newBackoff() *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = min(100*time.Millisecond, r.opts.MaxBackoff)
	b.MaxInterval = r.opts.MaxBackoff
	b.Reset()
	return b
}

// step delivers at most one batch (of the leased partitions, if partitioned) and returns its
// size.
func (r *Relay) step(ctx context.Context, wait backoff.BackOff) (int, error) {
	var (
		events []*eventsv1.Event
		err    error
	)
	if r.opts.Partitions != nil {
		parts := r.opts.Partitions()
		if len(parts) == 0 {
			return 0, nil // another replica delivers this sink's events
		}
		events, err = r.opts.Store.(Leaser).PendingIn(ctx, r.opts.Name, parts, r.opts.BatchSize)
	} else {
		events, err = r.opts.Store.Pending(ctx, r.opts.Name, r.opts.BatchSize)
	}
	if err != nil {
		return 0, fmt.Errorf("read pending events: %w", err)
	}
	if len(events) == 0 {
		return 0, nil
	}
	if err := r.deliver(ctx, events, wait); err != nil {
		return 0, err
	}
	ackCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
	defer cancel()
	if err := r.opts.Store.Ack(ackCtx, r.opts.Name, events); err != nil {
		return 0, fmt.Errorf("ack %d delivered events (they will be sent again): %w", len(events), err)
	}
	return len(events), nil
}

// deliver sends events until the sink takes them or ctx ends: the same batch every time, so
// nothing behind a failing event is delivered before it.
func (r *Relay) deliver(ctx context.Context, events []*eventsv1.Event, wait backoff.BackOff) error {
	for ctx.Err() == nil {
		err := r.opts.Sink.DeliverEvents(ctx, events)
		if err == nil {
			r.delivered.Add(uint64(len(events)))
			r.metrics.delivered.Add(context.WithoutCancel(ctx), int64(len(events)), r.metrics.sink)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.fail(fmt.Errorf("deliver %d events from source_seq %d: %w", len(events), events[0].GetSourceSeq(), err))
		sleep(ctx, wait.NextBackOff(), nil)
	}
	return ctx.Err()
}

func isLeaser(s Store) bool {
	_, ok := s.(Leaser)
	return ok
}

func (r *Relay) fail(err error) {
	r.failures.Add(1)
	r.metrics.failures.Add(context.Background(), 1, r.metrics.sink)
	r.log.Warn("outbox relay: will retry", slog.Any("error", err))
}

// sleep waits for d, the end of ctx, or a wake-up on wake (nil: none), and reports whether
// the wake-up ended it.
func sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-wake:
		return true
	}
	return false
}

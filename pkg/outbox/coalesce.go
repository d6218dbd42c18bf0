package outbox

import (
	"context"
	"sync"
	"time"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
)

// MaxDeliveryEvents is the most events one delivery may carry
// (grantflow.events.v1.DeliverEventsRequest's events.max_items).
const MaxDeliveryEvents = 1000

// CoalesceWindow is how long the first delivery of a round to a shared receiver waits for
// the others' (Coalescer). It is added to the delivery of a record sink, whose relay has
// lingered RecordLinger already.
const CoalesceWindow = RecordLinger / 5

// Coalescer lets the relays of several producers in one process deliver to the same
// receiver in shared rounds: the all-in-one process's relays to audit and to notification,
// one per service. The first delivery of a round waits the window for the others, then its
// relay sends them all in one call through its own sink; the others' calls return with its
// outcome. Fewer calls, and fewer commits on the receiver (one per delivery). Nothing else
// changes: each relay still has one delivery in flight and acknowledges its own events
// once the call returned nil, so each producer's events arrive in its order, and a call
// that failed is sent again (receivers skip the events they have already seen, by id). A
// round whose call failed is sent again member by member, so one producer's failing event
// never holds back another's.
type Coalescer struct {
	window time.Duration
	// wait is the round's wait (a timer of the window; tests step it themselves).
	wait func(ctx context.Context)

	mu      sync.Mutex
	members int
	queue   []*delivery
	leading bool
	// queued is closed, and replaced, whenever the queue changes (tests wait on it).
	queued chan struct{}
}

// delivery is one relay's call, waiting for its round.
type delivery struct {
	sink    Sink
	events  []*eventsv1.Event
	done    chan error    // the outcome of its round
	promote chan struct{} // it leads the next round
}

// NewCoalescer returns a coalescer whose rounds wait window for their members.
func NewCoalescer(window time.Duration) *Coalescer {
	c := &Coalescer{window: window, queued: make(chan struct{})}
	c.wait = func(ctx context.Context) { sleep(ctx, c.window, nil) }
	return c
}

// Sink makes own a member of c's rounds: deliveries through the returned sink join the
// round under way, and when they lead one, own sends it. With a single member, a delivery
// goes straight through own.
func (c *Coalescer) Sink(own Sink) Sink {
	c.mu.Lock()
	c.members++
	c.mu.Unlock()
	return SinkFunc(func(ctx context.Context, events []*eventsv1.Event) error {
		return c.deliver(ctx, &delivery{sink: own, events: events, done: make(chan error, 1), promote: make(chan struct{}, 1)})
	})
}

// deliver queues d and waits for its round's outcome, leading the round if nobody does.
// The queue is empty whenever nobody leads, so the leader's own delivery is always the
// first of its round. A member never leaves before its round's outcome (not even when ctx
// ends: a multi-member round runs on a context of its own, bounded): a relay has at most
// one delivery in flight, as without a coalescer.
func (c *Coalescer) deliver(ctx context.Context, d *delivery) error {
	c.mu.Lock()
	if c.members < 2 {
		c.mu.Unlock()
		return d.sink.DeliverEvents(ctx, d.events)
	}
	c.queue = append(c.queue, d)
	c.queueChanged()
	if c.leading {
		c.mu.Unlock()
		select {
		case err := <-d.done:
			return err
		case <-d.promote: // those who came during the last round: they waited already
		}
	} else {
		c.leading = true
		c.mu.Unlock()
		c.wait(ctx)
	}
	c.round(ctx, d.sink)
	return <-d.done
}

// round sends the queue's first deliveries, up to MaxDeliveryEvents, through sink, then
// hands the lead to the first delivery that came meanwhile, if any.
func (c *Coalescer) round(ctx context.Context, sink Sink) {
	c.mu.Lock()
	n, size := 0, 0
	for n < len(c.queue) && (n == 0 || size+len(c.queue[n].events) <= MaxDeliveryEvents) {
		size += len(c.queue[n].events)
		n++
	}
	round := c.queue[:n:n]
	c.queue = c.queue[n:]
	c.queueChanged()
	c.mu.Unlock()

	c.send(ctx, sink, round)

	c.mu.Lock()
	if len(c.queue) == 0 {
		c.leading = false
	} else {
		c.queue[0].promote <- struct{}{}
	}
	c.mu.Unlock()
}

// queueChanged wakes those waiting for the queue to change; c.mu is held.
func (c *Coalescer) queueChanged() {
	close(c.queued)
	c.queued = make(chan struct{})
}

// send delivers one round through sink and tells each member its outcome.
func (c *Coalescer) send(ctx context.Context, sink Sink, round []*delivery) {
	if len(round) == 1 {
		round[0].done <- round[0].sink.DeliverEvents(ctx, round[0].events)
		return
	}
	// The round carries the others' events: the leader's relay ending (a service stopping
	// first) must not cut their call. It is bounded as an acknowledgement is.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
	defer cancel()
	var all []*eventsv1.Event
	for _, d := range round {
		all = append(all, d.events...)
	}
	if sink.DeliverEvents(ctx, all) == nil {
		for _, d := range round {
			d.done <- nil
		}
		return
	}
	for _, d := range round {
		d.done <- d.sink.DeliverEvents(ctx, d.events)
	}
}

package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
)

// Leaser is a store whose outbox is spread over partitions by a hash of the events' subjects
// (so that the events of one subject are in one partition, in order), and whose relays, in
// the replicas sharing it, each deliver the partitions they lease (package pgoutbox: session
// advisory locks). A store that is not a Leaser (the memory engines, one process) is relayed
// whole by its one relay per sink.
type Leaser interface {
	Store
	// Lease leases partitions of each of sinks for this process until ctx ends, sharing them
	// about evenly with the other processes leasing the same sinks of the same outbox, taking
	// over those of a process that stopped; it calls owned with a sink and the partitions
	// this process may deliver now (nil: none) whenever they change. When it returns, this
	// process holds none.
	Lease(ctx context.Context, log *slog.Logger, sinks []string, owned func(sink string, parts []int))
	// PendingIn is Pending restricted to the events of parts (not empty).
	PendingIn(ctx context.Context, sink string, parts []int, limit int) ([]*eventsv1.Event, error)
}

// RecordLinger is the Linger of the relays to the sinks that keep a record of what happened
// (RecordSinks): nobody waits for them to go on, so a woken relay lets the next commits'
// events join its batch. Fewer, larger deliveries: fewer gRPC calls, receiver commits and
// acknowledgements per event.
const RecordLinger = 250 * time.Millisecond

// RecordSinks are the sinks whose relays linger (RecordLinger): audit and notification.
var RecordSinks = []string{"audit", "notification"}

// Waker is a store that tells when events are appended, by any process sharing it (the
// PostgreSQL stores: LISTEN/NOTIFY, pgoutbox.Store.Wakeups). Its relays wake on that, in
// every replica, and the in-process Notify is not needed: Relays.Notify does nothing.
type Waker interface {
	// Wakeups calls wake with the sink of appended events until ctx ends; "" wakes every
	// sink.
	Wakeups(ctx context.Context, log *slog.Logger, wake func(sink string))
}

// Target names one sink of a service's outbox and what receives its events.
type Target struct {
	// Name is the sink's name in the outbox ("audit", "request", ...).
	Name string
	// Sink receives the events. Nil is a decision, logged at start: the events of this
	// sink wait in the outbox (delayed, never lost) until a process with a sink runs.
	Sink Sink
}

// Relays are the relays of one service's outbox, one per target with a sink, in the
// order of the targets.
type Relays struct {
	relays []*Relay
	log    *slog.Logger
	waker  Waker // nil: woken by Notify
	leaser Leaser
	parts  map[string]*atomic.Pointer[[]int] // leased partitions, by sink (with a leaser)
}

// NewRelays makes a relay for each target of store that has a sink. service names the
// producer in logs ("grantflow-task").
func NewRelays(service string, store Store, log *slog.Logger, targets ...Target) (*Relays, error) {
	if log == nil {
		log = slog.Default()
	}
	rs := &Relays{log: log}
	rs.waker, _ = store.(Waker)
	if l, ok := store.(Leaser); ok {
		rs.leaser, rs.parts = l, map[string]*atomic.Pointer[[]int]{}
	}
	for _, t := range targets {
		if t.Sink == nil {
			log.Warn("no sink for outbox events: they wait in the outbox", "service", service, "sink", t.Name)
			continue
		}
		o := RelayOptions{Name: t.Name, Store: store, Sink: t.Sink, Logger: log.With("relay", service+"->"+t.Name)}
		if slices.Contains(RecordSinks, t.Name) {
			o.Linger = RecordLinger
		}
		if rs.leaser != nil {
			held := &atomic.Pointer[[]int]{}
			rs.parts[t.Name] = held
			o.Partitions = func() []int {
				if p := held.Load(); p != nil {
					return *p
				}
				return nil
			}
		}
		r, err := NewRelay(o)
		if err != nil {
			return nil, fmt.Errorf("%s relay %s: %w", service, t.Name, err)
		}
		rs.relays = append(rs.relays, r)
	}
	return rs, nil
}

// Notify wakes every relay: events were committed. (With a Waker store it does nothing: the
// store's notifications do it.) Safe on a nil *Relays (nothing to wake),
// so a service can hand Notify to its app before the relays exist.
func (rs *Relays) Notify() {
	if rs == nil || rs.waker != nil {
		return // a Waker's notifications wake the relays (after every commit, of any process)
	}
	for _, r := range rs.relays {
		r.Notify()
	}
}

// Run delivers until ctx ends, and returns when every relay stopped.
func (rs *Relays) Run(ctx context.Context) {
	var wg sync.WaitGroup
	if rs.waker != nil && len(rs.relays) > 0 {
		wg.Go(func() {
			rs.waker.Wakeups(ctx, rs.log, func(sink string) {
				for _, r := range rs.relays {
					if sink == "" || sink == r.opts.Name {
						r.Notify()
					}
				}
			})
		})
	}
	if rs.leaser != nil && len(rs.relays) > 0 {
		sinks := make([]string, len(rs.relays))
		for i, r := range rs.relays {
			sinks[i] = r.opts.Name
		}
		wg.Go(func() {
			rs.leaser.Lease(ctx, rs.log, sinks, func(sink string, parts []int) {
				held, ok := rs.parts[sink]
				if !ok {
					return
				}
				parts = slices.Clone(parts)
				held.Store(&parts)
				for _, r := range rs.relays {
					if r.opts.Name == sink && len(parts) > 0 {
						r.Notify() // partitions taken over may hold events already
					}
				}
			})
		})
	}
	for _, r := range rs.relays {
		wg.Go(func() {
			if err := r.Run(ctx); err != nil && ctx.Err() == nil {
				rs.log.Error("relay stopped", "sink", r.opts.Name, "error", err.Error())
			}
		})
	}
	wg.Wait()
}

// Len is how many relays run (targets with a sink).
func (rs *Relays) Len() int { return len(rs.relays) }

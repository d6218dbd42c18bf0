package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/outbox/outboxtest"
)

// What the next step of a relay meets, by schedule byte % 6. The schedule is the fuzz
// input; once it is used up, every step succeeds.
const (
	stepOK        = iota
	stepRefused   // the sink refuses the batch: it has none of it
	stepReplyLost // the sink stores the batch, but the reply is lost (a crash after commit)
	stepCommit    // the sink stores the batch, and the producer commits two more events meanwhile
	stepReadFails // the outbox read fails
	stepAckFails  // the ack fails: the batch stays and goes out again
	stepKinds
)

// maxSchedule bounds one run (each failure costs a backoff of a microsecond or so).
const maxSchedule = 64

// FuzzRelayDeliversEachEventOnceInOrder drives a relay through a schedule of failures of the
// sink and of the outbox. A receiver that is idempotent on the event id, as audit is, must
// end with every event the producer committed exactly once, in commit order; the relay must
// never send an event before every earlier one has reached the receiver at least once; and
// the outbox must end empty. The seed corpus is testdata/fuzz/FuzzRelayDeliversEachEventOnceInOrder.
//
//	go test -run '^$' -fuzz FuzzRelayDeliversEachEventOnceInOrder -fuzztime 60s .
func FuzzRelayDeliversEachEventOnceInOrder(f *testing.F) {
	f.Fuzz(func(t *testing.T, batchSize uint8, schedule []byte) {
		schedule = schedule[:min(len(schedule), maxSchedule)]
		p := &producer{}
		p.commit(7)
		var (
			mu       sync.Mutex
			step     int
			failed   [stepKinds]uint64 // failures injected, by kind
			received []string          // ids in the order the receiver first stored them
			stored   = map[string]bool{}
			calls    [][]string // every batch the sink was sent
		)
		// next returns what the next step meets, and counts it as injected when the step is
		// one where that kind of failure happens.
		next := func(failures ...int) int {
			mu.Lock()
			defer mu.Unlock()
			if step >= len(schedule) {
				return stepOK
			}
			step++
			kind := int(schedule[step-1]) % stepKinds
			if slices.Contains(failures, kind) {
				failed[kind]++
			}
			return kind
		}
		sink := outbox.SinkFunc(func(_ context.Context, batch []*eventsv1.Event) error {
			kind := next(stepRefused, stepReplyLost)
			mu.Lock()
			calls = append(calls, ids(batch))
			mu.Unlock()
			if kind == stepRefused {
				return errors.New("sink down")
			}
			mu.Lock()
			for _, ev := range batch {
				if !stored[ev.Id] {
					stored[ev.Id] = true
					received = append(received, ev.Id)
				}
			}
			mu.Unlock()
			switch kind {
			case stepReplyLost:
				return errors.New("reply lost")
			case stepCommit:
				p.commit(2)
			}
			return nil
		})
		store := &scheduledStore{Store: &p.mem, next: next}
		r, err := outbox.NewRelay(outbox.RelayOptions{
			Name: "audit", Store: store, Sink: sink, BatchSize: 1 + int(batchSize%8),
			PollInterval: time.Hour, // the relay must not need polling: it goes on while events wait
			MaxBackoff:   time.Microsecond, Logger: quiet,
		})
		if err != nil {
			t.Fatal(err)
		}
		stop := outboxtest.Start(t, r)
		eventually(t, "the outbox to drain", func() bool {
			evs, _ := p.mem.Pending(t.Context(), "audit", 1)
			return len(evs) == 0
		})
		stop()

		mu.Lock()
		defer mu.Unlock()
		want := p.ids()
		if !slices.Equal(received, want) {
			t.Fatalf("receiver stored %v,\nwant each event once in commit order %v", received, want)
		}
		// Each batch starts at an event whose predecessors all reached the receiver, and
		// runs on in commit order without a hole.
		pos := make(map[string]int, len(want))
		for i, id := range want {
			pos[id] = i
		}
		seen := 0
		for c, batch := range calls {
			first := pos[batch[0]]
			if first > seen {
				t.Fatalf("call %d sent %v while %s had not reached the receiver", c, batch, want[seen])
			}
			for i, id := range batch {
				if pos[id] != first+i {
					t.Fatalf("call %d sent %v: not a run of consecutive events", c, batch)
				}
			}
			seen = max(seen, first+len(batch))
		}
		// Sink and ack failures all happen before the outbox drains; a read failure may
		// come after, as the relay stops, and then goes uncounted.
		before := failed[stepRefused] + failed[stepReplyLost] + failed[stepAckFails]
		if st := r.Stats(); st.Failures < before || st.Failures > before+failed[stepReadFails] {
			t.Errorf("relay counted %d failures, the schedule injected %d (and %d failed reads)", st.Failures, before, failed[stepReadFails])
		}
	})
}

// producer commits events to its outbox, as a service's store does.
type producer struct {
	mu     sync.Mutex
	mem    outbox.Memory
	events []string
}

func (p *producer) commit(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range n {
		id := fmt.Sprintf("e%03d", len(p.events))
		if err := p.mem.Append([]string{"audit"}, &eventsv1.Event{Id: id, Subject: fmt.Sprintf("things/%d", len(p.events)%3)}); err != nil {
			panic(err) // a valid append of a fresh id cannot fail
		}
		p.events = append(p.events, id)
	}
}

func (p *producer) ids() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.events)
}

// scheduledStore fails reads and acks when the schedule says so.
type scheduledStore struct {
	outbox.Store
	next func(failures ...int) int
}

func (s *scheduledStore) Pending(ctx context.Context, sink string, limit int) ([]*eventsv1.Event, error) {
	if s.next(stepReadFails) == stepReadFails {
		return nil, errors.New("outbox unreadable")
	}
	return s.Store.Pending(ctx, sink, limit)
}

func (s *scheduledStore) Ack(ctx context.Context, sink string, events []*eventsv1.Event) error {
	if s.next(stepAckFails) == stepAckFails {
		return errors.New("ack lost")
	}
	return s.Store.Ack(ctx, sink, events)
}

func ids(events []*eventsv1.Event) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.Id
	}
	return out
}

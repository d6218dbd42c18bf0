package storetestkit

import (
	"context"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/storekit"
)

// Emitter is a store's Tx that writes the outbox.
type Emitter = storekit.Emitter

// OutboxStore is a store whose transactions emit events and whose outbox the relays read.
type OutboxStore[Tx Emitter] interface {
	Store[Tx]
	outbox.Store
}

// EventIDs are the ids of evs, in order.
func EventIDs(evs []*eventsv1.Event) []string {
	return IDs(evs, (*eventsv1.Event).GetId)
}

// Outbox checks that s's transactions carry the outbox: what a transaction emits is pending
// for its sinks only once it commits (a reader outside sees none before), in the order
// emitted, with ascending SourceSeq, an id (Emit gives one to an event without) and a time,
// its fields kept; a later transaction's events come after; Pending keeps to its limit; Ack
// removes exactly the acknowledged events, of that sink only. newEvent(id) is an event of the
// service with that id.
func Outbox[Tx Emitter](t *testing.T, s OutboxStore[Tx], newEvent func(id string) *eventsv1.Event) {
	ctx := t.Context()
	unnamed := newEvent("")
	// The closure waits for release; a check that stops the test releases it too (deferred),
	// and done has room for its answer, so that the transaction never outlives the test.
	release, inside, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	go func() {
		done <- s.InTx(ctx, func(ctx context.Context, tx Tx) error {
			for _, emit := range []struct {
				sinks []string
				ev    *eventsv1.Event
			}{
				{[]string{"audit", "other"}, newEvent("e1")},
				{[]string{"audit", "other"}, newEvent("e2")},
				{[]string{"audit"}, newEvent("e3")},
				{[]string{"audit"}, unnamed},
			} {
				if err := tx.Emit(ctx, emit.sinks, emit.ev); err != nil {
					return err
				}
			}
			close(inside)
			<-release
			return nil
		})
	}()
	select {
	case <-inside:
		// A memory engine's reads of the outbox do not wait for its write lock.
		for _, sink := range []string{"audit", "other"} {
			Check(t, "Pending("+sink+") before the commit", EventIDs(Must(s.Pending(ctx, sink, 10))(t)), nil)
		}
		free()
	case err := <-done:
		t.Fatalf("InTx: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if unnamed.GetId() == "" {
		t.Fatal("Emit left the event without an id")
	}

	audit := Must(s.Pending(ctx, "audit", 10))(t)
	Check(t, "Pending(audit)", EventIDs(audit), []string{"e1", "e2", "e3", unnamed.GetId()})
	Check(t, "Pending(other)", EventIDs(Must(s.Pending(ctx, "other", 10))(t)), []string{"e1", "e2"})
	for i, ev := range audit {
		if i > 0 && ev.GetSourceSeq() <= audit[i-1].GetSourceSeq() {
			t.Errorf("SourceSeq %d after %d, want ascending", ev.GetSourceSeq(), audit[i-1].GetSourceSeq())
		}
		if ev.GetTime() == nil {
			t.Errorf("event %s has no time", ev.GetId())
		}
	}
	if len(audit) > 1 {
		got, want := proto.CloneOf(audit[1]), newEvent("e2")
		got.SourceSeq, got.Time, want.Time = 0, nil, nil
		if !proto.Equal(got, want) {
			t.Errorf("Pending(audit)[1] = %v, want the fields of %v", audit[1], want)
		}
	}

	// A later transaction's events come after.
	Write(t, s, func(ctx context.Context, tx Tx) error {
		if err := tx.Emit(ctx, []string{"audit"}, newEvent("e4")); err != nil {
			return err
		}
		return tx.Emit(ctx, []string{"audit"}, newEvent("e5"))
	})
	Check(t, "Pending(audit) after a second commit", EventIDs(Must(s.Pending(ctx, "audit", 10))(t)), []string{"e1", "e2", "e3", unnamed.GetId(), "e4", "e5"})
	first := Must(s.Pending(ctx, "audit", 2))(t)
	Check(t, "Pending(audit, 2)", EventIDs(first), []string{"e1", "e2"})

	// Ack removes exactly the acknowledged events, of that sink only.
	if err := s.Ack(ctx, "audit", first); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	Check(t, "Pending(audit) after its Ack", EventIDs(Must(s.Pending(ctx, "audit", 10))(t)), []string{"e3", unnamed.GetId(), "e4", "e5"})
	other := Must(s.Pending(ctx, "other", 10))(t)
	Check(t, "Pending(other) after audit's Ack", EventIDs(other), []string{"e1", "e2"})
	if err := s.Ack(ctx, "other", other[:1]); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	Check(t, "Pending(other) after acking e1", EventIDs(Must(s.Pending(ctx, "other", 10))(t)), []string{"e2"})
	if err := s.Ack(ctx, "other", other); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	Check(t, "Pending(other) after its Ack", EventIDs(Must(s.Pending(ctx, "other", 10))(t)), nil)
}

// Marker is a store's Tx that records the events its receiver applied.
type Marker = storekit.Marker

// MarkProcessed checks the receiver's dedupe: an event id is new the first time a
// transaction marks it, in that transaction and in every later one not; the mark of a
// transaction that fails is gone. fail is an error the closure returns to fail it.
func MarkProcessed[Tx Marker](t *testing.T, s Store[Tx], fail error) {
	mark := func(ctx context.Context, tx Tx, id string, want bool) {
		t.Helper()
		isNew, err := tx.MarkProcessed(ctx, id)
		if err != nil {
			t.Errorf("MarkProcessed(%s): %v", id, err)
		}
		Check(t, "new "+id, isNew, want)
	}
	Write(t, s, func(ctx context.Context, tx Tx) error {
		mark(ctx, tx, "ev-1", true)
		mark(ctx, tx, "ev-1", false) // again in the same transaction
		mark(ctx, tx, "ev-2", true)
		return nil
	})
	Write(t, s, func(ctx context.Context, tx Tx) error {
		mark(ctx, tx, "ev-1", false)
		mark(ctx, tx, "ev-2", false)
		mark(ctx, tx, "ev-3", true)
		return nil
	})
	err := s.InTx(t.Context(), func(ctx context.Context, tx Tx) error {
		mark(ctx, tx, "ev-4", true)
		return fail
	})
	WantErr(t, "InTx", err, fail)
	Write(t, s, func(ctx context.Context, tx Tx) error {
		mark(ctx, tx, "ev-4", true) // the failed transaction's mark is gone
		mark(ctx, tx, "ev-3", false)
		return nil
	})
}

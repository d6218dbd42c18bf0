package outbox_test

import (
	"context"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/outbox/outboxtest"
)

// memTx is how a memory store hands its transaction's batch to the suite.
type memTx struct{ b *outbox.Batch }

func (tx memTx) Append(sinks []string, ev *eventsv1.Event) error { return tx.b.Append(sinks, ev) }
func (tx memTx) MarkProcessed(id string) (bool, error)           { return tx.b.MarkProcessed(id), nil }
func (tx memTx) Retract(sink, id string) error                   { tx.b.Retract(sink, id); return nil }

func TestMemoryContract(t *testing.T) {
	outboxtest.Run(t, func(t *testing.T) outboxtest.Engine {
		mem := &outbox.Memory{}
		return outboxtest.Engine{
			Store: mem,
			InTx: func(_ context.Context, fn func(outboxtest.Tx) error) error {
				b := mem.Begin()
				if err := fn(memTx{b}); err != nil {
					return err
				}
				return b.Commit()
			},
		}
	})
}

func TestMemoryBatchCommitsOnceAndDetectsConflicts(t *testing.T) {
	var mem outbox.Memory
	ctx := t.Context()

	b := mem.Begin()
	if err := b.Append([]string{"audit"}, &eventsv1.Event{Id: "a"}); err != nil {
		t.Fatal(err)
	}
	if !b.MarkProcessed("p") {
		t.Fatal("fresh id reported as processed")
	}
	// Another transaction commits the same append and mark first.
	if err := mem.Append([]string{"audit"}, &eventsv1.Event{Id: "a"}); err != nil {
		t.Fatal(err)
	}
	if !mem.MarkProcessed("p") {
		t.Fatal("MarkProcessed: fresh id reported as processed")
	}
	if mem.MarkProcessed("p") {
		t.Fatal("MarkProcessed: repeated id reported as new")
	}
	if err := b.Commit(); err == nil {
		t.Fatal("conflicting batch committed")
	}
	if got, _ := mem.Pending(ctx, "audit", 10); len(got) != 1 {
		t.Errorf("pending = %d events after a refused commit, want 1", len(got))
	}

	ok := mem.Begin()
	if err := ok.Append([]string{"audit"}, &eventsv1.Event{Id: "b"}); err != nil {
		t.Fatal(err)
	}
	if err := ok.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := ok.Commit(); err == nil {
		t.Error("second Commit of a batch succeeded")
	}
	if got, _ := mem.Pending(ctx, "audit", 10); len(got) != 2 {
		t.Errorf("pending = %d events, want 2", len(got))
	}
}

func TestMemoryPendingReturnsCopies(t *testing.T) {
	var mem outbox.Memory
	ev := &eventsv1.Event{Id: "a", Subject: "x/1"}
	if err := mem.Append([]string{"audit"}, ev); err != nil {
		t.Fatal(err)
	}
	ev.Subject = "changed by the producer"
	got, _ := mem.Pending(t.Context(), "audit", 1)
	got[0].Subject = "changed by the reader"
	again, _ := mem.Pending(t.Context(), "audit", 1)
	if again[0].Subject != "x/1" {
		t.Errorf("stored event was changed through a pointer: subject %q", again[0].Subject)
	}
}

package outbox

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
)

// Memory is an in-memory outbox, and the processed-event set of an in-memory receiver. A
// service's memory store embeds one and writes to it through a [Batch] inside each of its
// transactions. The zero value is ready to use; it is safe for concurrent use.
type Memory struct {
	mu        sync.Mutex
	seq       int64
	pending   map[string][]*eventsv1.Event // by sink, SourceSeq ascending
	processed map[string]bool
}

var _ Store = (*Memory)(nil)

// Begin starts staging the outbox side of one store transaction.
func (m *Memory) Begin() *Batch {
	return &Batch{m: m}
}

// Append appends ev for sinks at once, as a transaction of its own.
func (m *Memory) Append(sinks []string, ev *eventsv1.Event) error {
	b := m.Begin()
	if err := b.Append(sinks, ev); err != nil {
		return err
	}
	return b.Commit()
}

// Undelivered is how many events wait for delivery, over every sink.
func (m *Memory) Undelivered() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, evs := range m.pending {
		n += len(evs)
	}
	return n
}

// Pending returns up to limit undelivered events of sink in append order.
func (m *Memory) Pending(ctx context.Context, sink string, limit int) ([]*eventsv1.Event, error) {
	if err := CheckLimit(limit); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rows := m.pending[sink]
	out := make([]*eventsv1.Event, 0, min(limit, len(rows)))
	for _, ev := range rows[:min(limit, len(rows))] {
		out = append(out, proto.CloneOf(ev))
	}
	return out, nil
}

// Ack removes the given events of sink, matched by SourceSeq.
func (m *Memory) Ack(ctx context.Context, sink string, events []*eventsv1.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	acked := make(map[int64]bool, len(events))
	for _, ev := range events {
		acked[ev.GetSourceSeq()] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.pending[sink]) == 0 {
		return nil
	}
	kept := m.pending[sink][:0]
	for _, ev := range m.pending[sink] {
		if !acked[ev.SourceSeq] {
			kept = append(kept, ev)
		}
	}
	clear(m.pending[sink][len(kept):]) // drop references to removed events
	m.pending[sink] = kept
	return nil
}

// MarkProcessed records eventID as applied, at once, and reports whether it is new. Inside a
// store transaction use [Batch.MarkProcessed], which rolls back with the transaction.
func (m *Memory) MarkProcessed(eventID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.processed[eventID] {
		return false
	}
	if m.processed == nil {
		m.processed = map[string]bool{}
	}
	m.processed[eventID] = true
	return true
}

// hasPendingLocked reports whether sink holds an undelivered event with id.
func (m *Memory) hasPendingLocked(sink, id string) bool {
	for _, ev := range m.pending[sink] {
		if ev.Id == id {
			return true
		}
	}
	return false
}

// Batch stages appends and processed marks of one memory-store transaction: they take effect
// on [Batch.Commit], and vanish with the batch if it is never committed (the transaction
// failed). A Batch belongs to one transaction and is not for concurrent use.
type Batch struct {
	m         *Memory
	rows      []stagedRow
	processed []string
	retracted []stagedRow // sink and event id
	done      bool
}

type stagedRow struct {
	sink string
	ev   *eventsv1.Event
}

// Append stages ev for each of sinks. It fills ev's Id and Time when empty (see [Stamp]) and
// fails if a sink already holds an undelivered event with that id, as the PostgreSQL engine
// does.
func (b *Batch) Append(sinks []string, ev *eventsv1.Event) error {
	if err := CheckAppend(sinks, ev); err != nil {
		return err
	}
	Stamp(ev)
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	for _, sink := range sinks {
		if b.m.hasPendingLocked(sink, ev.Id) || b.staged(sink, ev.Id) {
			return fmt.Errorf("outbox: append: event %s already pending for sink %q", ev.Id, sink)
		}
	}
	for _, sink := range sinks {
		b.rows = append(b.rows, stagedRow{sink: sink, ev: proto.CloneOf(ev)})
	}
	return nil
}

func (b *Batch) staged(sink, id string) bool {
	for _, r := range b.rows {
		if r.sink == sink && r.ev.Id == id {
			return true
		}
	}
	return false
}

// MarkProcessed stages eventID as applied by this transaction and reports whether it is new:
// false means an earlier transaction (or this one) already applied it, and the receiver
// should skip the event.
func (b *Batch) MarkProcessed(eventID string) bool {
	if slices.Contains(b.processed, eventID) {
		return false
	}
	b.m.mu.Lock()
	seen := b.m.processed[eventID]
	b.m.mu.Unlock()
	if seen {
		return false
	}
	b.processed = append(b.processed, eventID)
	return true
}

// Retract stages the removal of the undelivered event eventID of sink, appended by an
// earlier transaction, once it is no longer needed (a work item whose work this transaction
// did). An event that was delivered already, or never appended, is no error.
func (b *Batch) Retract(sink, eventID string) {
	b.retracted = append(b.retracted, stagedRow{sink: sink, ev: &eventsv1.Event{Id: eventID}})
}

// Commit makes the staged appends pending, with positions in staging order, and the staged
// marks processed. It fails, changing nothing, if another transaction committed a
// conflicting append or mark since they were staged: memory stores serialize their
// transactions, so that is a bug in the store.
func (b *Batch) Commit() error {
	if b.done {
		return fmt.Errorf("outbox: batch committed twice")
	}
	m := b.m
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range b.rows {
		if m.hasPendingLocked(r.sink, r.ev.Id) {
			return fmt.Errorf("outbox: commit: event %s already pending for sink %q", r.ev.Id, r.sink)
		}
	}
	for _, id := range b.processed {
		if m.processed[id] {
			return fmt.Errorf("outbox: commit: event %s was processed concurrently", id)
		}
	}
	b.done = true
	if m.pending == nil {
		m.pending = map[string][]*eventsv1.Event{}
	}
	for _, r := range b.rows {
		m.seq++
		r.ev.SourceSeq = m.seq
		m.pending[r.sink] = append(m.pending[r.sink], r.ev)
	}
	if m.processed == nil && len(b.processed) > 0 {
		m.processed = map[string]bool{}
	}
	for _, id := range b.processed {
		m.processed[id] = true
	}
	for _, r := range b.retracted {
		m.pending[r.sink] = slices.DeleteFunc(m.pending[r.sink], func(ev *eventsv1.Event) bool { return ev.Id == r.ev.Id })
	}
	return nil
}

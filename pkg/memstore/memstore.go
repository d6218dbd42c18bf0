package memstore

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"weak"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/storekit"
)

// Engine holds a memory engine's state S under one lock. Transactions (Write) hold the write
// lock throughout, so they run one at a time and a lock a store.Tx promises is already held.
type Engine[S any] struct {
	mu sync.RWMutex
	st S
	ob *outbox.Memory // nil: the engine has no outbox
}

// New is an engine on st, without an outbox (Tx.Emit fails).
func New[S any](st S) *Engine[S] { return &Engine[S]{st: st} }

// Read takes the read lock and returns the state; call done to release it. Nothing may
// write through the returned pointer.
func (e *Engine[S]) Read() (st *S, done func()) {
	e.mu.RLock()
	return &e.st, e.mu.RUnlock
}

// Write runs fn as one transaction, holding the write lock. fn writes into the state
// directly, logging how to undo each write on tx. When fn returns an error, panics (the panic
// goes on) or ends its goroutine (a test's t.Fatal), or the outbox refuses the batch at
// commit, the undo log runs, last write first, and no event fn emitted is kept. After a
// commit, with the lock released, what fn logged with Tx.OnCommit runs, in order.
func (e *Engine[S]) Write(fn func(st *S, tx *Tx) error) error {
	tx := &Tx{}
	if err := e.write(tx, fn); err != nil {
		return err
	}
	for _, f := range tx.onCommit {
		f()
	}
	return nil
}

func (e *Engine[S]) write(tx *Tx, fn func(st *S, tx *Tx) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ob != nil {
		tx.batch = e.ob.Begin()
	}
	committed := false
	defer func() {
		if !committed {
			tx.rollback()
		}
	}()
	if err := fn(&e.st, tx); err != nil {
		return err
	}
	if tx.batch != nil {
		if err := tx.batch.Commit(); err != nil {
			return err
		}
	}
	committed = true
	commits.Add(1)
	return nil
}

// commits and acks count the transactions every engine of the process committed and the
// deliveries its relays acknowledged.
var commits, acks atomic.Int64

// Commits is how many transactions the memory engines of this process have committed
// (Write calls that returned nil), for tests and benchmarks that count a call's cost.
func Commits() int64 { return commits.Load() }

// Acks is how many delivered batches the relays of this process's memory engines have
// acknowledged (each a write of its own on PostgreSQL).
func Acks() int64 { return acks.Load() }

// Ping answers unless ctx is done: the memory is always there.
func (e *Engine[S]) Ping(ctx context.Context) error { return ctx.Err() }

// Close does nothing: there is nothing to release.
func (e *Engine[S]) Close() {}

// WithOutbox is an engine with an in-memory outbox, which the relays read through Pending and
// Ack.
type WithOutbox[S any] struct {
	*Engine[S]
}

var _ outbox.Store = WithOutbox[struct{}]{}

// NewWithOutbox is an engine on st with an empty outbox.
func NewWithOutbox[S any](st S) WithOutbox[S] {
	ob := &outbox.Memory{}
	outboxesMu.Lock()
	outboxes = append(outboxes, weak.Make(ob))
	outboxesMu.Unlock()
	return WithOutbox[S]{&Engine[S]{st: st, ob: ob}}
}

// outboxes are the outboxes of the memory engines this process made, in order (weak, so
// that an engine no longer used goes).
var (
	outboxesMu sync.Mutex
	outboxes   []weak.Pointer[outbox.Memory]
)

// Outboxes is how many engines with an outbox this process has made so far: a mark for
// UndeliveredSince.
func Outboxes() int {
	outboxesMu.Lock()
	defer outboxesMu.Unlock()
	return len(outboxes)
}

// UndeliveredSince is how many events the outboxes of the memory engines made after mark
// (Outboxes) hold that no relay has delivered and acknowledged yet. When it is 0, none of
// their deliveries is in flight: a relay acknowledges a batch only after its receiver
// answered, and a receiver's own events enter its outbox when its transaction commits.
// Tests wait for it to count the whole cost of a call.
func UndeliveredSince(mark int) int {
	outboxesMu.Lock()
	defer outboxesMu.Unlock()
	n := 0
	for _, p := range outboxes[mark:] {
		if ob := p.Value(); ob != nil {
			n += ob.Undelivered()
		}
	}
	return n
}

// Pending returns the oldest undelivered events of sink.
func (w WithOutbox[S]) Pending(ctx context.Context, sink string, limit int) ([]*eventsv1.Event, error) {
	return w.ob.Pending(ctx, sink, limit)
}

// Ack removes delivered events of sink.
func (w WithOutbox[S]) Ack(ctx context.Context, sink string, events []*eventsv1.Event) error {
	err := w.ob.Ack(ctx, sink, events)
	if err == nil {
		acks.Add(1)
	}
	return err
}

// Tx is one transaction's undo log and outbox batch. A service's store.Tx embeds it.
type Tx struct {
	batch    *outbox.Batch
	undo     []func()
	onCommit []func()
}

// errNoOutbox is what Emit and MarkProcessed answer on an engine without an outbox.
var errNoOutbox = errors.New("memstore: this engine has no outbox")

// Emit appends ev to the outbox for sinks; the rows appear when the transaction commits.
func (t *Tx) Emit(_ context.Context, sinks []string, ev *eventsv1.Event) error {
	if t.batch == nil {
		return errNoOutbox
	}
	return t.batch.Append(sinks, ev)
}

// MarkProcessed records eventID as handled by this transaction; false if it already was.
func (t *Tx) MarkProcessed(_ context.Context, eventID string) (bool, error) {
	if t.batch == nil {
		return false, errNoOutbox
	}
	return t.batch.MarkProcessed(eventID), nil
}

// Retract removes the undelivered event eventID of sink when the transaction commits (see
// outbox.Batch.Retract).
func (t *Tx) Retract(_ context.Context, sink, eventID string) error {
	if t.batch == nil {
		return errNoOutbox
	}
	t.batch.Retract(sink, eventID)
	return nil
}

// OnRollback logs undo, which runs if the transaction does not commit (the last logged
// first).
func (t *Tx) OnRollback(undo func()) { t.undo = append(t.undo, undo) }

// OnCommit logs fn, which runs once the transaction has committed and released the write
// lock (to wake watchers of what it changed, say); it never runs if the transaction does not
// commit.
func (t *Tx) OnCommit(fn func()) { t.onCommit = append(t.onCommit, fn) }

func (t *Tx) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo = nil
}

// Remember logs the current value of m[k] (or its absence), so that a rollback restores it.
// Call it before writing m[k].
func Remember[K comparable, V any](t *Tx, m map[K]V, k K) {
	old, had := m[k]
	t.OnRollback(func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
}

// Put writes m[k] = v, logging on t how to undo it.
func Put[K comparable, V any](t *Tx, m map[K]V, k K, v V) {
	Remember(t, m, k)
	m[k] = v
}

// Delete deletes m[k], logging on t how to undo it.
func Delete[K comparable, V any](t *Tx, m map[K]V, k K) {
	Remember(t, m, k)
	delete(m, k)
}

// Insert is a create: it writes m[k] = v, logging on t how to undo it, for a k that m does not
// hold; storekit.ErrConflict, writing nothing, when it does.
func Insert[K comparable, V any](t *Tx, m map[K]V, k K, v V) error {
	if _, dup := m[k]; dup {
		return storekit.ErrConflict
	}
	Put(t, m, k, v)
	return nil
}

// InsertIndexed is Insert of m[k] = v that also enters k in the unique index idx under the
// row's key ik (idx[ik] = k); the zero ik is no key and enters nothing. storekit.ErrConflict,
// writing nothing, when m holds k or idx holds ik: the transaction stays usable.
func InsertIndexed[K, I comparable, V any](t *Tx, m map[K]V, k K, v V, idx map[I]K, ik I) error {
	var none I
	if _, dup := idx[ik]; dup && ik != none {
		return storekit.ErrConflict
	}
	if err := Insert(t, m, k, v); err != nil {
		return err
	}
	if ik != none {
		Put(t, idx, ik, k)
	}
	return nil
}

// CheckUpdate is the rule of a versioned update, for a value looked up as stored, found: nil
// when found and the update's version follows the stored one (stored+1), notFound when
// nothing is stored, conflict when the update did not read the stored version.
func CheckUpdate(found bool, stored, version int64, notFound, conflict error) error {
	switch {
	case !found:
		return notFound
	case stored != version-1:
		return conflict
	}
	return nil
}

// PruneLogs deletes from each log of logs (each oldest first) its leading entries that old
// reports, at most limit in all, logging on t how to undo it, and returns how many it
// deleted; a log left empty is removed (a memory engine's PruneChanges).
func PruneLogs[K comparable, V any](t *Tx, logs map[K][]V, old func(V) bool, limit int) int {
	n := 0
	for k, log := range logs {
		i := 0
		for i < len(log) && n < limit && old(log[i]) {
			i++
			n++
		}
		if i == 0 {
			continue
		}
		Remember(t, logs, k)
		if i == len(log) {
			delete(logs, k)
		} else {
			logs[k] = slices.Clone(log[i:]) // frees the pruned entries
		}
	}
	return n
}

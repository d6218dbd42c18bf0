package memstore

import (
	"context"

	"github.com/grantflow/grantflow/pkg/storekit"
)

// Shell is a memory store's engine (with its outbox) and its closure transaction, which hands
// the closure the service's own Tx: what a service's memory Store embeds, as a PostgreSQL
// store embeds pgstore.Shell.
type Shell[S, T any] struct {
	WithOutbox[S]
	wrap func(*S, *Tx) T
}

var _ storekit.Shell[struct{}] = Shell[struct{}, struct{}]{}

// NewShell is a shell on st with an empty outbox, whose transactions reach their closure as
// wrap(state, kit Tx).
func NewShell[S, T any](st S, wrap func(st *S, tx *Tx) T) Shell[S, T] {
	return Shell[S, T]{NewWithOutbox(st), wrap}
}

// InTx runs fn as one transaction (see Engine.Write): under the write lock, undone unless it
// commits.
func (s Shell[S, T]) InTx(ctx context.Context, fn func(ctx context.Context, tx T) error) error {
	return s.Write(func(st *S, mt *Tx) error { return fn(ctx, s.wrap(st, mt)) })
}

// View answers a read outside a transaction: fn (the state's own query) under e's read lock.
// A transaction holds the write lock already and reads the state directly.
func View[S, R any](e *Engine[S], fn func(st *S) (R, error)) (R, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return fn(&e.st)
}

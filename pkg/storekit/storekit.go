// Package storekit is what every service's store interface (internal/store) shares with the
// others: the closure transaction and the store's life ([Shell], and [OutboxShell] with the
// relays' outbox), the outbox side of a Tx ([Emitter], [Marker]), the errors every store
// answers with ([ErrNotFound], [ErrConflict]) and the page request ([Page]). The PostgreSQL
// and the memory engines' shells (pgstore.Shell, memstore.Shell) implement Shell for the
// service's own Tx; the contract suites (storetestkit) check that both keep it.
package storekit

import "context"

// Shell is a store's closure transaction on the service's Tx, its readiness check and its
// release. A service's store.Store embeds it beside its queries.
type Shell[Tx any] interface {
	// InTx runs fn in a transaction: all its writes (and the events it emits and the
	// deliveries it marks processed) commit together, or none. Inside fn read through tx
	// only (the memory engine holds its write lock, so reading through the store would
	// wait for ever), and keep fn free of outside effects: the PostgreSQL engine runs it
	// again after a serialization failure or a deadlock.
	InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
	// Ping reports whether the store answers (readiness).
	Ping(ctx context.Context) error
	// Close releases the store.
	Close()
}

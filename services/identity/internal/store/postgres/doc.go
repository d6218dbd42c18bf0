// Package postgres is the identity store's PostgreSQL engine, for production.
//
// It owns the "identity" schema: [Open] applies the kit's migrations (the outbox tables) and
// this package's own ([Migrations], goose SQL embedded from migrations/), and every
// connection resolves names in that schema only, so no query names it. Each write happens in
// a pgstore closure transaction (read committed) whose outbox rows (pgoutbox.Append) commit
// with it. pgstore runs the closure again after a serialization failure or a deadlock, so a
// closure given to [Store.InTx] may run more than once and must have no effects outside the
// transaction.
//
// Behaviour follows the contract suite (package storetest) that the memory engine also
// passes: ids order bytewise (their columns use the "C" collation); emails and app names are
// unique ignoring case (unique indexes on lower()); a write that violates a unique rule or a
// stale version returns store.ErrConflict and, short of a race with another transaction,
// leaves the transaction usable, as in the memory engine; LockDirectory takes a
// transaction-scoped advisory lock, which serializes directory changes across processes.
//
// postgres imports the store contract, the domain, pgx and the kit's pgstore and pgoutbox; it
// must not import the service layer, gRPC, or another engine.
package postgres

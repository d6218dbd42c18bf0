// Package store is the audit service's storage contract: an append-only log of chained
// events and of signed checkpoints, and the signing key when the service made its own.
//
// Writes happen in closures (Store.InTx). Appends are serialized by Tx.LockHead, across
// processes on PostgreSQL, so that seq and prev_hash follow one commit order; the chaining
// itself (package domain) happens in the application layer, the same for every engine.
// Nothing is ever updated or deleted.
//
// store imports the domain only; engines live in memory/ and postgres/, and both pass
// the contract suite in storetest/.
package store

// Package memory is the policy store's in-memory engine: the embedded default of the
// all-in-one process and of unit tests. Not for production: nothing survives a restart.
// A transaction holds the store's write lock and keeps an undo log, so a closure that
// fails leaves nothing behind; it refuses what the PostgreSQL engine's constraints and
// triggers refuse, so that the two cannot drift apart (package storetest checks both).
package memory

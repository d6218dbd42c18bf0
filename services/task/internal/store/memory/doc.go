// Package memory is the task store's in-memory engine: the embedded default of the
// all-in-one process and of unit tests. Not for production: nothing survives a restart.
// A transaction holds the store's write lock (which makes LockStep and LockTask trivially
// hold) and keeps an undo log, so a closure that fails leaves nothing behind.
package memory

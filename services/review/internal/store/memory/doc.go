// Package memory is the review store's in-memory engine: the embedded default, for the
// all-in-one process and tests; nothing survives a restart. One RWMutex guards the state;
// a transaction holds the write lock and logs how to undo each write.
package memory

// Package storetest is the task store's contract suite: the methods of [Cases] check every method of
// store.Reader and store.Tx, the transaction guarantees (a failed or panicking closure leaves
// nothing behind, events reach the outbox only with their commit) and the locks (LockStep and
// LockTask serialize the transactions that take them; concurrent creators of one step or one
// standalone key: exactly one wins), against a fresh engine per test.
//
// Both engines run it: the memory engine in package memory's tests, the PostgreSQL engine in
// package postgres's.
//
// storetest imports the store contract, the domain and the generated events only; it must not
// import any engine.
package storetest

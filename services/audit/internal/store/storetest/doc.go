// Package storetest is the audit store's contract suite: the methods of [Cases] check every method of
// store.Reader and store.Tx, the transaction guarantees (a failed or panicking closure
// leaves nothing behind, a transaction reads its own writes), that LockHead serializes
// appends so that concurrent writers build one consistent chain, and the checkpoints and
// signing-key rules, against a fresh engine per test.
//
// Both engines run it: the memory engine in package memory's tests, the PostgreSQL engine in
// package postgres's.
//
// storetest imports the store contract and the domain only; it must not import any
// engine.
package storetest

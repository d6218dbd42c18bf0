// Package storetest is the request store's contract suite: the methods of [Cases] check every method of
// store.Reader and store.Tx (round trips, client ids, every filter of ListRequests with
// newest-first paging, version-checked updates), the transaction guarantees (a failed or
// panicking closure leaves no request, no viewer, no event and no processed mark behind;
// events reach the outbox only with their commit, in order) and the concurrency rules
// (LockRequest serializes read-modify-write; of concurrent creators of one client id, and of
// concurrent markers of one event, exactly one wins), against a fresh engine per test.
//
// Both engines run it: the memory engine in package memory's tests, the PostgreSQL engine in
// package postgres's.
//
// storetest imports the store contract, the domain and the generated events only; it must
// not import any engine.
package storetest

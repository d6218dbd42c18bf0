// Package storetest is the policy store's contract suite: the methods of [Cases] check every method of
// store.Reader and store.Tx — scope claims, the draft -> active -> retired life of a
// version and the refusal to change history, the index generation and its change log —
// and the transaction guarantees (a failed or panicking closure leaves nothing behind,
// events reach the outbox only with their commit, LockPolicies serializes), against a
// fresh engine per test.
//
// Both engines run it: the memory engine in package memory's tests, the PostgreSQL engine
// in package postgres's. A behaviour one engine needs and the other lacks belongs here, so
// that neither engine gets a test the other does not.
//
// storetest imports the store contract, the domain and the generated events only; it must
// not import any engine.
package storetest

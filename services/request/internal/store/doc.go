// Package store is the request service's storage contract. Writes happen only inside InTx
// closures, where the change and its outbox events commit together. Two engines implement
// it (memory/ and postgres/); storetest/ is the contract suite both run.
//
// It must not import its engines, the application layer, gRPC or any SQL driver, and
// checks nothing about permissions or the state machine: app and domain do.
package store

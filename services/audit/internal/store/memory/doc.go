// Package memory is the audit store's in-memory engine: the embedded default, for the
// all-in-one process and tests. Nothing survives a restart, so neither does the chain or a
// generated signing key: it is not for production.
//
// One read-write mutex guards the log; a transaction holds the write lock from start to end,
// which serializes appends the way the PostgreSQL engine's advisory lock does. Stored
// events are never changed, so a Scan walks its snapshot without holding the lock.
//
// memory imports the store contract and the domain only.
package memory

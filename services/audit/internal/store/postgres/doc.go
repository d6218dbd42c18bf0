// Package postgres is the audit store's PostgreSQL engine, for production.
//
// It owns the "audit" schema: [Open] applies the kit's migrations and this package's own
// ([Migrations], embedded from migrations/), and every connection resolves names in that
// schema only. The tables events, checkpoints and signing_key refuse UPDATE, DELETE and
// TRUNCATE (triggers, and the owner's privileges revoked).
//
// Appends are one transaction per batch: LockHead takes a transaction-scoped advisory lock
// (one writer per database at a time, across replicas) and reads the head under it, so the
// chain's seq and prev_hash follow one commit order; Insert writes the whole batch with one
// COPY. Readers need no lock: rows never change once committed.
//
// [NewReader] reads through any pgx connection or transaction, so that a test can tamper
// with rows inside a transaction, verify through the same transaction, and roll back.
//
// postgres imports the store contract, the domain, pgx and the kit's pgstore; it must
// not import the service layer, gRPC, or another engine.
package postgres

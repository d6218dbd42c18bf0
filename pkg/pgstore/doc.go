// Package pgstore opens a service's PostgreSQL store: its own schema, a connection pool whose
// every connection uses that schema as search_path, the kit's and the service's migrations,
// and a closure transaction helper.
//
// A service owns one schema (Options.Schema). [Open] creates it when missing, applies the
// kit's migrations (package kitmigrations; goose table <schema>.kit_migrations) and then the
// service's embedded migrations (goose table <schema>.goose_migrations), holding a PostgreSQL
// advisory lock per (database, schema) so that replicas starting together take turns. [Migrate]
// does the same without opening a pool, for a `migrate` subcommand.
//
// Writes go through [DB.InTx]: it begins, runs the closure, commits, rolls back on error or
// panic, and runs the whole closure again on serialization failure (40001) or deadlock
// (40P01). It maps no other error; errors come back as PostgreSQL returned them, wrapped.
//
// pgstore knows no service and no domain: it must not import services, gRPC, or the outbox
// (the outbox tables arrive as plain SQL through kitmigrations).
package pgstore

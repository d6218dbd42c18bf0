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
// The BEGIN is not a round trip of its own: it goes with the closure's first statement, in one
// batch (pgx's Batch.BeginTx), and a closure that sends nothing opens no transaction at all.
//
// A service's store is built on the kit: it embeds a [Shell] (InTx handing the closure the
// service's own Tx, Ping, Close; or pgoutbox.Shell, or pgtimer.Shell, which add the outbox
// and the timers), its Open is an [Opener] of its [Schema] and its New, reads through a [Q]
// (a [Querier] with the store's [Errors]: [DB.Q] and [DB.On] name the store after its schema and
// map its [Schema.Codes]) with [One] and [All], takes its advisory locks with
// [Q.Lock], builds statements from the filters present with [Args] and [Where], and maps row
// counts with [Errors.Inserted], [Errors.Affected] and [Updated]. Errors.Wrap turns
// PostgreSQL's answers into the store's sentinel errors by SQLSTATE. A store whose triggers
// NOTIFY the keys that changed embeds a [Notified] for Watch and Listen.
//
// pgx's errors are classified here and only here: [Retryable] (a lost conflict) and
// [Unavailable] (the database is away: SQLSTATE classes 08 and 57P0x, 53300, and pgx's
// connection error types). Unavailable is registered with errs.RegisterStoreUnavailable at
// init, so that errs.ToStatus answers UNAVAILABLE without errs depending on pgx.
//
// pgstore knows no service and no domain: it must not import services, gRPC, or the outbox
// (the outbox tables arrive as plain SQL through kitmigrations).
package pgstore

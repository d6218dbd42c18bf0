// Package postgres is the policy store's PostgreSQL engine, for production.
//
// It owns the "policy" schema: [Open] applies the kit's migrations (the outbox tables) and
// this package's own ([Migrations], goose SQL embedded from migrations/), and every
// connection resolves names in that schema only. Each write happens in a pgstore closure
// transaction (read committed) whose outbox rows (pgoutbox.Append) commit with it; the
// closure may run again after a serialization failure or a deadlock.
//
// The schema enforces the rules of history by itself, for every writer: a trigger refuses
// any UPDATE of an active or retired version other than retiring it, and any DELETE of
// one (SQLSTATE GF001, reported as store.ErrImmutable); another keeps a policy's request
// type and scope fixed; partial unique indexes allow one active version per policy and one
// system default, global or app policy per request type (and app); the primary key of
// policy_permissions lets one policy claim each permission of an app. The Go code filters
// its writes so that normal refusals come back as "no row changed" and leave the
// transaction usable, as in the memory engine; the constraints are the backstop.
//
// LockPolicies takes a transaction-scoped advisory lock. BumpGeneration increments the one
// row of policy_index_generation, whose row lock also orders concurrent bumps, so a
// reader that sees generation N sees every change up to N committed.
//
// postgres imports the store contract, the domain, pgx and the kit's pgstore and pgoutbox;
// it must not import the service layer, gRPC, or another engine.
package postgres

// Package kitmigrations holds the SQL migrations that the kit itself needs in every service
// schema: today the transactional outbox (table outbox, used by package outbox/pgoutbox) and
// the receivers' dedupe table (processed_events).
//
// pgstore.Open applies them before the service's own migrations, with their own goose version
// table (<schema>.kit_migrations), so kit and service version numbers never collide. pgtest
// hashes them into its template names.
//
// Files are append-only once released: fix forward with a new numbered file.
//
// The package only embeds files; it must not import anything of the kit or of a service.
package kitmigrations

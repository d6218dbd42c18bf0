// Package pgtest gives each test its own PostgreSQL database, copied from a migrated template.
//
// [NewDatabase] builds, once per set of migrations, a template database named
// gf_tmpl_<schema>_<hash12>, where the hash covers the kit's and the service's migration
// files: change a migration and the next run builds a new template (and drops the schema's
// older templates that nobody uses). Building is guarded by a PostgreSQL advisory lock, so
// test binaries running in parallel build a template once between them. Each call then
// creates gf_test_<random> from the template (a file copy, no migrations to run), opens it with
// pgstore.Open and drops it WITH (FORCE) when the test ends. Tests may run in parallel.
//
// The server comes from testenv: without PostgreSQL the test is skipped (failed when CI=true).
//
// pgtest is for tests only. It imports pgstore and testenv; it must not import services or
// any production package other than pgstore.
package pgtest

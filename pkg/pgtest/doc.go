// Package pgtest gives each test its own PostgreSQL database, copied from a migrated
// template. It is a thin adapter over github.com/peterldowns/pgtestdb, which does the work:
//
//   - [NewDatabase] has pgtestdb build, once per set of migrations, a template database
//     (testdb_tpl_<hash>, where the hash covers the schema, the kit's and the service's
//     migration files, migrated with pgstore.Migrate: the code the services run). Building
//     is guarded by a PostgreSQL advisory lock, so test binaries running in parallel build a
//     template once between them, and a build that died halfway is redone. Each call then
//     creates testdb_tpl_<hash>_inst_<random> from the template (a file copy, no migrations
//     to run) and opens it with pgstore.Open. Tests may run in parallel.
//   - [NewEmptyDatabase] does the same with no migrations, for tests of migrations
//     themselves and for suites that run the services as processes.
//   - [URL] gives a test its database's URL, for connections of its own.
//
// The databases belong to the server URL's own user (pgtestdb creates no role), and when
// the test ends they are dropped, after the connections still open to them (a killed
// service's) are terminated. As pgtestdb does, a failed test's database is kept for
// inspection: its URL is in the test's log ("testdbconf: ..."). Templates of migrations
// that changed are not dropped; drop testdb_tpl_* by hand to reclaim them.
//
// For the stores' benchmarks: [BenchSize], [Explain], [ReportPercentiles].
//
// The server comes from testenv: without PostgreSQL the test is skipped (failed when CI=true).
//
// pgtest is for tests only. It imports pgstore, testenv and pgtestdb; it must not import
// services or any production package other than pgstore.
package pgtest

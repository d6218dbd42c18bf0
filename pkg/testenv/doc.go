// Package testenv tells tests where the integration tier's servers are: PostgreSQL and Redis.
//
// A test that needs a server asks for its URL ([PostgresURL], [RedisURL]). The server is
// checked once per test binary. When it does not answer, the test is skipped with a loud
// message, or fails when the environment variable CI is "true": in CI a tier that cannot run
// is an error, not a silent pass. Under `go test -short` (the unit tier) integration tests are
// skipped.
//
// Environment:
//
//	GRANTFLOW_TEST_POSTGRES_URL  default postgres://postgres@127.0.0.1:5432/postgres
//	GRANTFLOW_TEST_REDIS_URL     default redis://127.0.0.1:6379/0
//	CI                           "true": unreachable servers fail the test instead of skipping it
//
// testenv is imported by tests and test helpers only. It must not import any other package of
// the kit or any service: it knows only how to reach the servers.
package testenv

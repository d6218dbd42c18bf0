// Package servicetest runs Grantflow services in-process for their tests: each behind the
// kit's real server chain (pkg/grpcserver, pkg/auth) on an in-memory listener, calling
// each other with signed internal tokens as in production, and the people a test makes
// through identity's public API.
//
// It is imported by tests only. The services' own harnesses (services/*/harness_test.go)
// build on it; what differs between them (which services run, the seeded organization)
// stays in the harness.
package servicetest

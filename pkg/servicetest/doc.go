// Package servicetest runs Grantflow services in-process for their tests: each behind the
// kit's real server chain (pkg/grpcserver, pkg/auth) on an in-memory listener, calling
// each other with signed internal tokens as in production, and the people a test makes
// through identity's public API.
//
// It also has what the harnesses' tests share: waiting for what the outboxes deliver
// ([Eventually], [Await], [Recorder.Await], under a deadline that only bounds a hang),
// failing on a call's error ([Must]), reading a paged list ([AllPages]) and moving a
// manual clock to fire timers ([Tick]).
//
// It is imported by tests only. The services' own harnesses (services/*/harness_test.go)
// build on it; what differs between them (which services run, the seeded organization)
// stays in the harness.
package servicetest

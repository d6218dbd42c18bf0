// Package grpcclient dials other Grantflow services: OpenTelemetry client spans (so the
// trace continues into the called service), the caller carried as a signed internal
// token (pkg/auth), failed calls turned back into domain errors (errs.FromStatus), and one
// retry policy for every connection, built from the protos: a method whose rpc declares
// `option idempotency_level = NO_SIDE_EFFECTS` (reads) or `IDEMPOTENT` (writes a receiver
// applies once, such as event delivery) is retried on UNAVAILABLE, no other. No list of
// method names exists anywhere: declare the level on the rpc.
//
// grpcclient knows no service; it links the generated contracts (retry.go) so every
// process, whatever it imports, builds the same policy.
package grpcclient

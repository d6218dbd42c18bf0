// Package policy is the policy service: policies tied to a request type and a scope,
// their immutable versions (draft -> active -> retired), the shipped system defaults, and
// resolution (which active version governs a request, and why). New assembles it on the
// memory or the PostgreSQL engine and seeds the system defaults; Register puts its gRPC
// service on a server; the binary is cmd/policy, and the all-in-one process uses the same
// New. It reaches identity only through the generated client, never identity's code.
package policy

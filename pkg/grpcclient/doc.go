// Package grpcclient dials other Grantflow services: OpenTelemetry client spans (so the
// trace continues into the called service), the caller carried as a signed internal
// token (pkg/auth), and a retry policy for the calls the caller names as idempotent.
//
// grpcclient knows no service.
package grpcclient

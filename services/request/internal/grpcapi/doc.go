// Package grpcapi holds the request service's gRPC handlers: proto in, a call of the
// application layer (internal/app), proto out, nothing more. Validation by protovalidate
// and authentication happen before (pkg/grpcserver); error mapping after (pkg/errs).
//
// It must not import the store engines or any SQL driver, and holds no business rule.
package grpcapi

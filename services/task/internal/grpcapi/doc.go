// Package grpcapi holds the task service's gRPC handlers: proto in, a call of the
// application layer (internal/app), proto out, nothing more. Validation by protovalidate
// and authentication happen before (pkg/grpcserver); error mapping after (pkg/errs).
package grpcapi

// Package grpcapi holds the task service's gRPC handlers: proto in, one call of the
// application layer (internal/app), proto out, nothing more. Validation by protovalidate
// and authentication happen before (pkg/grpcserver); error mapping after (pkg/errs). It
// holds no business rule and imports no store engine or SQL driver.
//
// Every service splits its handlers the same way: Public (public.go) implements the
// public service, Internal (internal.go) the service only other Grantflow services may
// call, Sink (sink.go) grantflow.events.v1.EventSinkService, and convert.go the proto
// conversions (the shared ones are pkg/pbconv's).
//
// Here: Public is TaskService; Internal is TaskInternalService; Sink receives identity's
// user events.
package grpcapi

// Package grpcserver builds the gRPC server every Grantflow service runs: the interceptor
// chain (in one function, Interceptors, with its order explained), OpenTelemetry as the
// stats handler, grpc.health.v1, and reflection; and the handler plumbing every service
// shares (Deliver: the body of an event receiver's DeliverEvents; Sink: the whole
// EventSinkService on an application layer's Ingest).
//
// grpcserver knows no service.
package grpcserver

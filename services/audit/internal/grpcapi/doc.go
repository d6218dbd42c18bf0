// Package grpcapi implements the audit service's gRPC services: proto in, application call,
// proto out, nothing more. Errors pass through unchanged: the server's error interceptor
// maps them (pkg/errs) at the edge.
package grpcapi

// Package grpcapi holds the review service's gRPC handlers: proto in, one application call,
// proto out, nothing more. Errors pass through unchanged; the server's error interceptor
// maps them once.
package grpcapi

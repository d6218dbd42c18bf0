// Package memory is the embedded request store: everything in process memory, nothing
// survives a restart. It is the engine of the all-in-one process and of unit tests, never
// for production.
//
// It must not import the postgres engine, any SQL driver, gRPC or the application layer.
package memory

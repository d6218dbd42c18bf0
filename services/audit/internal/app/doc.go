// Package app is the audit service's application layer: ingestion (dedupe, chaining,
// one transaction per batch), queries with the visibility rules, verification, export, and
// the checkpointer. It authorizes every call through pkg/authz and returns pkg/errs errors;
// the gRPC handlers (package grpcapi) only translate.
//
// app imports the store contract and the domain, never an engine, and no gRPC (only
// the generated event type that it ingests).
package app

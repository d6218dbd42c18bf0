// Package app is the request service's application layer: every call's authorization,
// validation and transaction, and the orchestration that carries a request from submit to
// a closed state through the policy, task and identity services. The request domain
// decides a request's next move; this layer executes it (one store transaction with its
// outbox events, calls to the other services through their generated clients).
//
// It must not import gRPC (neither servers nor codes/status: the other services' failures
// reach it as pkg/errs kinds), grpcapi, the store engines (memory, postgres) or any SQL
// driver: it sees the store only through internal/store's interfaces.
package app

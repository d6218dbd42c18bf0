// Package app is the review service's application layer: every call of the public API as a
// Go method that authorizes the caller (from the principal in the context), applies the
// campaign and item rules (internal/domain), and writes through one store transaction
// together with its outbox events. It knows nothing of gRPC handlers or SQL: the handlers in
// grpcapi translate, the engines under store persist. It reaches identity and request only
// through their generated gRPC clients.
package app

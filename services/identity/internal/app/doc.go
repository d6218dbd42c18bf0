// Package app is the identity service's application layer: every call of the API as a Go
// method that authorizes the caller (pkg/authz, from the principal in the context),
// checks the directory's invariants, writes through one store transaction with its
// outbox events, and invalidates the caches the change affects. It knows nothing of gRPC
// or SQL: the handlers in grpcapi translate, the engines under store persist.
package app

// Package app is the task service's application layer: every call of the public and the
// internal API as a Go method that authorizes the caller (pkg/authz, from the principal in
// the context), applies the task state machine and the step rule (internal/domain), and
// writes through one store transaction together with its outbox events. It knows nothing of
// gRPC handlers or SQL: the handlers in grpcapi translate, the engines under store persist.
// It reaches identity only through the generated IdentityInternalService client.
package app

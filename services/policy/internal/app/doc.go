// Package app is the policy service's application layer: every call of the API as a Go
// method that authorizes the caller (pkg/authz, from the principal in the context),
// validates the input (the pure rules of package domain, then the references that only
// identity can confirm, through the Directory port), writes through one store transaction
// with its outbox events, and keeps the resolution index fresh. It knows nothing of gRPC
// or SQL: the handlers in grpcapi translate, the engines under store persist, and package
// directory talks to identity.
package app

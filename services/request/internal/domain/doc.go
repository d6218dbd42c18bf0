// Package domain holds the request service's model: a request, the policy version it
// pinned, and the rules of its state machine, as pure functions of a request (which step
// opens next, whether the effect is applied, when the request closes).
//
// It imports the standard library only: no gRPC, protobuf, SQL, store, app or kit package.
package domain

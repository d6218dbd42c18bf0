// Package errs holds Grantflow's domain errors and the one place where they become gRPC
// statuses.
//
// Domain code returns typed *Error values (Invalid, NotFound, FailedPrecondition, ...);
// the server's error interceptor calls ToStatus once, at the edge. Statuses that arrive
// from another Grantflow service pass through unchanged, so a typed error survives the
// hop. Anything else is an internal error: the caller sees only a short id, and the log
// holds the id with the real error.
//
// errs imports no service and no storage package.
package errs

package errs

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/status"
)

// Domain is the ErrorInfo domain of every Grantflow error.
const Domain = "grantflow.dev"

// Kind is the class of a domain error; each maps to one standard gRPC code.
type Kind int

const (
	KindInternal Kind = iota
	KindInvalid
	KindNotFound
	KindAlreadyExists
	KindFailedPrecondition
	KindAborted
	KindPermissionDenied
	KindUnauthenticated
	KindUnavailable
	KindResourceExhausted
)

// FieldViolation names one bad field of a request.
type FieldViolation struct {
	Field       string
	Description string
}

// Error is a domain error.
type Error struct {
	Kind    Kind
	Reason  string // UPPER_SNAKE_CASE, stable, for ErrorInfo.reason
	Message string // for people
	Fields  []FieldViolation
	Meta    map[string]string
	cause   error
	status  *status.Status // the status it was received as (FromStatus)
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Message + ": " + e.cause.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.cause }

// Wrap records the cause (kept for logs, never shown to callers).
func (e *Error) Wrap(cause error) *Error { e.cause = cause; return e }

// With adds ErrorInfo metadata.
func (e *Error) With(key, value string) *Error {
	if e.Meta == nil {
		e.Meta = map[string]string{}
	}
	e.Meta[key] = value
	return e
}

// Invalid is a bad value of one request field.
func Invalid(field, description string) *Error {
	return &Error{
		Kind:    KindInvalid,
		Reason:  "INVALID_ARGUMENT",
		Message: fmt.Sprintf("invalid %s: %s", field, description),
		Fields:  []FieldViolation{{Field: field, Description: description}},
	}
}

// InvalidFields is a request with several bad fields.
func InvalidFields(violations ...FieldViolation) *Error {
	parts := make([]string, len(violations))
	for i, v := range violations {
		parts[i] = v.Field + ": " + v.Description
	}
	return &Error{
		Kind:    KindInvalid,
		Reason:  "INVALID_ARGUMENT",
		Message: "invalid request: " + strings.Join(parts, "; "),
		Fields:  violations,
	}
}

// NotFound is a missing resource, or one the caller may not see.
func NotFound(kind, id string) *Error {
	return &Error{Kind: KindNotFound, Reason: "NOT_FOUND", Message: fmt.Sprintf("%s %q not found", kind, id)}
}

// AlreadyExists is a create that collides with an existing resource.
func AlreadyExists(reason, message string) *Error {
	return &Error{Kind: KindAlreadyExists, Reason: reason, Message: message}
}

// FailedPrecondition is a call the resource's state forbids.
func FailedPrecondition(reason, message string) *Error {
	return &Error{Kind: KindFailedPrecondition, Reason: reason, Message: message}
}

// Aborted is a lost race: a concurrent change, a stale etag, an id reused with another body.
func Aborted(reason, message string) *Error {
	return &Error{Kind: KindAborted, Reason: reason, Message: message}
}

// PermissionDenied is a known caller that may not do this.
func PermissionDenied(message string) *Error {
	return &Error{Kind: KindPermissionDenied, Reason: "PERMISSION_DENIED", Message: message}
}

// Unauthenticated is a call without valid credentials.
func Unauthenticated(message string) *Error {
	return &Error{Kind: KindUnauthenticated, Reason: "UNAUTHENTICATED", Message: message}
}

// Unavailable is a dependency that is down; the call may be retried.
func Unavailable(message string) *Error {
	return &Error{Kind: KindUnavailable, Reason: "UNAVAILABLE", Message: message}
}

// ResourceExhausted is a rate or size limit.
func ResourceExhausted(reason, message string) *Error {
	return &Error{Kind: KindResourceExhausted, Reason: reason, Message: message}
}

// KindOf reports the kind of a domain error anywhere in err's chain, or KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// Is reports whether err is a domain error of kind k.
func Is(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

package errs

import (
	"context"
	"errors"
	"log/slog"

	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
)

var kindCodes = map[Kind]codes.Code{
	KindInternal:           codes.Internal,
	KindInvalid:            codes.InvalidArgument,
	KindNotFound:           codes.NotFound,
	KindAlreadyExists:      codes.AlreadyExists,
	KindFailedPrecondition: codes.FailedPrecondition,
	KindAborted:            codes.Aborted,
	KindPermissionDenied:   codes.PermissionDenied,
	KindUnauthenticated:    codes.Unauthenticated,
	KindUnavailable:        codes.Unavailable,
	KindResourceExhausted:  codes.ResourceExhausted,
}

// ToStatus turns any error into the status the caller sees. It is called once per call,
// by the server's error interceptor. Internal errors are logged under a fresh id, and the
// caller sees only that id.
func ToStatus(ctx context.Context, log *slog.Logger, err error) *status.Status {
	if err == nil {
		return nil
	}
	var de *Error
	if errors.As(err, &de) && de.Kind != KindInternal {
		return de.GRPCStatus()
	}
	if st, ok := status.FromError(err); ok {
		// Already a status: from another Grantflow service (typed errors survive the hop)
		// or from gRPC itself. An Internal one from downstream is masked again here so
		// nothing leaks through two hops.
		if st.Code() != codes.Internal && st.Code() != codes.Unknown {
			return st
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, "the call was cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, "the call ran out of time")
	case StoreUnavailable(err):
		if log != nil {
			log.WarnContext(ctx, "store unavailable", "error", err.Error())
		}
		return domainStatus(Unavailable("the database is unavailable for a moment; retry the call").With("reason", "STORE_UNAVAILABLE"))
	}
	id := uuid.NewString()[:8]
	if log != nil {
		log.ErrorContext(ctx, "internal error", "error_id", id, "error", err.Error())
	}
	st := status.New(codes.Internal, "internal error (id "+id+")")
	if ds, derr := st.WithDetails(&errdetails.ErrorInfo{
		Reason:   "INTERNAL",
		Domain:   Domain,
		Metadata: map[string]string{"errorId": id},
	}); derr == nil {
		return ds
	}
	return st
}

func domainStatus(e *Error) *status.Status {
	st := status.New(kindCodes[e.Kind], e.Message)
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: e.Reason, Domain: Domain, Metadata: e.Meta}}
	if len(e.Fields) > 0 {
		br := &errdetails.BadRequest{}
		for _, f := range e.Fields {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field: f.Field, Description: f.Description,
			})
		}
		details = append(details, br)
	}
	ds, err := st.WithDetails(details...)
	if err != nil {
		return st
	}
	return ds
}

// FromStatus turns a status received from another service back into a domain error, so
// that code calling a client can branch on Kind.
func FromStatus(err error) error {
	st, ok := status.FromError(err)
	if !ok || st.Code() == codes.OK {
		return err
	}
	kind := KindInternal
	for k, c := range kindCodes {
		if c == st.Code() {
			kind = k
		}
	}
	if kind == KindInternal {
		return err
	}
	e := &Error{Kind: kind, Message: st.Message(), status: st}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			e.Reason, e.Meta = d.GetReason(), d.GetMetadata()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.Fields = append(e.Fields, FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		}
	}
	return e
}

// GRPCStatus is the status e stands for: the one it came from (FromStatus), else the one
// ToStatus would send. So status.Code and status.FromError still work on a domain error
// a client received.
func (e *Error) GRPCStatus() *status.Status {
	if e.status != nil {
		return e.status
	}
	return domainStatus(e)
}

// Temporary reports whether err is a dependency being unreachable or overloaded for now
// (worth trying again later) rather than an answer: a context that ended, a database that
// is unavailable, gRPC's own DEADLINE_EXCEEDED, or a domain error of kind Unavailable,
// Aborted or ResourceExhausted.
func Temporary(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || StoreUnavailable(err) {
		return true
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind == KindUnavailable || e.Kind == KindAborted || e.Kind == KindResourceExhausted
	}
	return status.Code(err) == codes.DeadlineExceeded
}

package scim

import (
	"net/http"
	"strings"

	scimerrors "github.com/elimity-com/scim/errors"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var errBodyTooLarge = scimerrors.ScimError{Status: http.StatusRequestEntityTooLarge, Detail: "request body too large"}

// invalid is a 400 invalidValue naming what is wrong.
func invalid(detail string) error {
	return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidValue, Detail: detail}
}

// mutability is a 400 mutability: the change does not fit the attribute or the resource's state.
func mutability(detail string) error {
	return scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeMutability, Detail: detail}
}

// fromStatus turns identity's answer into a SCIM error: bad input is 400 invalidValue with
// the field violations in the detail, a taken email 409 uniqueness, a state that forbids
// the change 400 mutability, a lost race 409. Internal errors keep identity's masked
// message (an id the logs hold).
func fromStatus(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return scimerrors.ScimError{Status: http.StatusInternalServerError, Detail: "internal error"}
	}
	detail := st.Message()
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			var parts []string
			for _, v := range br.GetFieldViolations() {
				parts = append(parts, v.GetField()+": "+v.GetDescription())
			}
			if len(parts) > 0 {
				detail += " (" + strings.Join(parts, "; ") + ")"
			}
		}
	}
	e := scimerrors.ScimError{Detail: detail}
	switch st.Code() {
	case codes.InvalidArgument:
		e.Status, e.ScimType = http.StatusBadRequest, scimerrors.ScimTypeInvalidValue
	case codes.AlreadyExists:
		e.Status, e.ScimType = http.StatusConflict, scimerrors.ScimTypeUniqueness
	case codes.FailedPrecondition:
		e.Status, e.ScimType = http.StatusBadRequest, scimerrors.ScimTypeMutability
	case codes.Aborted:
		e.Status = http.StatusConflict
	case codes.NotFound:
		e.Status = http.StatusNotFound
	case codes.PermissionDenied:
		e.Status = http.StatusForbidden
	case codes.Unauthenticated:
		e.Status = http.StatusUnauthorized
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded:
		// SCIM has no 503 of its own; clients retry 5xx.
		e.Status = http.StatusInternalServerError
	default:
		e.Status = http.StatusInternalServerError
	}
	return e
}

package errs

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestToStatus(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code codes.Code
	}{
		{Invalid("email", "not an email"), codes.InvalidArgument},
		{NotFound("user", "u1"), codes.NotFound},
		{AlreadyExists("EMAIL_TAKEN", "taken"), codes.AlreadyExists},
		{FailedPrecondition("NOT_PENDING", "decided"), codes.FailedPrecondition},
		{Aborted("STALE_ETAG", "stale"), codes.Aborted},
		{PermissionDenied("no"), codes.PermissionDenied},
		{Unauthenticated("who"), codes.Unauthenticated},
		{Unavailable("down"), codes.Unavailable},
		{ResourceExhausted("RATE", "slow down"), codes.ResourceExhausted},
		{fmt.Errorf("wrapped: %w", NotFound("app", "a")), codes.NotFound},
		{status.Error(codes.NotFound, "from downstream"), codes.NotFound},
		{status.Error(codes.Internal, "downstream secret"), codes.Internal},
		{context.Canceled, codes.Canceled},
		{errors.New("disk on fire"), codes.Internal},
	} {
		st := ToStatus(context.Background(), nil, tc.err)
		if st.Code() != tc.code {
			t.Errorf("%v: code %v, want %v", tc.err, st.Code(), tc.code)
		}
		if tc.code == codes.Internal && (st.Message() == "downstream secret" || st.Message() == "disk on fire") {
			t.Errorf("internal message leaked: %q", st.Message())
		}
	}
}

func TestBadRequestRoundTrip(t *testing.T) {
	st := ToStatus(context.Background(), nil, InvalidFields(FieldViolation{"email", "bad"}, FieldViolation{"manager_id", "unknown"}))
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	if len(fields) != 2 || fields[0] != "email" || fields[1] != "manager_id" {
		t.Fatalf("fields %v", fields)
	}
	back := FromStatus(st.Err())
	if KindOf(back) != KindInvalid || len(back.(*Error).Fields) != 2 {
		t.Fatalf("FromStatus lost the kind or fields: %#v", back)
	}
}

package app

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/grantflow/grantflow/pkg/errs"
)

// TestTransient: another service's refusal is final whether or not the connection turned
// the status into a domain error; an unreachable or overloaded dependency is worth retrying.
// (A refusal read as transient makes the sender deliver the event forever, and every event
// queued behind it, such as a user.offboarded, waits for ever.)
func TestTransient(t *testing.T) {
	refused := status.Error(codes.InvalidArgument, `invalid assignee_ids: user "u" is offboarded`)
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"bare INVALID_ARGUMENT status", refused, false},
		{"wrapped bare status", fmt.Errorf("open task: %w", refused), false},
		{"bare FAILED_PRECONDITION status", status.Error(codes.FailedPrecondition, "no"), false},
		{"bare NOT_FOUND status", status.Error(codes.NotFound, "gone"), false},
		{"domain INVALID_ARGUMENT", errs.FromStatus(refused), false},
		{"domain invalid", errs.Invalid("x", "bad"), false},
		{"bare UNAVAILABLE status", status.Error(codes.Unavailable, "down"), true},
		{"bare ABORTED status", status.Error(codes.Aborted, "conflict"), true},
		{"bare DEADLINE_EXCEEDED status", status.Error(codes.DeadlineExceeded, "slow"), true},
		{"bare CANCELED status", status.Error(codes.Canceled, "cancelled"), true},
		{"bare INTERNAL status", status.Error(codes.Internal, "bug"), true},
		{"context ended", context.DeadlineExceeded, true},
		{"local failure", errors.New("disk full"), true},
	} {
		if got := transient(c.err); got != c.want {
			t.Errorf("%s: transient(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}

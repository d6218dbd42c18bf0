package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"
	"google.golang.org/grpc/codes"

	"github.com/grantflow/grantflow/pkg/errs"
)

// TestUnavailableIsRetryableNotInternal: a dropped or refused connection is UNAVAILABLE
// (retry) once pgstore is linked in, a statement the database refuses stays what it was.
func TestUnavailableIsRetryableNotInternal(t *testing.T) {
	for _, c := range []struct {
		err  error
		want codes.Code
	}{
		{fmt.Errorf("get api key: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"}), codes.Unavailable},
		{&pgconn.PgError{Code: "08006"}, codes.Unavailable},
		{&pgconn.PgError{Code: "53300"}, codes.Unavailable},
		{fmt.Errorf("pgstore: begin: %w", pgconn.ErrConnClosed), codes.Unavailable},
		{fmt.Errorf("acquire: %w", puddle.ErrClosedPool), codes.Unavailable},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), codes.Unavailable},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, codes.Unavailable},
		{&pgconn.PgError{Code: CodeUniqueViolation}, codes.Internal}, // a unique violation the code did not map
		{&pgconn.PgError{Code: CodeSerializationFailure}, codes.Internal},
		{errors.New("conn closed"), codes.Internal}, // words are not a type
		{errors.New("something else"), codes.Internal},
	} {
		if got := errs.ToStatus(context.Background(), nil, c.err).Code(); got != c.want {
			t.Errorf("%v: %v, want %v", c.err, got, c.want)
		}
	}
}

func TestRetryable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("x: %w", &pgconn.PgError{Code: CodeSerializationFailure}), true},
		{&pgconn.PgError{Code: CodeDeadlockDetected}, true},
		{&pgconn.PgError{Code: CodeUniqueViolation}, false},
		{errors.New("40001"), false},
	} {
		if got := Retryable(c.err); got != c.want {
			t.Errorf("Retryable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

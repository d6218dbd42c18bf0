package errs

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/grpc/codes"
)

// TestStoreUnavailableIsRetryableNotInternal: a dropped or refused connection is
// UNAVAILABLE (retry), a statement the database refuses stays what it was.
func TestStoreUnavailableIsRetryableNotInternal(t *testing.T) {
	for _, c := range []struct {
		err  error
		want codes.Code
	}{
		{fmt.Errorf("get api key: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"}), codes.Unavailable},
		{&pgconn.PgError{Code: "08006"}, codes.Unavailable},
		{&pgconn.PgError{Code: "53300"}, codes.Unavailable},
		{fmt.Errorf("pgstore: begin: %w", errors.New("conn closed")), codes.Unavailable},
		{&pgconn.PgError{Code: "23505"}, codes.Internal}, // a unique violation the code did not map
		{errors.New("something else"), codes.Internal},
	} {
		if got := ToStatus(context.Background(), nil, c.err).Code(); got != c.want {
			t.Errorf("%v: %v, want %v", c.err, got, c.want)
		}
	}
}

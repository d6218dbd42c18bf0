package errs

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
)

var errGone = errors.New("the test database went away")

func init() {
	RegisterStoreUnavailable(func(err error) bool { return errors.Is(err, errGone) })
}

// TestStoreUnavailableIsRetryableNotInternal: an error a registered classifier calls
// unavailable is UNAVAILABLE (retry), any other stays INTERNAL. (The PostgreSQL classifier is
// tested in pkg/pgstore.)
func TestStoreUnavailableIsRetryableNotInternal(t *testing.T) {
	for _, c := range []struct {
		err  error
		want codes.Code
	}{
		{fmt.Errorf("get api key: %w", errGone), codes.Unavailable},
		{errGone, codes.Unavailable},
		{errors.New("something else"), codes.Internal},
	} {
		if got := ToStatus(context.Background(), nil, c.err).Code(); got != c.want {
			t.Errorf("%v: %v, want %v", c.err, got, c.want)
		}
	}
	if StoreUnavailable(nil) {
		t.Error("StoreUnavailable(nil) = true")
	}
}

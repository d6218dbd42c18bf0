package etag

import (
	"errors"
	"testing"

	"github.com/grantflow/grantflow/pkg/errs"
)

func TestCheck(t *testing.T) {
	if Of(7) != `"7"` {
		t.Fatalf("Of(7) = %s", Of(7))
	}
	if err := Check("", 7, "the user"); err != nil {
		t.Errorf("empty etag: %v", err)
	}
	if err := Check(Of(7), 7, "the user"); err != nil {
		t.Errorf("current etag: %v", err)
	}
	var e *errs.Error
	if err := Check(Of(6), 7, "the user"); !errors.As(err, &e) || e.Kind != errs.KindAborted || e.Reason != "STALE_ETAG" {
		t.Errorf("stale etag: %v, want ABORTED STALE_ETAG", err)
	}
}

package appkit

import (
	"errors"
	"fmt"
	"testing"

	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/storekit"
)

func notFound(t *testing.T, err error, want string) {
	t.Helper()
	if !errs.Is(err, errs.KindNotFound) || err.Error() != want {
		t.Fatalf("%v: want NOT_FOUND %q", err, want)
	}
}

// TestNotFoundMapsOnlyTheStoresNotFound: the store's ErrNotFound (wrapped or not) is
// NOT_FOUND naming the resource; any other error, and nil, pass as they are.
func TestNotFoundMapsOnlyTheStoresNotFound(t *testing.T) {
	notFound(t, NotFound(fmt.Errorf("read: %w", storekit.ErrNotFound), "task", "t1"), `task "t1" not found`)
	other := errors.New("down")
	if err := NotFound(other, "task", "t1"); err != other {
		t.Fatalf("other error: %v", err)
	}
	if err := NotFound(nil, "task", "t1"); err != nil {
		t.Fatalf("nil: %v", err)
	}
}

// TestVisibleHidesWhatTheCallerMayNotSee: a caller who may not see a resource gets the
// NOT_FOUND of one that does not exist, and no value.
func TestVisibleHidesWhatTheCallerMayNotSee(t *testing.T) {
	mine := func(owner string) bool { return owner == "me" }
	if v, err := Visible("task", "t1", mine)("me", nil); err != nil || v != "me" {
		t.Fatalf("visible: %q, %v", v, err)
	}
	v, err := Visible("task", "t1", mine)("someone", nil)
	notFound(t, err, `task "t1" not found`)
	if v != "" {
		t.Fatalf("hidden value handed out: %q", v)
	}
	_, err = Visible("task", "t1", mine)("", storekit.ErrNotFound)
	notFound(t, err, `task "t1" not found`)
	other := errors.New("down")
	if _, err := Visible("task", "t1", mine)("", other); err != other {
		t.Fatalf("other error: %v", err)
	}
}

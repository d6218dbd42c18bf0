package storetestkit

import (
	"context"
	"errors"
	"testing"
)

// errPanic is what PanicTx's closure panics with.
var errPanic = errors.New("storetestkit: the closure panics")

// FailTx runs change in a transaction of s whose closure then returns fail, and stops t
// unless InTx answers fail. The transaction must leave nothing behind: the caller checks.
func FailTx[Tx any](t testing.TB, s Store[Tx], change func(ctx context.Context, tx Tx) error, fail error) {
	t.Helper()
	err := s.InTx(t.Context(), func(ctx context.Context, tx Tx) error {
		if err := change(ctx, tx); err != nil {
			return err
		}
		return fail
	})
	if !errors.Is(err, fail) {
		t.Fatalf("InTx = %v, want the closure's error %v", err, fail)
	}
}

// PanicTx runs change in a transaction of s whose closure then panics, and fails t unless
// the panic comes back out of InTx. The transaction must leave nothing behind: the caller
// checks.
func PanicTx[Tx any](t testing.TB, s Store[Tx], change func(ctx context.Context, tx Tx) error) {
	t.Helper()
	defer func() {
		if r := recover(); r != errPanic {
			t.Errorf("recovered %v, want the closure's panic", r)
		}
	}()
	_ = s.InTx(t.Context(), func(ctx context.Context, tx Tx) error {
		if err := change(ctx, tx); err != nil {
			return err
		}
		panic(errPanic)
	})
}

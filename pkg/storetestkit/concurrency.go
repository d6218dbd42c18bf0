package storetestkit

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// Parallel runs fn(i) for i in [0, n) in n goroutines released at once, and returns their
// errors by i.
func Parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// Concurrently runs n transactions of s at once, released together: the i-th runs
// fn(ctx, tx, i). It returns their errors by i.
func Concurrently[Tx any](t testing.TB, s Store[Tx], n int, fn func(ctx context.Context, tx Tx, i int) error) []error {
	return Parallel(n, func(i int) error {
		return s.InTx(t.Context(), func(ctx context.Context, tx Tx) error { return fn(ctx, tx, i) })
	})
}

// AllWin fails t unless every one of errs is nil: writers that take turns (under a lock)
// all commit.
func AllWin(t testing.TB, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
}

// OneWins fails t unless exactly one of errs is nil and every other one is lost (the store's
// conflict error, say), and returns the winner's index; with no winner it stops t.
func OneWins(t testing.TB, errs []error, lost error) int {
	t.Helper()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("writers %d and %d both won", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, lost):
			t.Errorf("writer %d: err = %v, want nil or %v", i, err, lost)
		}
	}
	if won < 0 {
		t.Fatal("no writer won")
	}
	return won
}

// Package storetestkit is what every service's store contract suite (internal/store/storetest)
// shares: the suite's clock, comparison of stored values, helpers that write through a
// store's closure transaction ([Write], [Put], [Putter]) or run writers at once
// ([Parallel], [Concurrently], [OneWins], [AllWin]), a list's filter table ([FilterTable]),
// the cases every store with an outbox keeps ([Outbox], [MarkProcessed]), and [Suite],
// which runs a suite. The suites themselves stay with their services, as the methods of each service's
// storetest.Cases: they state each store's contract, which the memory and PostgreSQL engines
// both must keep.
package storetestkit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Base is the suites' clock origin: UTC, with sub-microsecond digits that PostgreSQL drops.
var Base = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)

// At returns a distinct instant for n (n minutes after Base), at microsecond precision.
func At(n int) time.Time {
	return Base.Add(time.Duration(n) * time.Minute).Truncate(time.Microsecond)
}

// CmpOpts compares stored values: nil and empty slices alike, times as instants at
// microsecond precision (PostgreSQL's), whatever their location.
var CmpOpts = []cmp.Option{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b time.Time) bool {
		return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
	}),
}

// Check fails t when got differs from want (under CmpOpts and opts).
func Check[T any](t testing.TB, what string, got, want T, opts ...cmp.Option) {
	t.Helper()
	if diff := cmp.Diff(want, got, append(CmpOpts[:len(CmpOpts):len(CmpOpts)], opts...)...); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

// Exact fails t when got differs from want in any way, nil and empty slices and a time's
// location included: for values a store must keep to the bit (audit's log).
func Exact[T any](t testing.TB, what string, got, want T) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

// Must takes a call's results and returns v, failing t at once when err is not nil:
// Must(s.GetUser(ctx, id))(t).
func Must[T any](v T, err error) func(t testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// WantErr fails t unless err is target.
func WantErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

// Store is what the helpers need of a service's store: its closure transaction, handing the
// closure the service's Tx.
type Store[Tx any] interface {
	InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
}

// Write runs fn in a transaction of s and fails t at once if it does not commit.
func Write[Tx any](t testing.TB, s Store[Tx], fn func(ctx context.Context, tx Tx) error) {
	t.Helper()
	if err := s.InTx(t.Context(), fn); err != nil {
		t.Fatalf("InTx: %v", err)
	}
}

// Put writes every v with put (a method expression such as store.Tx.CreateUser) in one
// transaction of s, failing t at once if any is refused.
func Put[Tx, V any](t testing.TB, s Store[Tx], put func(Tx, context.Context, V) error, vs ...V) {
	t.Helper()
	Write(t, s, func(ctx context.Context, tx Tx) error {
		for i, v := range vs {
			if err := put(tx, ctx, v); err != nil {
				return fmt.Errorf("put %T #%d: %w", v, i, err)
			}
		}
		return nil
	})
}

// Putter is [Put] bound to put, for a suite's helpers:
//
//	var createUsers = storetestkit.Putter(store.Tx.CreateUser) // createUsers(t, s, u1, u2)
func Putter[Tx, V any](put func(Tx, context.Context, V) error) func(t testing.TB, s Store[Tx], vs ...V) {
	return func(t testing.TB, s Store[Tx], vs ...V) {
		t.Helper()
		Put(t, s, put, vs...)
	}
}

// IDs maps items to their keys, in order.
func IDs[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, v := range items {
		out[i] = id(v)
	}
	return out
}

// PerTest is a contract suite's constructor for an engine that needs nothing of the test
// (the memory engine): each test gets newStore().
func PerTest[S any](newStore func() S) func(t *testing.T) S {
	return func(*testing.T) S { return newStore() }
}

// Pinger is a store that answers Ping.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Suite runs a contract suite: "Ping" and then every exported method of cases whose
// signature is func(*testing.T, X), with X a type a store from newStore is (the service's
// store.Store), as a test named after the method; each runs in parallel on a fresh store
// from newStore (which must return an empty store of the test's own). A suite is its
// methods, so adding a case is writing it: there is no table to keep in step. An exported
// method of another signature, or no case at all, fails t.
func Suite[S Pinger](t *testing.T, newStore func(t *testing.T) S, cases any) {
	t.Helper()
	tests, err := suiteCases(reflect.TypeFor[S](), reflect.ValueOf(cases))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Ping", func(t *testing.T) {
		t.Parallel()
		if err := newStore(t).Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn.Call([]reflect.Value{reflect.ValueOf(t), reflect.ValueOf(newStore(t))})
		})
	}
}

// Table runs a contract suite written as a table of functions (Suite runs one written as
// methods): each of cases as a test named after it, in parallel, in the order of their
// names, each on a fresh engine from newEngine (which must return an empty engine of the
// test's own).
func Table[E any](t *testing.T, newEngine func(t *testing.T) E, cases map[string]func(t *testing.T, e E)) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cases[name](t, newEngine(t))
		})
	}
}

type suiteCase struct {
	name string
	fn   reflect.Value
}

// suiteCases are the exported methods of cases that take (*testing.T, a store of type st).
func suiteCases(st reflect.Type, cases reflect.Value) ([]suiteCase, error) {
	if !cases.IsValid() {
		return nil, errors.New("storetestkit.Suite: no cases value")
	}
	var out []suiteCase
	for i := range cases.NumMethod() {
		name, fn := cases.Type().Method(i).Name, cases.Method(i)
		ft := fn.Type()
		if ft.NumIn() != 2 || ft.NumOut() != 0 || ft.In(0) != reflect.TypeFor[*testing.T]() || !st.AssignableTo(ft.In(1)) {
			return nil, fmt.Errorf("storetestkit.Suite: %s.%s is %s, want func(*testing.T, S) with S a %s", cases.Type(), name, ft, st)
		}
		out = append(out, suiteCase{name, fn})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("storetestkit.Suite: %s has no exported methods", cases.Type())
	}
	return out, nil
}

// Listed is a row of a list's filter table: the filter F and the ids it lists, in order.
type Listed[F any] struct {
	name string
	f    F
	want []string
}

// Lists is a row of a filter table: under name, f lists want, in that order (none: nothing).
func Lists[F any](name string, f F, want ...string) Listed[F] {
	return Listed[F]{name: name, f: f, want: want}
}

// FilterTable runs each row as a subtest named after it: list(t, f) must answer its ids.
func FilterTable[F any](t *testing.T, list func(t *testing.T, f F) []string, rows ...Listed[F]) {
	t.Helper()
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) { Check(t, "ids", list(t, r.f), r.want) })
	}
}

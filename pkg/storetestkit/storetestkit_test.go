package storetestkit

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/memstore"
)

// fakeStore commits what its closure wrote unless the closure fails.
type fakeStore struct{ rows []string }

type fakeTx struct{ staged *[]string }

func (tx fakeTx) Add(_ context.Context, v string) error {
	if v == "" {
		return errors.New("empty")
	}
	*tx.staged = append(*tx.staged, v)
	return nil
}

func (s *fakeStore) InTx(ctx context.Context, fn func(ctx context.Context, tx fakeTx) error) error {
	staged := slices.Clone(s.rows)
	if err := fn(ctx, fakeTx{&staged}); err != nil {
		return err
	}
	s.rows = staged
	return nil
}

func TestPutAndIDs(t *testing.T) {
	s := &fakeStore{}
	Put(t, s, fakeTx.Add, "a", "b")
	Check(t, "rows", s.rows, []string{"a", "b"})
	Check(t, "ids", IDs([]int{1, 2}, func(i int) string { return string(rune('0' + i)) }), []string{"1", "2"})
	Check(t, "times", At(1), At(1).In(time.FixedZone("x", 3600)))
	WantErr(t, "wrapped", errors.Join(context.Canceled), context.Canceled)
	if got := Must(3, nil)(t); got != 3 {
		t.Errorf("Must = %d", got)
	}
}

// memTx is a store Tx on the kit's memory engine: its outbox and its marks.
type memTx struct{ *memstore.Tx }

func newMemStore() memstore.Shell[struct{}, memTx] {
	return memstore.NewShell(struct{}{}, func(_ *struct{}, tx *memstore.Tx) memTx { return memTx{tx} })
}

func TestOutboxAndMarkProcessedOnTheMemoryEngine(t *testing.T) {
	Outbox(t, newMemStore(), func(id string) *eventsv1.Event {
		return &eventsv1.Event{Id: id, Service: "grantflow-test", Action: "thing.changed", Subject: "things/" + id}
	})
	MarkProcessed(t, newMemStore(), errors.New("boom"))
}

func TestParallelAndOneWins(t *testing.T) {
	conflict := errors.New("conflict")
	var mu sync.Mutex
	taken := false
	errs := Parallel(8, func(int) error {
		mu.Lock()
		defer mu.Unlock()
		if taken {
			return conflict
		}
		taken = true
		return nil
	})
	won := OneWins(t, errs, conflict)
	if errs[won] != nil {
		t.Errorf("OneWins = %d, whose error is %v", won, errs[won])
	}
}

func TestFailTxAndPanicTxLeaveNothing(t *testing.T) {
	s := newMemStore()
	put := func(ctx context.Context, tx memTx) error {
		return tx.Emit(ctx, []string{"sink"}, &eventsv1.Event{Id: "e1"})
	}
	FailTx(t, s, put, errors.New("boom"))
	PanicTx(t, s, put)
	Check(t, "pending", EventIDs(Must(s.Pending(t.Context(), "sink", 10))(t)), nil)
}

type pingStore struct{ ran *sync.Map }

func (pingStore) Ping(context.Context) error { return nil }

type pinger interface{ Ping(context.Context) error }

// suiteOf is a suite whose cases record that they ran, on the store Suite made.
type suiteOf struct{}

func (suiteOf) First(t *testing.T, s pinger)  { s.(pingStore).ran.Store(t.Name(), true) }
func (suiteOf) Second(t *testing.T, s pinger) { s.(pingStore).ran.Store(t.Name(), true) }

func TestSuiteRunsEveryMethod(t *testing.T) {
	ran := &sync.Map{}
	t.Run("suite", func(t *testing.T) {
		Suite(t, func(*testing.T) pingStore { return pingStore{ran} }, suiteOf{})
	})
	for _, name := range []string{"TestSuiteRunsEveryMethod/suite/First", "TestSuiteRunsEveryMethod/suite/Second"} {
		if _, ok := ran.Load(name); !ok {
			t.Errorf("%s did not run", name)
		}
	}
}

func TestTableRunsEveryCaseOnItsOwnEngine(t *testing.T) {
	var engines sync.Map // engine -> the test that got it
	record := func(t *testing.T, e *int) {
		if other, dup := engines.LoadOrStore(e, t.Name()); dup {
			t.Errorf("%s got the engine of %s", t.Name(), other)
		}
	}
	t.Run("table", func(t *testing.T) {
		Table(t, func(*testing.T) *int { return new(int) }, map[string]func(*testing.T, *int){"A": record, "B": record})
	})
	var ran []string
	engines.Range(func(_, name any) bool { ran = append(ran, name.(string)); return true })
	if slices.Sort(ran); !slices.Equal(ran, []string{"TestTableRunsEveryCaseOnItsOwnEngine/table/A", "TestTableRunsEveryCaseOnItsOwnEngine/table/B"}) {
		t.Errorf("ran %v", ran)
	}
}

type badSuite struct{}

func (badSuite) Good(*testing.T, pinger)      {}
func (badSuite) Bad(*testing.T, string) error { return nil }

func TestSuiteRefusesOtherSignatures(t *testing.T) {
	if _, err := suiteCases(reflect.TypeFor[pingStore](), reflect.ValueOf(badSuite{})); err == nil {
		t.Error("a method of another signature was accepted")
	}
	if _, err := suiteCases(reflect.TypeFor[pingStore](), reflect.ValueOf(struct{}{})); err == nil {
		t.Error("a suite without cases was accepted")
	}
}

func TestPutterConcurrentlyAndFilterTable(t *testing.T) {
	s := &fakeStore{}
	add := Putter(fakeTx.Add)
	add(t, s, "a")
	add(t, s, "b", "c")
	Check(t, "rows", s.rows, []string{"a", "b", "c"})

	var mu sync.Mutex // the fake store's transactions take turns, as a lock would make them
	errs := Concurrently(t, Store[fakeTx](lockedStore{s, &mu}), 4, func(ctx context.Context, tx fakeTx, i int) error {
		return tx.Add(ctx, string(rune('d'+i)))
	})
	AllWin(t, errs)
	slices.Sort(s.rows)
	Check(t, "rows after the writers", s.rows, []string{"a", "b", "c", "d", "e", "f", "g"})

	FilterTable(t, func(_ *testing.T, prefix string) []string {
		var out []string
		for _, r := range s.rows {
			if r >= prefix {
				out = append(out, r)
			}
		}
		return out
	},
		Lists("from f", "f", "f", "g"),
		Lists("past the end", "z"),
	)
}

// lockedStore runs fakeStore's transactions one at a time.
type lockedStore struct {
	s  *fakeStore
	mu *sync.Mutex
}

func (l lockedStore) InTx(ctx context.Context, fn func(ctx context.Context, tx fakeTx) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.InTx(ctx, fn)
}

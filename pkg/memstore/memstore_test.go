package memstore

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
)

type state struct{ m map[string]int }

func newEngine() WithOutbox[state] { return NewWithOutbox(state{m: map[string]int{"kept": 1}}) }

// put writes m[k] = v the way a store.Tx does: remember, then write.
func put(st *state, tx *Tx, k string, v int) {
	Remember(tx, st.m, k)
	st.m[k] = v
}

func snapshot(t *testing.T, e WithOutbox[state]) map[string]int {
	t.Helper()
	st, done := e.Read()
	defer done()
	out := map[string]int{}
	for k, v := range st.m {
		out[k] = v
	}
	return out
}

func pending(t *testing.T, e WithOutbox[state]) int {
	t.Helper()
	evs, err := e.Pending(context.Background(), "sink", 100)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func emitAndWrite(st *state, tx *Tx) error {
	put(st, tx, "kept", 2)
	put(st, tx, "new", 3)
	delete(st.m, "new") // writes after a Remember of the same key are undone too
	put(st, tx, "new", 4)
	return tx.Emit(context.Background(), []string{"sink"}, &eventsv1.Event{Id: "e1", Action: "t"})
}

// TestWriteCommitsOrUndoesEverything: a transaction's writes and events stay when it returns
// nil, and are all undone, events included, when it fails, panics or ends its goroutine.
func TestWriteCommitsOrUndoesEverything(t *testing.T) {
	failed := errors.New("refused")
	for name, run := range map[string]func(e WithOutbox[state]) error{
		"error": func(e WithOutbox[state]) error {
			return e.Write(func(st *state, tx *Tx) error {
				if err := emitAndWrite(st, tx); err != nil {
					return err
				}
				return failed
			})
		},
		"panic": func(e WithOutbox[state]) (err error) {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("recovered %v, want the panic to go on", r)
				}
				err = failed
			}()
			return e.Write(func(st *state, tx *Tx) error {
				_ = emitAndWrite(st, tx)
				panic("boom")
			})
		},
		"goexit": func(e WithOutbox[state]) error {
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = e.Write(func(st *state, tx *Tx) error {
					_ = emitAndWrite(st, tx)
					tx.OnRollback(func() {})
					runtime.Goexit()
					return nil
				})
			}()
			wg.Wait()
			return failed
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEngine()
			if err := run(e); !errors.Is(err, failed) {
				t.Fatalf("Write: %v, want %v", err, failed)
			}
			if got := snapshot(t, e); len(got) != 1 || got["kept"] != 1 {
				t.Errorf("state after rollback: %v, want map[kept:1]", got)
			}
			if n := pending(t, e); n != 0 {
				t.Errorf("%d events pending after rollback, want 0", n)
			}
		})
	}
	t.Run("commit", func(t *testing.T) {
		e := newEngine()
		if err := e.Write(emitAndWrite); err != nil {
			t.Fatal(err)
		}
		if got := snapshot(t, e); len(got) != 2 || got["kept"] != 2 || got["new"] != 4 {
			t.Errorf("state after commit: %v", got)
		}
		if n := pending(t, e); n != 1 {
			t.Errorf("%d events pending after commit, want 1", n)
		}
	})
}

// TestMarkProcessedOnlyOnCommit: a processed mark of a failed transaction does not count.
func TestMarkProcessedOnlyOnCommit(t *testing.T) {
	e := newEngine()
	mark := func(fail bool) (isNew bool) {
		_ = e.Write(func(_ *state, tx *Tx) error {
			var err error
			if isNew, err = tx.MarkProcessed(context.Background(), "ev"); err != nil {
				t.Fatal(err)
			}
			if fail {
				return errors.New("refused")
			}
			return nil
		})
		return isNew
	}
	if !mark(true) || !mark(false) || mark(false) {
		t.Error("want new, new (the first did not commit), then seen")
	}
}

// TestNoOutbox: an engine without an outbox refuses events instead of dropping them.
func TestNoOutbox(t *testing.T) {
	e := New(state{m: map[string]int{}})
	err := e.Write(func(_ *state, tx *Tx) error {
		return tx.Emit(context.Background(), []string{"sink"}, &eventsv1.Event{Id: "e1", Action: "t"})
	})
	if err == nil {
		t.Fatal("Emit without an outbox succeeded")
	}
	if err := e.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestShellHandsTheServiceTxAndViewReads(t *testing.T) {
	type svcTx struct {
		st *state
		*Tx
	}
	s := NewShell(state{m: map[string]int{}}, func(st *state, tx *Tx) svcTx { return svcTx{st, tx} })
	ctx := context.Background()
	if err := s.InTx(ctx, func(_ context.Context, tx svcTx) error {
		put(tx.st, tx.Tx, "a", 1)
		return tx.Emit(ctx, []string{"sink"}, &eventsv1.Event{Id: "e1"})
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := s.InTx(ctx, func(_ context.Context, tx svcTx) error {
		put(tx.st, tx.Tx, "a", 2)
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	got, err := View(s.Engine, func(st *state) (int, error) { return st.m["a"], nil })
	if err != nil || got != 1 {
		t.Errorf("View = %d, %v; want 1 (the failed write undone)", got, err)
	}
	if n := pending(t, s.WithOutbox); n != 1 {
		t.Errorf("pending = %d, want 1", n)
	}
}

func TestPutAndDeleteAreUndone(t *testing.T) {
	e := newEngine()
	boom := errors.New("boom")
	err := e.Write(func(st *state, tx *Tx) error {
		Put(tx, st.m, "new", 2)
		Put(tx, st.m, "kept", 3)
		Delete(tx, st.m, "kept")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want boom", err)
	}
	if got := snapshot(t, e); len(got) != 1 || got["kept"] != 1 {
		t.Errorf("state after rollback = %v, want only kept=1", got)
	}
}

func TestOnCommitRunsAfterACommitOnly(t *testing.T) {
	e := newEngine()
	var ran []string
	boom := errors.New("boom")
	_ = e.Write(func(st *state, tx *Tx) error {
		tx.OnCommit(func() { ran = append(ran, "failed") })
		return boom
	})
	if err := e.Write(func(st *state, tx *Tx) error {
		tx.OnCommit(func() {
			// The write lock is released: reading the state does not wait.
			st, done := e.Read()
			defer done()
			ran = append(ran, "committed", string(rune('0'+st.m["kept"])))
		})
		tx.OnCommit(func() { ran = append(ran, "second") })
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"committed", "1", "second"}; !slices.Equal(ran, want) {
		t.Errorf("ran = %v, want %v", ran, want)
	}
}

func TestCheckUpdate(t *testing.T) {
	notFound, conflict := errors.New("not found"), errors.New("conflict")
	for _, tc := range []struct {
		found           bool
		stored, version int64
		want            error
	}{{false, 0, 1, notFound}, {true, 1, 2, nil}, {true, 1, 1, conflict}, {true, 1, 3, conflict}, {true, 2, 2, conflict}} {
		if got := CheckUpdate(tc.found, tc.stored, tc.version, notFound, conflict); got != tc.want {
			t.Errorf("CheckUpdate(%v, %d, %d) = %v, want %v", tc.found, tc.stored, tc.version, got, tc.want)
		}
	}
}

// TestPruneLogs: the leading old entries of each log go, at most limit in all; a log left
// empty is removed; a rollback brings them back.
func TestPruneLogs(t *testing.T) {
	logs := map[string][]int{"a": {1, 2, 9}, "b": {1}, "c": {9}}
	old := func(v int) bool { return v < 5 }
	e := newEngine()
	boom := errors.New("boom")
	if err := e.Write(func(_ *state, tx *Tx) error {
		if n := PruneLogs(tx, logs, old, 10); n != 3 {
			t.Errorf("PruneLogs = %d, want 3", n)
		}
		return boom
	}); !errors.Is(err, boom) || len(logs["a"]) != 3 || len(logs["b"]) != 1 {
		t.Fatalf("after a rollback: %v, %v", logs, err)
	}
	n := 0
	for range 3 {
		_ = e.Write(func(_ *state, tx *Tx) error { n += PruneLogs(tx, logs, old, 2); return nil })
	}
	if n != 3 || len(logs) != 2 || len(logs["a"]) != 1 || logs["a"][0] != 9 || logs["c"][0] != 9 {
		t.Fatalf("pruned %d: %v; want 3, a: [9], c: [9]", n, logs)
	}
}

package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/pgtest"
)

var counters = fstest.MapFS{
	"00001_counters.sql": {Data: []byte(`-- +goose Up
CREATE TABLE counters (id int PRIMARY KEY, val int NOT NULL);
INSERT INTO counters VALUES (1, 0);
-- +goose Down
DROP TABLE counters;
`)},
}

func newCounterDB(t *testing.T) *pgstore.DB {
	t.Helper()
	return pgtest.NewDatabase(t, pgstore.Options{Schema: "txtest", Migrations: counters})
}

func counter(t *testing.T, db *pgstore.DB) int {
	t.Helper()
	var v int
	if err := db.Pool().QueryRow(context.Background(), "SELECT val FROM counters WHERE id = 1").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func add(ctx context.Context, tx pgx.Tx, n int) error {
	_, err := tx.Exec(ctx, "UPDATE counters SET val = val + $1 WHERE id = 1", n)
	return err
}

func TestInTxCommits(t *testing.T) {
	t.Parallel()
	db := newCounterDB(t)
	if err := db.InTx(t.Context(), func(tx pgx.Tx) error { return add(t.Context(), tx, 5) }); err != nil {
		t.Fatal(err)
	}
	if got := counter(t, db); got != 5 {
		t.Errorf("counter = %d, want 5", got)
	}
}

func TestInTxRollsBackOnErrorAndReturnsItOnce(t *testing.T) {
	t.Parallel()
	db := newCounterDB(t)
	errDomain := errors.New("domain says no")
	attempts := 0
	err := db.InTx(t.Context(), func(tx pgx.Tx) error {
		attempts++
		if err := add(t.Context(), tx, 5); err != nil {
			return err
		}
		return errDomain
	})
	if err != errDomain {
		t.Errorf("InTx error = %v, want the closure's own error value", err)
	}
	if attempts != 1 {
		t.Errorf("attempts = %d, want 1: only conflicts are retried", attempts)
	}
	if got := counter(t, db); got != 0 {
		t.Errorf("counter = %d after rollback, want 0", got)
	}
}

func TestInTxRollsBackOnPanicAndRepanics(t *testing.T) {
	t.Parallel()
	db := newCounterDB(t)
	type boom struct{}
	func() {
		defer func() {
			if p := recover(); p != (boom{}) {
				t.Errorf("recovered %v, want the closure's panic value", p)
			}
		}()
		_ = db.InTx(t.Context(), func(tx pgx.Tx) error {
			if err := add(t.Context(), tx, 5); err != nil {
				return err
			}
			panic(boom{})
		})
		t.Error("InTx returned instead of panicking")
	}()
	if got := counter(t, db); got != 0 {
		t.Errorf("counter = %d after panic, want 0", got)
	}
	// The connection went back to the pool usable, not stuck in a transaction.
	if err := db.InTx(t.Context(), func(tx pgx.Tx) error { return add(t.Context(), tx, 1) }); err != nil {
		t.Fatal(err)
	}
	if got := counter(t, db); got != 1 {
		t.Errorf("counter = %d, want 1", got)
	}
}

func TestInTxRetriesRealSerializationFailure(t *testing.T) {
	t.Parallel()
	db := newCounterDB(t)
	ctx := t.Context()
	attempts := 0
	err := db.InTxOptions(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		attempts++
		var v int
		if err := tx.QueryRow(ctx, "SELECT val FROM counters WHERE id = 1").Scan(&v); err != nil {
			return err
		}
		if attempts == 1 {
			// Another session changes the row after this transaction's snapshot.
			if _, err := db.Pool().Exec(ctx, "UPDATE counters SET val = val + 100 WHERE id = 1"); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, "UPDATE counters SET val = $1 WHERE id = 1", v+1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if attempts != 2 {
		t.Errorf("attempts = %d, want 2 (40001, then success)", attempts)
	}
	if got := counter(t, db); got != 101 {
		t.Errorf("counter = %d, want 101: the retry must see the other session's write", got)
	}
}

func TestInTxRetriesConflictsBoundedAndReturnsTheLastOne(t *testing.T) {
	t.Parallel()
	db := newCounterDB(t)
	for _, tc := range []struct {
		name         string
		failures     int
		code         string
		wantAttempts int
		wantErr      bool
	}{
		{"deadlock twice then success", 2, "40P01", 3, false},
		{"serialization failure forever", 100, "40001", 5, true},
		{"unique violation is not retried", 100, "23505", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attempts := 0
			err := db.InTx(t.Context(), func(tx pgx.Tx) error {
				attempts++
				if attempts <= tc.failures {
					return &pgconn.PgError{Code: tc.code, Message: "simulated"}
				}
				return nil
			})
			if attempts != tc.wantAttempts {
				t.Errorf("attempts = %d, want %d", attempts, tc.wantAttempts)
			}
			var pgErr *pgconn.PgError
			if tc.wantErr && (!errors.As(err, &pgErr) || pgErr.Code != tc.code) {
				t.Errorf("error = %#v, want the PgError %s", err, tc.code)
			}
			if !tc.wantErr && err != nil {
				t.Errorf("error = %v, want success", err)
			}
		})
	}
}

func TestInTxReturnsDatabaseErrorsUnmapped(t *testing.T) {
	t.Parallel()
	db := newCounterDB(t)
	err := db.InTx(t.Context(), func(tx pgx.Tx) error {
		_, err := tx.Exec(t.Context(), "INSERT INTO counters VALUES (1, 0)")
		return err
	})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		t.Fatalf("error = %v, want unique violation 23505", err)
	}
}

func TestInTxStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	db := newCounterDB(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	called := false
	err := db.InTx(ctx, func(pgx.Tx) error { called = true; return nil })
	if !errors.Is(err, context.Canceled) || called {
		t.Errorf("InTx on a cancelled context = %v (closure called: %v), want context.Canceled", err, called)
	}
}

func TestLockXactHoldsUntilTheTransactionEnds(t *testing.T) {
	db := newCounterDB(t)
	ctx := t.Context()
	tryLock := func() bool {
		t.Helper()
		var got bool
		if err := db.InTx(ctx, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock(hashtext($1))", "pgstore.test").Scan(&got)
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if err := db.InTx(ctx, func(tx pgx.Tx) error {
		if err := pgstore.LockXact(ctx, tx, "pgstore.test"); err != nil {
			return err
		}
		if tryLock() {
			t.Error("another transaction took the lock while it was held")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !tryLock() {
		t.Error("the lock was still held after its transaction ended")
	}
}

// The BEGIN goes with a transaction's first statement (one round trip less): whatever that
// statement is (Exec, Query, QueryRow, with a query option, failing), the transaction behaves
// as one begun on its own.
func TestInTxFirstStatementCarriesTheBegin(t *testing.T) {
	t.Parallel()
	db := newCounterDB(t)
	ctx := t.Context()
	inTxID := func(tx pgx.Tx) (id int64) {
		if err := tx.QueryRow(ctx, "SELECT txid_current_if_assigned() IS NULL, pg_current_xact_id()::text::bigint").Scan(new(bool), &id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	firsts := map[string]func(tx pgx.Tx) error{
		"Exec": func(tx pgx.Tx) error { return add(ctx, tx, 1) },
		"Query": func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, "UPDATE counters SET val = val + 1 WHERE id = 1 RETURNING val")
			if err != nil {
				return err
			}
			_, err = pgx.CollectRows(rows, pgx.RowTo[int])
			return err
		},
		"QueryRow": func(tx pgx.Tx) error {
			var v int
			return tx.QueryRow(ctx, "UPDATE counters SET val = val + 1 WHERE id = 1 RETURNING val").Scan(&v)
		},
		"QueryExecMode": func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "UPDATE counters SET val = val + $1 WHERE id = 1", pgx.QueryExecModeSimpleProtocol, 1)
			return err
		},
	}
	want := counter(t, db)
	for name, first := range firsts {
		// Committed, in one transaction with what follows.
		err := db.InTx(ctx, func(tx pgx.Tx) error {
			if err := first(tx); err != nil {
				return err
			}
			a, b := inTxID(tx), inTxID(tx)
			if a != b {
				t.Errorf("%s first: two statements in transactions %d and %d, want one", name, a, b)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s first: %v", name, err)
		}
		want++
		if got := counter(t, db); got != want {
			t.Errorf("%s first: counter = %d, want %d", name, got, want)
		}
		// Rolled back with the rest.
		errDomain := errors.New("no")
		if err := db.InTx(ctx, func(tx pgx.Tx) error {
			if err := first(tx); err != nil {
				return err
			}
			return errDomain
		}); err != errDomain {
			t.Fatalf("%s first, rolled back: err = %v", name, err)
		}
		if got := counter(t, db); got != want {
			t.Errorf("%s first, rolled back: counter = %d, want %d", name, got, want)
		}
	}

	// A first statement that fails reports its error, and the transaction is gone.
	var pgErr *pgconn.PgError
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		var v int
		return tx.QueryRow(ctx, "SELECT 1/0").Scan(&v)
	})
	if !errors.As(err, &pgErr) || pgErr.Code != "22012" {
		t.Errorf("failing first statement: err = %v, want division_by_zero", err)
	}
	// No row from the first statement: pgx.ErrNoRows, as from pgx's own QueryRow.
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		var v int
		return tx.QueryRow(ctx, "SELECT val FROM counters WHERE id = 2").Scan(&v)
	})
	if !errors.Is(err, pgx.ErrNoRows) {
		t.Errorf("no row: err = %v, want pgx.ErrNoRows", err)
	}
	// A transaction that sends nothing commits.
	if err := db.InTx(ctx, func(pgx.Tx) error { return nil }); err != nil {
		t.Errorf("empty transaction: %v", err)
	}
	// The pool has every connection back, none left in a transaction.
	if err := db.Pool().QueryRow(ctx, "SELECT 1").Scan(new(int)); err != nil {
		t.Fatal(err)
	}
	if n := db.Pool().Stat().AcquiredConns(); n != 0 {
		t.Errorf("%d connections still acquired after the transactions", n)
	}
}

package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5"
)

// maxTxAttempts bounds how often InTx runs a closure that keeps hitting conflicts.
const maxTxAttempts = 5

// InTx runs fn in a read-committed transaction; see InTxOptions.
func (db *DB) InTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return db.InTxOptions(ctx, pgx.TxOptions{}, fn)
}

// InTxOptions begins a transaction with opts, runs fn, and commits. It rolls back when fn
// returns an error or panics (and then panics again with the same value). When the
// transaction fails with a serialization failure (40001) or a deadlock (40P01), in fn or at
// commit, the whole closure runs again in a new transaction, with exponential backoff, up to
// 5 attempts in all: fn must therefore have no effects outside tx. So does a transaction whose
// connection dropped before its commit ([Unavailable]: nothing took effect); a failed
// commit is never re-run (it may have taken effect). Other errors are returned as they are,
// wrapped.
func (db *DB) InTxOptions(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	policy := backoff.NewExponentialBackOff()
	policy.InitialInterval = 5 * time.Millisecond
	policy.MaxInterval = 200 * time.Millisecond

	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := db.attempt(ctx, opts, fn)
		var ce *commitError
		if err != nil && errors.As(err, &ce) {
			// A commit that failed may still have committed (the answer was lost): running
			// the closure again could do its work twice. The caller sees the error.
			return struct{}{}, backoff.Permanent(err)
		}
		if err != nil && !Retryable(err) && !Unavailable(err) {
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(policy), backoff.WithMaxTries(maxTxAttempts), backoff.WithMaxElapsedTime(0))

	// Retry hands back the permanent wrapper itself when it stops on the last attempt.
	var permanent *backoff.PermanentError
	if errors.As(err, &permanent) {
		err = permanent.Unwrap()
	}
	return err
}

// attempt runs fn once in its own transaction, whose BEGIN goes with its first statement
// (lazyTx).
func (db *DB) attempt(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgstore: begin: %w", err) // as BeginTx would have said
	}
	tx := &lazyTx{pool: db.pool, opts: opts}
	committed := false
	defer func() {
		// Whatever ended fn without a commit (an error, a panic, runtime.Goexit as in a
		// test's t.Fatal), roll back so that the connection goes back to the pool. A failed
		// rollback (e.g. a broken connection) changes nothing for the caller: the
		// transaction did not commit either way.
		if !committed {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committed = true // a failed commit ends the transaction too
	if err := tx.Commit(ctx); err != nil {
		if Retryable(err) {
			return fmt.Errorf("pgstore: commit: %w", err) // refused, certainly not committed
		}
		return &commitError{err: err}
	}
	return nil
}

// commitError is a commit that failed for a reason other than a serialization conflict:
// whether it took effect is unknown.
type commitError struct{ err error }

func (e *commitError) Error() string { return "pgstore: commit: " + e.err.Error() }
func (e *commitError) Unwrap() error { return e.err }

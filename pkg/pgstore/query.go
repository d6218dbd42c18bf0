package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Querier is what a store reads and writes through: the pool outside a transaction, the
// pgx.Tx inside one.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Errors names a store in its errors and gives its sentinel errors, which Wrap maps
// PostgreSQL's answers to.
type Errors struct {
	Store              string // "task store"
	NotFound, Conflict error
}

// Wrap names the operation in err and maps PostgreSQL's answers to the store's errors: no
// row is NotFound, a unique violation Conflict.
func (e Errors) Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return e.NotFoundIn(op)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
		return fmt.Errorf("%s: %s: %w (%s)", e.Store, op, e.Conflict, pgErr.ConstraintName)
	}
	return fmt.Errorf("%s: %s: %w", e.Store, op, err)
}

// NotFoundIn is the store's NotFound, naming the operation.
func (e Errors) NotFoundIn(op string) error { return fmt.Errorf("%s: %s: %w", e.Store, op, e.NotFound) }

// ConflictIn is the store's Conflict, naming the operation.
func (e Errors) ConflictIn(op string) error { return fmt.Errorf("%s: %s: %w", e.Store, op, e.Conflict) }

// One returns the single row sql selects, scanned by scan; the store's NotFound if none.
func One[T any](ctx context.Context, q Querier, e Errors, op string, scan pgx.RowToFunc[T], sql string, args ...any) (T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		var zero T
		return zero, e.Wrap(op, err)
	}
	v, err := pgx.CollectExactlyOneRow(rows, scan)
	return v, e.Wrap(op, err)
}

// All returns the rows sql selects, scanned by scan; never nil.
func All[T any](ctx context.Context, q Querier, e Errors, op string, scan pgx.RowToFunc[T], sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, e.Wrap(op, err)
	}
	vs, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, e.Wrap(op, err)
	}
	if vs == nil {
		vs = []T{}
	}
	return vs, nil
}

// OrEmpty makes a nil list an empty one, for NOT NULL array and JSON columns.
func OrEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// NullIfEmpty is s as a nullable text: NULL for "".
func NullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

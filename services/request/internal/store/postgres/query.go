package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/grantflow/grantflow/services/request/internal/store"
)

// querier is what the store reads and writes through: the pool outside a transaction, the
// pgx.Tx inside one.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// reader answers store.Reader's queries through q.
type reader struct {
	q querier
}

// one returns the single row sql selects, scanned by scan; store.ErrNotFound if none.
func one[T any](ctx context.Context, q querier, op string, scan pgx.RowToFunc[T], sql string, args ...any) (T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		var zero T
		return zero, wrap(op, err)
	}
	v, err := pgx.CollectExactlyOneRow(rows, scan)
	return v, wrap(op, err)
}

// all returns the rows sql selects, scanned by scan; never nil.
func all[T any](ctx context.Context, q querier, op string, scan pgx.RowToFunc[T], sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	vs, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, wrap(op, err)
	}
	if vs == nil {
		vs = []T{}
	}
	return vs, nil
}

// wrap names the operation in err and maps PostgreSQL's answers to the store's errors: no
// row is store.ErrNotFound, a unique violation store.ErrConflict.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(op)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
		return fmt.Errorf("request store: %s: %w (%s)", op, store.ErrConflict, pgErr.ConstraintName)
	}
	return fmt.Errorf("request store: %s: %w", op, err)
}

func notFound(op string) error { return fmt.Errorf("request store: %s: %w", op, store.ErrNotFound) }

func conflict(op string) error { return fmt.Errorf("request store: %s: %w", op, store.ErrConflict) }

// orEmpty makes a nil list an empty one, for NOT NULL array columns.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// nullIfEmpty is s as a nullable text: NULL for "".
func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// querier is what the store reads and writes through: the pool outside a transaction, the
// pgx.Tx inside one.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
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

// immutableCode is the SQLSTATE the guard triggers raise.
const immutableCode = "GF001"

// wrap names the operation and maps what the contract names: no row, a unique violation,
// the guard trigger.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return fmt.Errorf("%s: %w (%s)", op, store.ErrConflict, pgErr.ConstraintName)
		case immutableCode:
			return fmt.Errorf("%s: %w (%s)", op, store.ErrImmutable, pgErr.Message)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// limit turns a page size into a LIMIT argument (NULL: no limit).
func limit(n int) *int {
	if n <= 0 {
		return nil
	}
	return &n
}

// orEmpty makes a nil list an empty one, for NOT NULL array columns.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// nullTime is t as a nullable timestamptz: NULL for the zero time.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// timeOf is the stored nullable time as a time.Time in UTC (zero for NULL).
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

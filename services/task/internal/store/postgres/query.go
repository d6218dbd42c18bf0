package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// querier is what the store reads and writes through: the pool outside a transaction, the
// pgx.Tx inside one.
type querier = pgstore.Querier

// reader answers store.Reader's queries through q.
type reader struct {
	q querier
}

// storeErrors maps PostgreSQL's answers to the store's errors (pgstore.Errors.Wrap).
var storeErrors = pgstore.Errors{Store: "task store", NotFound: store.ErrNotFound, Conflict: store.ErrConflict}

// one returns the single row sql selects, scanned by scan; store.ErrNotFound if none.
func one[T any](ctx context.Context, q querier, op string, scan pgx.RowToFunc[T], sql string, args ...any) (T, error) {
	return pgstore.One(ctx, q, storeErrors, op, scan, sql, args...)
}

// all returns the rows sql selects, scanned by scan; never nil.
func all[T any](ctx context.Context, q querier, op string, scan pgx.RowToFunc[T], sql string, args ...any) ([]T, error) {
	return pgstore.All(ctx, q, storeErrors, op, scan, sql, args...)
}

func wrap(op string, err error) error { return storeErrors.Wrap(op, err) }
func notFound(op string) error        { return storeErrors.NotFoundIn(op) }
func conflict(op string) error        { return storeErrors.ConflictIn(op) }

// orEmpty makes a nil list an empty one, for NOT NULL array and JSON columns.
func orEmpty[T any](s []T) []T { return pgstore.OrEmpty(s) }

// nullIfEmpty is s as a nullable text: NULL for "".
func nullIfEmpty(s string) *string { return pgstore.NullIfEmpty(s) }

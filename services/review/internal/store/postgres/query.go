package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

// reader answers store.Reader's queries through q: the pool outside a transaction, the
// pgx.Tx inside one.
type reader struct {
	q pgstore.Querier
}

// storeErrors maps PostgreSQL's answers to the store's errors (pgstore.Errors.Wrap).
var storeErrors = pgstore.Errors{Store: "review store", NotFound: store.ErrNotFound, Conflict: store.ErrConflict}

func one[T any](ctx context.Context, q pgstore.Querier, op string, scan pgx.RowToFunc[T], sql string, args ...any) (T, error) {
	return pgstore.One(ctx, q, storeErrors, op, scan, sql, args...)
}

func all[T any](ctx context.Context, q pgstore.Querier, op string, scan pgx.RowToFunc[T], sql string, args ...any) ([]T, error) {
	return pgstore.All(ctx, q, storeErrors, op, scan, sql, args...)
}

func wrap(op string, err error) error { return storeErrors.Wrap(op, err) }
func conflict(op string) error        { return storeErrors.ConflictIn(op) }

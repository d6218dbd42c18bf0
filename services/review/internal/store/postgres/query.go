package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
)

func one[T any](ctx context.Context, q pgstore.Q, op string, scan pgx.RowToFunc[T], sql string, args ...any) (T, error) {
	return pgstore.One(ctx, q, op, scan, sql, args...)
}

func all[T any](ctx context.Context, q pgstore.Q, op string, scan pgx.RowToFunc[T], sql string, args ...any) ([]T, error) {
	return pgstore.All(ctx, q, op, scan, sql, args...)
}

func wrap(op string, err error) error { return storeErrors.Wrap(op, err) }
func conflict(op string) error        { return storeErrors.ConflictIn(op) }

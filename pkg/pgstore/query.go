package pgstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/grantflow/grantflow/pkg/storekit"
)

// Querier is what a store reads and writes through: the pool outside a transaction, the
// pgx.Tx inside one (or a *pgx.Conn).
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Errors names a store in its errors and gives its sentinel errors, which Wrap maps
// PostgreSQL's answers to.
type Errors struct {
	Store string // "task store"
	// NotFound and Conflict are the store's sentinels; nil means the kit's,
	// storekit.ErrNotFound and storekit.ErrConflict, which every service's store re-exports.
	NotFound, Conflict error
	// Codes maps further SQLSTATEs (a guard trigger's own code, say) to the store's errors.
	Codes map[string]error
}

// On is q answering with these errors: what One and All read through.
func (e Errors) On(q Querier) Q { return Q{Querier: q, Errors: e} }

// Q is a Querier together with its store's Errors.
type Q struct {
	Querier
	Errors
}

// Wrap names the operation in err and maps PostgreSQL's answers to the store's errors: no
// row is NotFound, a unique violation Conflict, a code of Codes its error.
func (e Errors) Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return e.NotFoundIn(op)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if pgErr.Code == CodeUniqueViolation {
			return fmt.Errorf("%s: %s: %w (%s)", e.Store, op, e.conflict(), pgErr.ConstraintName)
		}
		if mapped, ok := e.Codes[pgErr.Code]; ok {
			return fmt.Errorf("%s: %s: %w (%s)", e.Store, op, mapped, pgErr.Message)
		}
	}
	return fmt.Errorf("%s: %s: %w", e.Store, op, err)
}

// NotFoundIn is the store's NotFound, naming the operation.
func (e Errors) NotFoundIn(op string) error {
	return fmt.Errorf("%s: %s: %w", e.Store, op, e.notFound())
}

// ConflictIn is the store's Conflict, naming the operation.
func (e Errors) ConflictIn(op string) error {
	return fmt.Errorf("%s: %s: %w", e.Store, op, e.conflict())
}

func (e Errors) notFound() error { return cmp.Or(e.NotFound, storekit.ErrNotFound) }
func (e Errors) conflict() error { return cmp.Or(e.Conflict, storekit.ErrConflict) }

// Inserted reports the outcome of an INSERT ... ON CONFLICT DO NOTHING: no row inserted means
// a unique rule held it back (Conflict). Unlike a unique violation, that leaves the
// transaction usable, as a memory engine's is.
func (e Errors) Inserted(op string, tag pgconn.CommandTag, err error) error {
	if err != nil {
		return e.Wrap(op, err)
	}
	if tag.RowsAffected() == 0 {
		return e.ConflictIn(op)
	}
	return nil
}

// InsertedCount is Inserted for a statement that answers how many rows its INSERT ... ON
// CONFLICT DO NOTHING inserted (a CTE's SELECT count(*)), read by One (which named err): none
// is Conflict.
func (e Errors) InsertedCount(op string, n int64, err error) error {
	if err == nil && n == 0 {
		return e.ConflictIn(op)
	}
	return err
}

// Affected reports the outcome of a DELETE or an unversioned UPDATE: no row affected is
// NotFound.
func (e Errors) Affected(op string, tag pgconn.CommandTag, err error) error {
	if err != nil {
		return e.Wrap(op, err)
	}
	if tag.RowsAffected() == 0 {
		return e.NotFoundIn(op)
	}
	return nil
}

// Updated reports the outcome of a versioned UPDATE of the row id of table: no row updated
// means the row is missing (NotFound) or its version or a unique rule did not match
// (Conflict), which NotUpdated tells apart.
func Updated(ctx context.Context, q Q, op, table, id string, tag pgconn.CommandTag, err error) error {
	if err != nil {
		return q.Wrap(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	return NotUpdated(ctx, q, op, table, id)
}

// InsertCounted runs sql, an INSERT ... ON CONFLICT DO NOTHING (with the statements that go
// with it, in CTEs) that answers how many rows it inserted, a CTE's SELECT count(*): none is
// Conflict (see InsertedCount).
func InsertCounted(ctx context.Context, q Q, op, sql string, args ...any) error {
	n, err := One(ctx, q, op, pgx.RowTo[int64], sql, args...)
	return q.InsertedCount(op, n, err)
}

// UpdateCounted runs sql, a versioned UPDATE of the row id of table (with the statements that
// go with it, in CTEs) that answers how many rows it updated, a CTE's SELECT count(*): none is
// NotFound or Conflict, as NotUpdated tells.
func UpdateCounted(ctx context.Context, q Q, op, table, id, sql string, args ...any) error {
	n, err := One(ctx, q, op, pgx.RowTo[int64], sql, args...)
	if err != nil || n == 1 {
		return err
	}
	return NotUpdated(ctx, q, op, table, id)
}

// NotUpdated is the error of a versioned UPDATE of the row id of table that matched no row:
// NotFound if the row is missing, else Conflict. table is interpolated: pass a constant.
func NotUpdated(ctx context.Context, q Q, op, table, id string) error {
	exists, err := One(ctx, q, op, pgx.RowTo[bool], "SELECT EXISTS (SELECT 1 FROM "+table+" WHERE id = $1)", id)
	switch {
	case err != nil:
		return err
	case exists:
		return q.ConflictIn(op)
	default:
		return q.NotFoundIn(op)
	}
}

// One returns the single row sql selects, scanned by scan; the store's NotFound if none.
func One[T any](ctx context.Context, q Q, op string, scan pgx.RowToFunc[T], sql string, args ...any) (T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		var zero T
		return zero, q.Wrap(op, err)
	}
	v, err := pgx.CollectExactlyOneRow(rows, scan)
	return v, q.Wrap(op, err)
}

// All returns the rows sql selects, scanned by scan; never nil.
func All[T any](ctx context.Context, q Q, op string, scan pgx.RowToFunc[T], sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, q.Wrap(op, err)
	}
	vs, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, q.Wrap(op, err)
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

// Limit is a page size as a LIMIT parameter: NULL, no limit, for 0 or less.
func Limit(size int) *int {
	if size <= 0 {
		return nil
	}
	return &size
}

// NullTime is t as a nullable timestamptz: NULL for the zero time.
func NullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// TimeOf is a stored nullable time as a time.Time in UTC (zero for NULL).
func TimeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// Lock is LockXact through q, naming the operation in its error (see Errors.Wrap).
func (q Q) Lock(ctx context.Context, op, key string) error {
	return q.Wrap(op, LockXact(ctx, q, key))
}

// LockXact takes the transaction-scoped advisory lock named key until tx ends: a second
// transaction asking for it, in this process or another sharing the database, waits.
func LockXact(ctx context.Context, tx Querier, key string) error {
	_, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", key)
	return err
}

// Deleted runs a DELETE and returns how many rows it deleted (a prune's batch).
func Deleted(ctx context.Context, q Q, op, sql string, args ...any) (int, error) {
	tag, err := q.Exec(ctx, sql, args...)
	if err != nil {
		return 0, q.Wrap(op, err)
	}
	return int(tag.RowsAffected()), nil
}

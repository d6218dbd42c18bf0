package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox/pgoutbox"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// tx is a store.Tx on one pgx transaction; its reads see its own writes.
type tx struct {
	reader
	ptx pgx.Tx
}

var _ store.Tx = (*tx)(nil)

// directoryLock keys the advisory lock that LockDirectory takes.
const directoryLock = "grantflow.identity.directory"

// LockDirectory takes the directory's advisory lock until the transaction ends; a second
// transaction asking for it, in this process or another, waits.
func (t *tx) LockDirectory(ctx context.Context) error {
	_, err := t.ptx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", directoryLock)
	return wrap("lock directory", err)
}

// Emit appends ev to the outbox for sinks, in the transaction.
func (t *tx) Emit(ctx context.Context, sinks []string, ev *eventsv1.Event) error {
	return pgoutbox.Append(ctx, t.ptx, sinks, ev)
}

func (t *tx) RecordApplied(ctx context.Context, requestID, result string) error {
	const op = "record applied request"
	tag, err := t.ptx.Exec(ctx,
		"INSERT INTO applied_requests (request_id, result) VALUES ($1, $2) ON CONFLICT DO NOTHING",
		requestID, result)
	return inserted(op, tag, err)
}

func (r reader) AppliedRequest(ctx context.Context, requestID string) (string, error) {
	return one(ctx, r.q, "get applied request", pgx.RowTo[string],
		"SELECT result FROM applied_requests WHERE request_id = $1", requestID)
}

// inserted reports the outcome of an INSERT ... ON CONFLICT DO NOTHING: no row inserted
// means a unique rule held it back. Unlike a unique violation, that leaves the transaction
// usable, as the memory engine's is.
func inserted(op string, tag pgconn.CommandTag, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() == 0 {
		return conflict(op)
	}
	return nil
}

// updated reports the outcome of a versioned UPDATE of the row id of table: no row updated
// means the row is missing (store.ErrNotFound) or its version or a unique rule did not
// match (store.ErrConflict).
func (t *tx) updated(ctx context.Context, op, table, id string, tag pgconn.CommandTag, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	exists, err := one(ctx, t.q, op, pgx.RowTo[bool], "SELECT EXISTS (SELECT 1 FROM "+table+" WHERE id = $1)", id)
	switch {
	case err != nil:
		return err
	case exists:
		return conflict(op)
	default:
		return notFound(op)
	}
}

// affected reports the outcome of a DELETE or an unversioned UPDATE: no row affected is
// store.ErrNotFound.
func affected(op string, tag pgconn.CommandTag, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(op)
	}
	return nil
}

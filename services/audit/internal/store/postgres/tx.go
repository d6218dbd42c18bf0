package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/store"
)

// tx is a store.Tx on one pgx transaction; its reads see its own writes.
type tx struct {
	reader
	ptx pgx.Tx
	// head is the log's head as this transaction knows it, under the append lock: read once
	// by LockHead, moved on by each Insert (nil before LockHead).
	head *store.Head
}

var _ store.Tx = (*tx)(nil)

func begin(ptx pgx.Tx) store.Tx { return &tx{reader: reader{q: ptx}, ptx: ptx} }

// chainLock keys the advisory lock that serializes appends to the schema's log.
var chainLock = "grantflow.audit.chain:" + Schema.Name

// LockHead takes the append lock until the transaction ends, then reads the head: a
// statement of a read-committed transaction sees every commit made before it started, so
// the head read under the lock includes the previous holder's batch.
// (Lock and read cannot share a statement: its snapshot would predate the wait.) The
// transaction keeps the head it read, and Insert goes on from it rather than reading it
// again: once per batch.
func (t *tx) LockHead(ctx context.Context) (store.Head, error) {
	if err := pgstore.LockXact(ctx, t.ptx, chainLock); err != nil {
		return store.Head{}, fmt.Errorf("lock the log: %w", err)
	}
	h, err := t.Head(ctx)
	if err == nil {
		t.head = &h
	}
	return h, err
}

var insertColumns = []string{"seq", "id", "time", "actor_id", "actor_credential", "service", "action", "subject",
	"request_id", "policy_id", "policy_version", "task_id", "trace_id", "data", "ingest_time", "prev_hash", "hash"}

// Insert writes the batch with one COPY, after checking that it continues the head.
func (t *tx) Insert(ctx context.Context, events []domain.Event) error {
	if len(events) == 0 {
		return nil
	}
	var head store.Head
	if t.head != nil {
		head = *t.head // read under the lock: nobody else appended since
	} else {
		h, err := t.Head(ctx)
		if err != nil {
			return err
		}
		head = h
	}
	for i, e := range events {
		if want := head.Seq + 1 + int64(i); e.Seq != want {
			return fmt.Errorf("insert event %s: seq %d does not follow the head (want %d): %w", e.ID, e.Seq, want, store.ErrConflict)
		}
	}
	_, err := t.ptx.CopyFrom(ctx, pgx.Identifier{"events"}, insertColumns, pgx.CopyFromSlice(len(events), func(i int) ([]any, error) {
		e := &events[i]
		data := e.Data
		if data == nil {
			data = []byte{}
		}
		return []any{e.Seq, e.ID, e.Time, e.ActorID, e.ActorCredential, e.Service, e.Action, e.Subject,
			e.RequestID, e.PolicyID, e.PolicyVersion, e.TaskID, e.TraceID, data, e.IngestTime, e.PrevHash[:], e.Hash[:]}, nil
	}))
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == pgstore.CodeUniqueViolation {
		return fmt.Errorf("insert %d events: %s: %w", len(events), pgErr.Detail, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert %d events: %w", len(events), err)
	}
	if t.head != nil {
		last := events[len(events)-1]
		t.head = &store.Head{Seq: last.Seq, Hash: last.Hash}
	}
	return nil
}

func (t *tx) AddCheckpoint(ctx context.Context, cp domain.Checkpoint) (bool, error) {
	tag, err := t.ptx.Exec(ctx,
		"INSERT INTO checkpoints (seq, head_hash, time, key_id, signature) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING",
		cp.Seq, cp.HeadHash[:], cp.Time, cp.KeyID, cp.Signature)
	if err != nil {
		return false, fmt.Errorf("add checkpoint %d: %w", cp.Seq, err)
	}
	return tag.RowsAffected() == 1, nil
}

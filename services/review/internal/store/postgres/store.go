package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox/pgoutbox"
	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

// Store is the PostgreSQL review store.
type Store struct {
	reader
	db     *pgstore.DB
	outbox *pgoutbox.Store
}

var _ store.Store = (*Store)(nil)

// Open migrates the review schema of the database at url and opens a store on it. The
// caller must Close it.
func Open(ctx context.Context, url string) (*Store, error) {
	db, err := pgstore.Open(ctx, Options(url))
	if err != nil {
		return nil, fmt.Errorf("review store: %w", err)
	}
	return New(db), nil
}

// New returns a store on db, which must use the review schema with its migrations applied
// (as pgstore.Open with [Options] or pgtest.NewDatabase leave it). Close closes db.
func New(db *pgstore.DB) *Store {
	return &Store{reader: reader{q: db.Pool()}, db: db, outbox: pgoutbox.NewStore(db.Pool())}
}

// InTx runs fn in a read-committed transaction, with its outbox rows, through pgstore: fn
// runs again after a serialization failure or deadlock.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return s.db.InTx(ctx, func(ptx pgx.Tx) error {
		return fn(ctx, &tx{reader: reader{q: ptx}, ptx: ptx})
	})
}

// MarkProcessed records a received event id in the transaction; false if seen before.
func (t *tx) MarkProcessed(ctx context.Context, eventID string) (bool, error) {
	return pgoutbox.MarkProcessed(ctx, t.ptx, eventID)
}

// Pending returns the oldest undelivered events of sink (see pgoutbox.Store.Pending).
func (s *Store) Pending(ctx context.Context, sink string, limit int) ([]*eventsv1.Event, error) {
	return s.outbox.Pending(ctx, sink, limit)
}

// Ack removes delivered events of sink (see pgoutbox.Store.Ack).
func (s *Store) Ack(ctx context.Context, sink string, events []*eventsv1.Event) error {
	return s.outbox.Ack(ctx, sink, events)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

// Close closes the connection pool.
func (s *Store) Close() { s.db.Close() }

// RelayLock lets one relay per sink deliver this schema's outbox at a time, across replicas.
func (s *Store) RelayLock(sink string) func(ctx context.Context) (func(), bool, error) {
	return pgoutbox.RelayLock(s.db.Pool(), sink)
}

// tx is a store.Tx on one pgx transaction; its reads see its own writes.
type tx struct {
	reader
	ptx pgx.Tx
}

var _ store.Tx = (*tx)(nil)

// Emit appends ev to the outbox for sinks, in the transaction.
func (t *tx) Emit(ctx context.Context, sinks []string, ev *eventsv1.Event) error {
	return pgoutbox.Append(ctx, t.ptx, sinks, ev)
}

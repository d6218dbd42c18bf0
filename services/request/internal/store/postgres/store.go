package postgres

import (
	"context"
	"embed"

	"github.com/jackc/pgx/v5"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox/pgoutbox"
	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// Schema is the PostgreSQL schema the request service owns.
const Schema = "request"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations holds the request schema's goose migrations at its root, as pgstore expects.
var Migrations = pgstore.Sub(migrationFiles, "migrations")

// Options returns the pgstore options that open the request schema at url: what [Open] uses,
// and what a `migrate` subcommand passes to pgstore.Migrate.
func Options(url string) pgstore.Options {
	return pgstore.Options{URL: url, Schema: Schema, Migrations: Migrations}
}

// storeErrors maps PostgreSQL's answers to the store's errors.
var storeErrors = pgstore.Errors{Store: "request store", NotFound: store.ErrNotFound, Conflict: store.ErrConflict}

// Store is the PostgreSQL request store: its queries (reader) on the kit's shell (transactions,
// Ping, Close) and outbox (Pending, Ack, RelayLock).
type Store struct {
	reader
	pgstore.Shell[store.Tx]
	*pgoutbox.Store
}

var _ store.Store = (*Store)(nil)

// Open migrates the request schema of the database at url and opens a store on it. The caller
// must Close it.
func Open(ctx context.Context, url string) (*Store, error) {
	return pgstore.OpenStore(ctx, Options(url), New)
}

// New returns a store on db, which must use the request schema with its migrations applied (as
// pgstore.Open with [Options] or pgtest.NewDatabase leave it). Close closes db.
func New(db *pgstore.DB) *Store {
	return &Store{reader: reader{q: storeErrors.On(db.Pool())}, Shell: pgstore.NewShell(db, begin), Store: pgoutbox.NewStore(db.Pool())}
}

// reader answers store.Reader's queries through q.
type reader struct {
	q pgstore.Q
}

// tx is a store.Tx on one pgx transaction; its reads see its own writes.
type tx struct {
	reader
	ptx pgx.Tx
}

var _ store.Tx = (*tx)(nil)

func begin(ptx pgx.Tx) store.Tx { return &tx{reader: reader{q: storeErrors.On(ptx)}, ptx: ptx} }

// MarkProcessed records eventID as handled, in the transaction; a concurrent transaction
// marking the same id waits for this one and then gets false.
func (t *tx) MarkProcessed(ctx context.Context, eventID string) (bool, error) {
	isNew, err := pgoutbox.MarkProcessed(ctx, t.ptx, eventID)
	return isNew, storeErrors.Wrap("mark processed", err)
}

// Emit appends ev to the outbox for sinks, in the transaction.
func (t *tx) Emit(ctx context.Context, sinks []string, ev *eventsv1.Event) error {
	return pgoutbox.Append(ctx, t.ptx, sinks, ev)
}

package postgres

import (
	"embed"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/timer/pgtimer"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the PostgreSQL schema the request service owns, with its migrations: what [Open]
// opens, and what a `migrate` subcommand and the tests pass to pgstore.
var Schema = pgstore.NewSchema("request", migrations)

// Open migrates the request schema of the database at url and opens a store on it; the caller
// must Close it.
var Open = pgstore.Opener(Schema, New)

// Store is the PostgreSQL request store: its queries (reader) on the kit's shell with timers,
// and the watchers of its requests' changes.
type Store struct {
	reader
	pgtimer.Shell[store.Tx]
	*pgstore.Notified // Watch and Listen: request_changes' trigger notifies a request's id
}

// New returns a store on db, which must use the request schema with its migrations applied (as
// pgstore.Open with [Schema] or pgtest.NewDatabase leave it). Close closes db.
func New(db *pgstore.DB) *Store {
	return &Store{reader{db.Q()}, pgtimer.NewShell(db, newTx), pgstore.NewNotified(db, "request_changes", nil)}
}

// reader answers store.Reader's queries through q; tx is a store.Tx on one pgx transaction,
// whose reads see its own writes.
type (
	reader struct{ q pgstore.Q }
	tx     struct {
		reader
		pgtimer.Tx
	}
)

func newTx(q pgstore.Q, k pgtimer.Tx) store.Tx { return &tx{reader{q}, k} }

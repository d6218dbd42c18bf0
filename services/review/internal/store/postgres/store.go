package postgres

import (
	"embed"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/timer/pgtimer"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the PostgreSQL schema the review service owns, with its migrations: what [Open]
// opens, and what a `migrate` subcommand and the tests pass to pgstore.
var Schema = pgstore.NewSchema("review", migrations)

// Open migrates the review schema of the database at url and opens a store on it; the
// caller must Close it.
var Open = pgstore.Opener(Schema, New)

// Store is the PostgreSQL review store: its queries (reader) on the kit's shell, with the
// kit's timers (the table "timers" of the review schema, a kit migration).
type Store struct {
	reader
	pgtimer.Shell[store.Tx]
}

// New returns a store on db, which must use the review schema with its migrations applied
// (as pgstore.Open with [Schema] or pgtest.NewDatabase leave it). Close closes db.
func New(db *pgstore.DB) *Store {
	return &Store{reader{db.Q()}, pgtimer.NewShell(db, newTx)}
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

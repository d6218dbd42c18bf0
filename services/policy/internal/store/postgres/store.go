package postgres

import (
	"embed"

	"github.com/grantflow/grantflow/pkg/outbox/pgoutbox"
	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the PostgreSQL schema the policy service owns, with its migrations: what [Open]
// opens, and what a `migrate` subcommand and the tests pass to pgstore. Its guard triggers
// raise immutableCode, which the store answers as store.ErrImmutable.
var Schema = pgstore.Schema{Name: "policy", Migrations: pgstore.Sub(migrations, "migrations"),
	Codes: map[string]error{immutableCode: store.ErrImmutable}}

// immutableCode is the SQLSTATE the guard triggers raise (store.ErrImmutable).
const immutableCode = "GF001"

// Open migrates the policy schema of the database at url and opens a store on it; the caller
// must Close it.
var Open = pgstore.Opener(Schema, New)

// Store is the PostgreSQL policy store: its queries (reader) on the kit's shell.
type Store struct {
	reader
	pgoutbox.Shell[store.Tx]
}

// New returns a store on db, which must use the policy schema with its migrations applied (as
// pgstore.Open with [Schema] or pgtest.NewDatabase leave it). Close closes db.
func New(db *pgstore.DB) *Store {
	return &Store{reader{db.Q()}, pgoutbox.NewShell(db, newTx)}
}

// reader answers store.Reader's queries through q; tx is a store.Tx on one pgx transaction,
// whose reads see its own writes.
type (
	reader struct{ q pgstore.Q }
	tx     struct {
		reader
		pgoutbox.Tx
	}
)

func newTx(q pgstore.Q, k pgoutbox.Tx) store.Tx { return &tx{reader{q}, k} }

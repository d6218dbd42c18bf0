package postgres

import (
	"embed"

	"github.com/grantflow/grantflow/pkg/outbox/pgoutbox"
	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the PostgreSQL schema the identity service owns, with its migrations: what [Open]
// opens, and what a `migrate` subcommand and the tests pass to pgstore.
//
// The pool is larger than pgx's default (4 on a small machine): each of identity's four
// outbox relays (audit, notification, request, task) holds a connection for its relay lock
// while it delivers, and the receivers call identity back during the delivery (the task
// service resolves a moved user's manager): with four connections all four would be
// held and the call back would wait for ever.
var Schema = pgstore.Schema{Name: "identity", Migrations: pgstore.Sub(migrations, "migrations"), MaxConns: 8}

// Open migrates the identity schema of the database at url and opens a store on it; the caller
// must Close it.
var Open = pgstore.Opener(Schema, New)

// Store is the PostgreSQL identity store: its queries (reader) on the kit's shell.
type Store struct {
	reader
	pgoutbox.Shell[store.Tx]
}

// New returns a store on db, which must use the identity schema with its migrations applied (as
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

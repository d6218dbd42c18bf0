package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/audit/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the PostgreSQL schema the audit service owns, with its migrations: what [Open]
// opens, and what a `migrate` subcommand and the tests pass to pgstore.
var Schema = pgstore.NewSchema("audit", migrations)

// Store is the PostgreSQL audit store: the log's reads on the kit's shell (transactions,
// Ping, Close). It has no outbox: audit is where events end.
type Store struct {
	reader
	pgstore.Shell[store.Tx]
}

// Open migrates the audit schema of the database at url and opens a store on it. The caller
// must Close it.
var Open = pgstore.Opener(Schema, New)

// New returns a store on db, which must use the audit schema with its migrations applied
// (as pgstore.Open with [Schema] or pgtest.NewDatabase leave it). Close closes db.
func New(db *pgstore.DB) *Store {
	return &Store{reader: reader{q: db.Pool()}, Shell: pgstore.NewShell(db, begin)}
}

// SigningSeed stores candidate unless a seed is stored, and returns the stored seed.
func (s *Store) SigningSeed(ctx context.Context, candidate []byte) ([]byte, error) {
	pool := s.DB().Pool()
	if _, err := pool.Exec(ctx, "INSERT INTO signing_key (id, seed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING", candidate); err != nil {
		return nil, fmt.Errorf("store signing key: %w", err)
	}
	var seed []byte
	if err := pool.QueryRow(ctx, "SELECT seed FROM signing_key WHERE id = 1").Scan(&seed); err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	return seed, nil
}

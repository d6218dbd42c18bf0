package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/audit/internal/store"
)

// Store is the PostgreSQL audit store.
type Store struct {
	reader
	db *pgstore.DB
}

var _ store.Store = (*Store)(nil)

// Open migrates the audit schema of the database at url and opens a store on it. The caller
// must Close it.
func Open(ctx context.Context, url string) (*Store, error) {
	db, err := pgstore.Open(ctx, Options(url))
	if err != nil {
		return nil, fmt.Errorf("audit store: %w", err)
	}
	return New(db), nil
}

// New returns a store on db, which must use the audit schema with its migrations applied
// (as pgstore.Open with [Options] or pgtest.NewDatabase leave it). Close closes db.
func New(db *pgstore.DB) *Store {
	return &Store{reader: reader{q: db.Pool()}, db: db}
}

// InTx runs fn in a read-committed transaction through pgstore (which runs it again after a
// serialization failure or deadlock).
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return s.db.InTx(ctx, func(ptx pgx.Tx) error {
		return fn(ctx, &tx{reader: reader{q: ptx}, ptx: ptx})
	})
}

// SigningSeed stores candidate unless a seed is stored, and returns the stored seed.
func (s *Store) SigningSeed(ctx context.Context, candidate []byte) ([]byte, error) {
	if _, err := s.db.Pool().Exec(ctx, "INSERT INTO signing_key (id, seed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING", candidate); err != nil {
		return nil, fmt.Errorf("store signing key: %w", err)
	}
	var seed []byte
	if err := s.db.Pool().QueryRow(ctx, "SELECT seed FROM signing_key WHERE id = 1").Scan(&seed); err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	return seed, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

// Close closes the connection pool.
func (s *Store) Close() { s.db.Close() }
